/* The instruction decoder (arch/x86/decode.c) against encodings produced
 * by GNU as (tests/unit/decode_vectors.h), plus truncation, prefix limits
 * and unsupported opcodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/decode.h"

#include "tests/unit/decode_table.h"

static void check_one(const struct vector *v)
{
	struct decoded_insn d;
	const struct decoded_insn *w = &v->want;
	char what[160];

	snprintf(what, sizeof(what), "%s", v->text);
	if (x86_decode(v->bytes, v->len, v->mode, &d)) {
		print_error("%s: decode failed\n", what);
		fail();
	}
#define EQ(f)                                                                           \
	do {                                                                            \
		if ((long long)d.f != (long long)w->f) {                                \
			print_error("%s: " #f " is %lld, want %lld\n", what, (long long)d.f, \
				    (long long)w->f);                                   \
			fail();                                                         \
		}                                                                       \
	} while (0)
	EQ(len); EQ(op); EQ(size); EQ(reg_size); EQ(reg); EQ(reg_high8); EQ(has_imm);
	EQ(mem_is_dst); EQ(has_mem); EQ(lock); EQ(port_in_dx); EQ(rep);
	if (w->has_imm)
		EQ(imm);
	if (w->op == DECODE_IN || w->op == DECODE_OUT)
		EQ(port_imm);
	if (w->has_mem) {
		EQ(mem.seg); EQ(mem.base); EQ(mem.index); EQ(mem.addr_size); EQ(mem.rip_rel);
		EQ(mem.disp);
		if (w->mem.index != REG_NONE)
			EQ(mem.scale);
	}
#undef EQ
}

static void test_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		check_one(&vectors[i]);
}

/* Every proper prefix of a valid encoding is truncated: an error, and no
 * byte beyond the given length is read (ASan would catch it too). */
static void test_truncated(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];

		for (unsigned n = 0; n < v->len; n++) {
			struct decoded_insn d;
			u8 copy[X86_MAX_INSN_LEN];

			memcpy(copy, v->bytes, n);
			assert_int_equal(x86_decode(copy, n, v->mode, &d), -1);
			assert_int_equal(d.op, DECODE_UNSUPPORTED);
			assert_true(d.len <= n);
		}
	}
}

static void test_too_long(void **state)
{
	u8 buf[32];
	struct decoded_insn d;

	/* 14 prefixes + mov (%rax),%eax = 16 bytes: over the limit. */
	memset(buf, 0x66, 14);
	buf[14] = 0x8b;
	buf[15] = 0x00;
	assert_int_equal(x86_decode(buf, sizeof(buf), DECODE_64, &d), -1);
	/* 13 prefixes: 15 bytes, fine (operand size 16). */
	assert_int_equal(x86_decode(buf + 1, sizeof(buf) - 1, DECODE_64, &d), 0);
	assert_int_equal(d.len, 15);
	assert_int_equal(d.size, 2);
	/* Only prefixes. */
	memset(buf, 0xf3, sizeof(buf));
	assert_int_equal(x86_decode(buf, sizeof(buf), DECODE_64, &d), -1);
}

static void test_unsupported(void **state)
{
	static const u8 cases[][4] = {
		{ 0x0f, 0x0b },       /* ud2 */
		{ 0x89, 0xc0 },       /* mov %eax,%eax: no memory operand */
		{ 0xf7, 0x10 },       /* notl (%rax) */
		{ 0xc7, 0x08, 0, 0 }, /* c7 /1 */
		{ 0x0f, 0xba, 0x07, 1 }, /* 0f ba /0: group 8 has BT.. at /4-/7 only */
		{ 0xff, 0x00 },       /* incl (%rax) */
		{ 0x90 },             /* nop */
	};
	struct decoded_insn d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(x86_decode(cases[i], sizeof(cases[i]), DECODE_64, &d), -1);
		assert_int_equal(d.op, DECODE_UNSUPPORTED);
	}
	assert_int_equal(x86_decode(cases[0], 2, (enum decode_mode)3, &d), -1);
}

/* REX is ignored outside 64-bit mode (0x40 is INC there, unsupported),
 * and a legacy prefix after REX cancels it. */
static void test_rex_rules(void **state)
{
	const u8 inc[] = { 0x48, 0x89, 0x03 };
	const u8 cancelled[] = { 0x48, 0x66, 0x89, 0x03 }; /* REX.W then 66: 16-bit */
	struct decoded_insn d;

	assert_int_equal(x86_decode(inc, sizeof(inc), DECODE_32, &d), -1);
	assert_int_equal(x86_decode(inc, sizeof(inc), DECODE_64, &d), 0);
	assert_int_equal(d.size, 8);
	assert_int_equal(x86_decode(cancelled, sizeof(cancelled), DECODE_64, &d), 0);
	assert_int_equal(d.size, 2);
	assert_int_equal(d.len, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_rex_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
