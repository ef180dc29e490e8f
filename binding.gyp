{
  "variables": {
    "raptorq_lib%": "<!(node -p \"process.env.FOUNTCAST_RAPTORQ_LIB || ''\")"
  },
  "targets": [
    {
      "target_name": "fountcast_native",
      "sources": ["encoder/native/module.c", "encoder/native/aes256gcm.c", "encoder/native/hmacSha256.c", "encoder/native/udpBatch.c", "encoder/native/raptorqDecode.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [
        ["raptorq_lib!=''", {
          "defines": ["FOUNTCAST_HAVE_RAPTORQ"],
          "libraries": ["<(raptorq_lib)", "-lpthread", "-ldl", "-lm"]
        }]
      ]
    }
  ]
}
