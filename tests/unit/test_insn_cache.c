/* The decoded-instruction memo (arch/x86/insn_cache.c): it answers exactly
 * what x86_decode() answers for the same bytes and mode, and is never
 * fooled by changed bytes, another mode, a shorter copy or a slot shared
 * by several instructions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/insn_cache.h"

#include "tests/unit/decode_table.h"
#define NR_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

/* The memo's answer for (buf, len, mode) at rip equals the decoder's. */
static bool check(struct insn_cache *c, u64 rip, const u8 *buf, size_t len,
		  enum decode_mode mode)
{
	struct decoded_insn got, want;
	bool hit;
	int rc = insn_decode_cached(c, rip, buf, len, mode, &got, &hit);

	assert_int_equal(rc, x86_decode(buf, len, mode, &want));
	if (rc == 0)
		assert_memory_equal(&got, &want, sizeof(got));
	return hit;
}

static void test_second_decode_remembered(void **state)
{
	static struct insn_cache c;

	for (size_t i = 0; i < NR_VECTORS; i++) {
		const struct vector *v = &vectors[i];

		memset(&c, 0, sizeof(c));
		assert_false(check(&c, 0x1000, v->bytes, v->len, v->mode));
		assert_true(check(&c, 0x1000, v->bytes, v->len, v->mode));
	}
}

/* Another instruction at the same address (code patched, or other code
 * mapped there): decoded afresh. */
static void test_changed_bytes(void **state)
{
	static struct insn_cache c;
	const u8 load[] = { 0x8b, 0x03 };   /* mov (%rbx),%eax */
	const u8 store[] = { 0x89, 0x03 };  /* mov %eax,(%rbx) */
	const u8 load8[] = { 0x8b, 0x43, 0x08 }; /* mov 8(%rbx),%eax */

	assert_false(check(&c, 0x2000, load, sizeof(load), DECODE_64));
	assert_false(check(&c, 0x2000, store, sizeof(store), DECODE_64));
	assert_true(check(&c, 0x2000, store, sizeof(store), DECODE_64));
	/* Same first bytes, a longer instruction. */
	assert_false(check(&c, 0x2000, load, sizeof(load), DECODE_64));
	assert_false(check(&c, 0x2000, load8, sizeof(load8), DECODE_64));
}

/* The same bytes in another code mode mean something else. */
static void test_other_mode(void **state)
{
	static struct insn_cache c;
	const u8 bytes[] = { 0x48, 0x89, 0x03 }; /* REX.W mov in 64-bit; INC first in 32 */

	assert_false(check(&c, 0x3000, bytes, sizeof(bytes), DECODE_64));
	assert_false(check(&c, 0x3000, bytes, sizeof(bytes), DECODE_32));
	assert_false(check(&c, 0x3000, bytes + 1, 2, DECODE_16));
	assert_false(check(&c, 0x3000, bytes + 1, 2, DECODE_32));
}

/* Fewer bytes than the remembered instruction (the copy stopped at a page
 * that no longer maps): no answer from the memo, the decoder's error.
 * Bytes after the instruction do not matter. */
static void test_length(void **state)
{
	static struct insn_cache c;
	u8 buf[X86_MAX_INSN_LEN] = { 0x8b, 0x43, 0x08, 0xcc, 0xcc };

	assert_false(check(&c, 0x4000, buf, sizeof(buf), DECODE_64));
	assert_false(check(&c, 0x4000, buf, 2, DECODE_64));
	memset(buf + 3, 0x90, sizeof(buf) - 3);
	assert_true(check(&c, 0x4000, buf, 3, DECODE_64));
	assert_true(check(&c, 0x4000, buf, sizeof(buf), DECODE_64));
}

/* What does not decode is not remembered. */
static void test_failure_not_remembered(void **state)
{
	static struct insn_cache c;
	const u8 ud2[] = { 0x0f, 0x0b };

	assert_false(check(&c, 0x5000, ud2, sizeof(ud2), DECODE_64));
	assert_false(check(&c, 0x5000, ud2, sizeof(ud2), DECODE_64));
}

/* Many instructions at many addresses, in every mode, sharing slots: every
 * answer is the decoder's, and instructions that come back are found. */
static void test_random_mix(void **state)
{
	static struct insn_cache c;
	unsigned hits = 0;

	srand(7);
	for (unsigned i = 0; i < 200000; i++) {
		/* A working set of 24 instructions, each at its own address. */
		unsigned pick = rand() % 24;
		const struct vector *v = &vectors[pick % NR_VECTORS];
		u8 buf[X86_MAX_INSN_LEN];
		size_t len = v->len + rand() % (X86_MAX_INSN_LEN - v->len + 1);

		memcpy(buf, v->bytes, v->len);
		for (size_t k = v->len; k < len; k++)
			buf[k] = rand();
		if (rand() % 8 == 0)
			buf[rand() % v->len] ^= 1 << (rand() % 8); /* patched code */
		hits += check(&c, 0xffffffff81000000ull + pick * 7, buf,
			      rand() % 16 ? len : rand() % (len + 1),
			      rand() % 4 ? v->mode : (enum decode_mode)(2 << (rand() % 3)));
	}
	assert_true(hits > 10000);
}

/* A driver's working set of up to INSN_CACHE_ENTRIES instructions, used
 * in turn, stays remembered wherever the instructions lie. */
static void test_working_set(void **state)
{
	static struct insn_cache c;
	const u8 load[] = { 0x8b, 0x03 }; /* mov (%rbx),%eax */

	for (unsigned round = 0; round < 3; round++)
		for (unsigned i = 0; i < INSN_CACHE_ENTRIES; i++)
			assert_int_equal(check(&c, 0xffffffffa0000000ull + i * 4096, load,
					       sizeof(load), DECODE_64),
					 round > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_decode_remembered),
		cmocka_unit_test(test_changed_bytes),
		cmocka_unit_test(test_other_mode),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_failure_not_remembered),
		cmocka_unit_test(test_random_mix),
		cmocka_unit_test(test_working_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
