{
  "targets": [
    {
      "target_name": "fountcast_native",
      "sources": ["encoder/native/aes256gcm.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
