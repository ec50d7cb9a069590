/* people.h: passwords as the engine checks, hashes and verifies them (people.c), the same
 * for creation, resets, changes and sign-in.
 * Ownership: nothing is taken; out is the caller's. */
#ifndef KF_PEOPLE_H
#define KF_PEOPLE_H

#include "kf.h"
#include "kf_plugin.h" /* KF_PASSWORD_MAX */

/* The password hashing used by user.add (argon2id, libsodium's INTERACTIVE limits or more). */
int kf_password_hash(const char *password, char out[128], kf_err *err);
int kf_password_verify(const char *hash, const char *password);

/* The shortest password user.add takes, in characters (KF_PASSWORD_MAX, in kf_plugin.h, is
 * the longest, at creation and at sign-in alike). */
#define KF_PASSWORD_MIN 10
/* 0 when password may be set for login (login may be NULL); else KF_EINVAL with one
 * plain sentence saying what is wrong: empty, too long or short, holds the login (or its
 * part before '@', straight or reversed), or fails libpwquality's checks (a dictionary
 * word, repeats, runs like abcde, a palindrome...). KF_ESTORE when the dictionary is
 * missing. Every verb that sets a password calls it. */
int kf_password_check(const char *login, const char *password, kf_err *err);
/* 0 when password has at most KF_PASSWORD_MAX characters, else KF_EINVAL saying so. */
int kf_password_length_ok(const char *password, kf_err *err);

#endif
