{
  "targets": [
    {
      "target_name": "fountcast_native",
      "sources": ["encoder/native/module.c", "encoder/native/aes256gcm.c", "encoder/native/hmacSha256.c", "encoder/native/udpBatch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
