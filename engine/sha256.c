/* sha256.c: SHA-256 (FIPS 180-4) for the event chain, with the processor's SHA extensions
 * where it has them (x86-64: SHA-NI, with SSSE3 and SSE4.1), libsodium's portable code
 * otherwise. Every event's link is one digest of a few hundred bytes: the extensions take
 * about a fifth of the portable code's time, with no library to initialise. */
#define _GNU_SOURCE
#include "sha256.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/* The round constants (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

/* Compress n 64-byte blocks into h (a..h). The instructions keep the state as two halves,
 * ABEF and CDGH; each sha256rnds2 does two rounds, taking the two words it needs from the
 * low half of its message operand; the schedule's words come four at a time, w[t-16..] to
 * w[t] by sha256msg1, an add of w[t-7..] and sha256msg2. */
__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_ni(uint32_t h[8],
                                                                   const unsigned char *p,
                                                                   size_t n) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
  for (; n; n--, p += 64) {
    __m128i abef0 = abef, cdgh0 = cdgh, w[4];
    for (int i = 0; i < 16; i++) {
      __m128i *x = &w[i & 3];
      if (i < 4) {
        *x = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
      } else { /* x held w[4i-16..4i-13]; the next three hold the words after it */
        __m128i prev = w[(i + 3) & 3], before = w[(i + 2) & 3];
        __m128i s = _mm_sha256msg1_epu32(*x, w[(i + 1) & 3]);
        s = _mm_add_epi32(s, _mm_alignr_epi8(prev, before, 4));
        *x = _mm_sha256msg2_epu32(s, prev);
      }
      __m128i m = _mm_add_epi32(*x, _mm_loadu_si128((const __m128i *)&K[4 * i]));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(m, 0x0e));
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
  }
  __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
  _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xf0));
  _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* 1 when the processor has SHA-NI, SSSE3 and SSE4.1 (asked once). */
static int have_ni(void) {
  static int known = -1; /* any thread may find it out: they all find the same */
  int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
  if (k < 0) {
    unsigned a, b, c, d, ok = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
        __get_cpuid_count(7, 0, &a, &b, &c, &d))
      ok = (b >> 29) & 1;
    k = (int)ok;
    __atomic_store_n(&known, k, __ATOMIC_RELAXED);
  }
  return k;
}

/* SHA-256 of p (n bytes) with the extensions: the blocks, then the padding (0x80, zeros,
 * the length in bits, big-endian) in one or two more. */
static void sha256_ni(const void *data, size_t n, unsigned char out[32]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const unsigned char *p = data;
  size_t full = n / 64;
  if (full) blocks_ni(h, p, full);
  unsigned char tail[128] = {0};
  size_t rest = n - full * 64, len = rest < 56 ? 64 : 128;
  if (rest) memcpy(tail, p + full * 64, rest); /* data may be NULL when n is 0 */
  tail[rest] = 0x80;
  uint64_t bits = (uint64_t)n * 8;
  for (int i = 0; i < 8; i++) tail[len - 1 - i] = (unsigned char)(bits >> (8 * i));
  blocks_ni(h, tail, len / 64);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (unsigned char)(h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(h[i] >> 8);
    out[4 * i + 3] = (unsigned char)h[i];
  }
}
#endif

int kf_sha256_accelerated(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  return have_ni();
#else
  return 0;
#endif
}

void kf_sha256(const void *data, size_t n, unsigned char out[32]) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (have_ni()) {
    sha256_ni(data, n, out);
    return;
  }
#endif
  crypto_hash_sha256(out, data, n);
}
