/* kf_sha256 (the event chain's digest): the standard's test vectors, and the same digest as
 * libsodium's portable SHA-256 for every length from 0 to 1,100 bytes (every padding case:
 * a tail under 56 bytes, 56 to 63, whole blocks) at every alignment of the input. */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sha256.h"
#include "t.h"

static void hex(const unsigned char d[32], char out[65]) { sodium_bin2hex(out, 65, d, 32); }

int main(void) {
  if (sodium_init() < 0) return 1;
  unsigned char d[32];
  char h[65];
  static const struct {
    const char *in, *want;
  } vec[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
  };
  for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
    kf_sha256(vec[i].in, strlen(vec[i].in), d);
    hex(d, h);
    CHECK(!strcmp(h, vec[i].want), "test vector %zu: %s", i, h);
  }
  kf_sha256(NULL, 0, d); /* nothing at all: the empty message's digest */
  hex(d, h);
  CHECK(!strcmp(h, vec[0].want), "no data: %s", h);
  static unsigned char buf[1100 + 16];
  uint32_t x = 2463534242u; /* xorshift: the same bytes every run */
  for (size_t i = 0; i < sizeof buf; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    buf[i] = (unsigned char)x;
  }
  int same = 1;
  size_t bad = 0, bad_at = 0;
  for (size_t at = 0; at < 16 && same; at++)
    for (size_t n = 0; n <= 1100 && same; n++) {
      unsigned char want[32];
      crypto_hash_sha256(want, buf + at, n);
      kf_sha256(buf + at, n, d);
      if (memcmp(d, want, 32)) same = 0, bad = n, bad_at = at;
    }
  CHECK(same, "the same digest as libsodium for every length and alignment (first differs: "
               "%zu bytes at offset %zu)", bad, bad_at);
  printf("# processor's SHA extensions: %s\n", kf_sha256_accelerated() ? "used" : "not here");
  T_DONE();
}
