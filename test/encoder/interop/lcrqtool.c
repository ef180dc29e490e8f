/* Test-only bridge to liblcrq (GPL; never linked into fountcast).
 * encode F T: stdin = F bytes, then 4-byte big-endian ESIs until EOF on fd 3; writes T bytes per ESI.
 * decode F T: stdin = records (4-byte big-endian ESI, T bytes); writes F bytes, exit 1 on failure. */
#include <lcrq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int readall(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n; }
int main(int argc, char **argv) {
	if (argc < 4) return 2;
	uint64_t F = strtoull(argv[2], 0, 10);
	uint16_t T = (uint16_t)atoi(argv[3]);
	rq_t *rq = rq_init(F, T);
	if (!rq) return 3;
	size_t K = rq_K(rq);
	fprintf(stderr, "K=%zu KP=%u Z=%u N=%u\n", K, rq_KP(rq), rq_Z(rq), rq_N(rq));
	if (rq_Z(rq) != 1 || rq_N(rq) != 1) return 4;
	if (!strcmp(argv[1], "encode")) {
		uint8_t *data = calloc(K, T);
		if (!readall(stdin, data, F)) return 5;
		if (rq_encode(rq, data, F)) return 6;
		uint8_t *sym = malloc(T);
		for (int i = 4; i < argc; i++) {
			uint32_t esi = (uint32_t)strtoul(argv[i], 0, 10);
			rq_pid_t pid = 0;
			pid = rq_pidsetesi(pid, esi);
			rq_symbol(rq, &pid, sym, 0);
			fwrite(sym, 1, T, stdout);
		}
		return 0;
	}
	size_t cap = 64, n = 0;
	uint8_t *enc = malloc(cap * T);
	uint32_t *esi = malloc(cap * sizeof *esi);
	for (;;) {
		uint8_t h[4];
		if (!readall(stdin, h, 4)) break;
		if (n == cap) { cap *= 2; enc = realloc(enc, cap * T); esi = realloc(esi, cap * sizeof *esi); }
		esi[n] = (uint32_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
		if (!readall(stdin, enc + n * T, T)) return 7;
		n++;
	}
	uint8_t *dec = calloc(K, T);
	if (rq_decode(rq, dec, enc, esi, (uint32_t)n)) return 1;
	fwrite(dec, 1, F, stdout);
	return 0;
}
