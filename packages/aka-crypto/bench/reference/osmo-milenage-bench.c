/*
 * The C reference for the vector benchmark: libosmocore's Milenage through osmo_auth_gen_vec(), one
 * vector per call with the caller supplying RAND, as an HLR/HSS built on libosmocore uses it.
 * Prints {"vectors_per_s": N}. Build: cc -O2 osmo-milenage-bench.c -losmogsm -losmocore
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <osmocom/crypt/auth.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	static const uint8_t k[16] = { 0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
				       0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc };
	static const uint8_t opc[16] = { 0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
					 0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf };
	struct osmo_sub_auth_data aud;
	struct osmo_auth_vector vec;
	uint8_t rand[16];
	unsigned long n = 0;
	double t0, t;

	memset(&aud, 0, sizeof(aud));
	aud.type = OSMO_AUTH_TYPE_UMTS;
	aud.algo = OSMO_AUTH_ALG_MILENAGE;
	memcpy(aud.u.umts.k, k, 16);
	memcpy(aud.u.umts.opc, opc, 16);
	aud.u.umts.amf[0] = 0xb9;
	aud.u.umts.amf[1] = 0xb9;
	aud.u.umts.ind_bitlen = 5;
	memset(rand, 0x23, sizeof(rand));

	t0 = now();
	do {
		for (int i = 0; i < 10000; i++) {
			rand[i & 15] ^= (uint8_t)i;
			if (osmo_auth_gen_vec(&vec, &aud, rand) != 0) {
				fprintf(stderr, "osmo_auth_gen_vec failed\n");
				return 1;
			}
		}
		n += 10000;
		t = now() - t0;
	} while (t < seconds);
	printf("{\"vectors_per_s\": %.0f}\n", n / t);
	return 0;
}
