/* core/format.c: Lamina's own printf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/format.h"
#include <string.h>

/* Calls Lamina's vsnprintf (linked in, it overrides libc's) without the
 * compiler's format checks, which would flag the deliberate edge cases. */
static int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n;
}

#define CHECK(expect, ...)                                                     \
	do {                                                                   \
		char buf[128];                                                 \
		int n = fmt(buf, sizeof(buf), __VA_ARGS__);               \
		assert_string_equal(buf, expect);                              \
		assert_int_equal(n, strlen(expect));                           \
	} while (0)

static void integers(void **state)
{
	(void)state;
	CHECK("0 -1 42", "%d %d %u", 0, -1, 42u);
	CHECK("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK("ff FF 00ff", "%x %X %04x", 255u, 255u, 255u);
	CHECK("deadbeefcafe", "%llx", 0xdeadbeefcafeull);
	CHECK("  7|7  |-07", "%3d|%-3d|%03d", 7, 7, -7);
	CHECK("123", "%zu", (size_t)123);
}

static void strings(void **state)
{
	(void)state;
	CHECK("a b", "%s %c", "a", 'b');
	CHECK("(null)", "%s", (char *)NULL);
	CHECK("abc", "%.3s", "abcdef");
	CHECK("ab", "%.*s", 2, "abcdef");
	CHECK("   hi|hi   ", "%5s|%-5s", "hi", "hi");
	CHECK("100%", "100%%");
	CHECK("0x00000000000000ff", "%p", (void *)0xff);
}

static void truncation(void **state)
{
	char buf[8];
	int n;

	(void)state;
	n = fmt(buf, sizeof(buf), "%s", "0123456789");
	assert_int_equal(n, 10);
	assert_string_equal(buf, "0123456");
	n = fmt(buf, 1, "abc");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "");
}

static void textbuf(void **state)
{
	char buf[10];
	struct textbuf tb = { buf, sizeof(buf), 0 };

	(void)state;
	textbuf_printf(&tb, "key: %d\n", 12);
	assert_string_equal(buf, "key: 12\n");
	textbuf_printf(&tb, "overflowing");
	assert_int_equal(tb.len, 9);
	assert_string_equal(buf, "key: 12\no");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers),
		cmocka_unit_test(strings),
		cmocka_unit_test(truncation),
		cmocka_unit_test(textbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
