/* sha256.h: SHA-256 for the event chain: the processor's SHA extensions where it has them,
 * libsodium's portable code otherwise; the same digest either way. */
#ifndef KF_SHA256_H
#define KF_SHA256_H

#include <stddef.h>

/* out = SHA-256 of the n bytes at data. */
void kf_sha256(const void *data, size_t n, unsigned char out[32]);

/* 1 when kf_sha256 uses the processor's SHA extensions here. */
int kf_sha256_accelerated(void);

#endif
