{
  "variables": {
    "raptorq_lib%": "<!(node -p \"process.env.FOUNTCAST_RAPTORQ_LIB || ''\")"
  },
  "targets": [
    {
      "target_name": "fountcast_native",
      "sources": [
        "encoder/native/module.c",
        "encoder/native/aes256gcm.c",
        "encoder/native/hmacSha256.c",
        "encoder/native/udpBatch.c",
        "encoder/native/raptorqCodec.c",
        "encoder/native/blake3Hash.c",
        "encoder/native/blake3File.c",
        "encoder/native/crc32Tags.c",
        "encoder/native/blake3/blake3.c",
        "encoder/native/blake3/blake3_dispatch.c",
        "encoder/native/blake3/blake3_portable.c"
      ],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "conditions": [
        ["raptorq_lib!=''", {
          "defines": ["FOUNTCAST_HAVE_RAPTORQ"],
          "libraries": ["<(raptorq_lib)", "-lpthread", "-ldl", "-lm"]
        }],
        ["target_arch=='x64' and OS!='win'", {
          "sources": [
            "encoder/native/blake3/blake3_sse2_x86-64_unix.S",
            "encoder/native/blake3/blake3_sse41_x86-64_unix.S",
            "encoder/native/blake3/blake3_avx2_x86-64_unix.S",
            "encoder/native/blake3/blake3_avx512_x86-64_unix.S"
          ]
        }],
        ["target_arch=='arm64'", {
          "defines": ["BLAKE3_USE_NEON=1"],
          "sources": ["encoder/native/blake3/blake3_neon.c"]
        }],
        ["target_arch!='x64' and target_arch!='arm64'", {
          "defines": ["BLAKE3_NO_SSE2", "BLAKE3_NO_SSE41", "BLAKE3_NO_AVX2", "BLAKE3_NO_AVX512"]
        }]
      ]
    }
  ]
}
