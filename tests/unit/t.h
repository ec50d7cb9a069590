/* t.h: the smallest test harness: CHECK(cond, name) counts and reports; T_DONE prints
 * "N passed, N failed" and gives the exit status. */
#ifndef KF_T_H
#define KF_T_H
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;
#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (cond) {                                                           \
      t_pass++;                                                           \
    } else {                                                              \
      t_fail++;                                                           \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                         \
      printf(__VA_ARGS__);                                                \
      printf("\n");                                                       \
    }                                                                     \
  } while (0)
#define CONTAINS(hay, needle) ((hay) && strstr((hay), (needle)) != NULL)
#define T_DONE()                                                          \
  do {                                                                    \
    printf("%d passed, %d failed\n", t_pass, t_fail);                     \
    return t_fail ? 1 : 0;                                                \
  } while (0)
#endif
