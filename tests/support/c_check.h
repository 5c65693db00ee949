/* CHECK for the test programs written in C (c_api_test.c, async_c_test.c):
 * counts checks and failures, prints "FAIL: file:line: condition" for each
 * failure and goes on. One translation unit per program includes it. */
#ifndef COPROC_TEST_C_CHECK_H
#define COPROC_TEST_C_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks = 0;
static int failures = 0;

#define CHECK(cond)                                                  \
  do {                                                               \
    ++checks;                                                        \
    if (!(cond)) {                                                   \
      ++failures;                                                    \
      printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
    }                                                                \
  } while (0)

static int contains(const char* haystack, const char* needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

#endif
