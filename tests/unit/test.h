/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit-test harness. Each test file defines test functions and a
 * TEST_MAIN listing them:
 *
 *   static void test_foo(void) { CHECK(1 + 1 == 2); CHECK_EQ(x, 3); }
 *   TEST_MAIN(test_foo, test_bar)
 *
 * A failed CHECK prints file:line and the expression and marks the test
 * failed; the process exits non-zero if any check failed.
 */
#ifndef VESSEL_TESTS_UNIT_TEST_H
#define VESSEL_TESTS_UNIT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int test_failures;

#define CHECK(expr) do { \
		if (!(expr)) { \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
			test_failures++; \
		} \
	} while (0)

#define CHECK_EQ(a, b) do { \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
		if (a_ != b_) { \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")\n", \
				__FILE__, __LINE__, #a, #b, a_, b_); \
			test_failures++; \
		} \
	} while (0)

typedef void (*test_fn)(void);

/* xorshift64: a repeatable stream of pseudo-random numbers for random-access tests. */
static inline uint64_t test_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static inline int test_run_all(const char *const *names, const test_fn *fns, int n)
{
	int failed_tests = 0;

	for (int i = 0; i < n; i++) {
		int before = test_failures;

		fns[i]();
		printf("%s %s\n", test_failures == before ? "ok  " : "FAIL", names[i]);
		failed_tests += test_failures != before;
	}
	printf("%d passed, %d failed\n", n - failed_tests, failed_tests);
	return failed_tests ? 1 : 0;
}

#define TEST_NAME_(f) #f,
#define TEST_FOREACH_(M, ...) TEST_FE_N_(__VA_ARGS__, TEST_FE_16_, TEST_FE_15_, TEST_FE_14_, TEST_FE_13_, \
	TEST_FE_12_, TEST_FE_11_, TEST_FE_10_, TEST_FE_9_, TEST_FE_8_, TEST_FE_7_, TEST_FE_6_, TEST_FE_5_, \
	TEST_FE_4_, TEST_FE_3_, TEST_FE_2_, TEST_FE_1_)(M, __VA_ARGS__)
#define TEST_FE_N_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, N, ...) N
#define TEST_FE_1_(M, a) M(a)
#define TEST_FE_2_(M, a, ...) M(a) TEST_FE_1_(M, __VA_ARGS__)
#define TEST_FE_3_(M, a, ...) M(a) TEST_FE_2_(M, __VA_ARGS__)
#define TEST_FE_4_(M, a, ...) M(a) TEST_FE_3_(M, __VA_ARGS__)
#define TEST_FE_5_(M, a, ...) M(a) TEST_FE_4_(M, __VA_ARGS__)
#define TEST_FE_6_(M, a, ...) M(a) TEST_FE_5_(M, __VA_ARGS__)
#define TEST_FE_7_(M, a, ...) M(a) TEST_FE_6_(M, __VA_ARGS__)
#define TEST_FE_8_(M, a, ...) M(a) TEST_FE_7_(M, __VA_ARGS__)
#define TEST_FE_9_(M, a, ...) M(a) TEST_FE_8_(M, __VA_ARGS__)
#define TEST_FE_10_(M, a, ...) M(a) TEST_FE_9_(M, __VA_ARGS__)
#define TEST_FE_11_(M, a, ...) M(a) TEST_FE_10_(M, __VA_ARGS__)
#define TEST_FE_12_(M, a, ...) M(a) TEST_FE_11_(M, __VA_ARGS__)
#define TEST_FE_13_(M, a, ...) M(a) TEST_FE_12_(M, __VA_ARGS__)
#define TEST_FE_14_(M, a, ...) M(a) TEST_FE_13_(M, __VA_ARGS__)
#define TEST_FE_15_(M, a, ...) M(a) TEST_FE_14_(M, __VA_ARGS__)
#define TEST_FE_16_(M, a, ...) M(a) TEST_FE_15_(M, __VA_ARGS__)

#define TEST_MAIN(...) \
	int main(void) \
	{ \
		static const char *const names[] = { TEST_FOREACH_(TEST_NAME_, __VA_ARGS__) }; \
		static const test_fn fns[] = { __VA_ARGS__ }; \
		return test_run_all(names, fns, (int)(sizeof(fns) / sizeof(fns[0]))); \
	}

#endif
