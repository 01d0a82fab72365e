/* arch/x86/mtrr.c: memory types from MTRR values, as the SDM defines them,
 * on layouts firmware really programs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/mtrr.h"

#define CAP_8_VAR_FIX_WC (8 | MTRR_CAP_FIX | MTRR_CAP_WC)
#define WIDTH_MASK(bits) ((1ull << (bits)) - 1)
#define EIGHT(t) (0x0101010101010101ull * (t))

/* A variable range [base, base + size), size a power of two. */
static void set_var(struct mtrr_state *s, unsigned i, u64 base, u64 size, u8 type)
{
	s->var[i].base = base | type;
	s->var[i].mask = (~(size - 1) & WIDTH_MASK(s->phys_bits)) | MTRR_MASK_VALID;
}

/* A typical PC: RAM write-back below 640 KiB, VGA UC, option ROMs and BIOS
 * WP, default WB with the MMIO hole at 3-4 GiB UC. */
static struct mtrr_state typical_pc(void)
{
	struct mtrr_state s = { .cap = CAP_8_VAR_FIX_WC, .phys_bits = 39 };

	s.def_type = MTRR_DEF_E | MTRR_DEF_FE | MTRR_WB;
	s.fixed[0] = EIGHT(MTRR_WB);
	s.fixed[1] = EIGHT(MTRR_WB);
	s.fixed[2] = EIGHT(MTRR_UC);
	for (unsigned i = 3; i < MTRR_FIXED_MSRS; i++)
		s.fixed[i] = EIGHT(MTRR_WP);
	set_var(&s, 0, 0xc0000000, 1ull << 30, MTRR_UC);
	return s;
}

static void typical_pc_types(void **state)
{
	struct mtrr_state s = typical_pc();
	bool undefined = false;

	(void)state;
	assert_int_equal(mtrr_type(&s, 0, 0x1000, &undefined), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0, 0xa0000, &undefined), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0xa0000, 0x20000, &undefined), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0xbf000, 0x1000, &undefined), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0xc0000, 0x40000, &undefined), MTRR_WP);
	assert_int_equal(mtrr_type(&s, 0x9f000, 0x2000, &undefined), MTRR_MIXED);
	assert_int_equal(mtrr_type(&s, 0, 2 * MiB, &undefined), MTRR_MIXED);
	assert_int_equal(mtrr_type(&s, MiB, MiB, &undefined), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 2 * MiB, 2 * MiB, &undefined), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x40000000, GiB, &undefined), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0xc0000000, GiB, &undefined), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0xfee00000, 0x1000, &undefined), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0x80000000, 2 * GiB, &undefined), MTRR_MIXED);
	assert_int_equal(mtrr_type(&s, 4 * GiB, GiB, &undefined), MTRR_WB);
	/* Unaligned ranges cover their pages. */
	assert_int_equal(mtrr_type(&s, 0xbfffff00, 0x200, &undefined), MTRR_MIXED);
	assert_int_equal(mtrr_type(&s, 0xc0000010, 1, &undefined), MTRR_UC);
	assert_false(undefined);
}

static void describe_is(const struct mtrr_state *s, const char *want)
{
	char buf[256];

	assert_int_equal(mtrr_describe(s, buf, sizeof(buf), NULL), strlen(want));
	assert_string_equal(buf, want);
}

static void typical_pc_summary(void **state)
{
	struct mtrr_state s = typical_pc();

	(void)state;
	describe_is(&s, "UC 0xa0000-0xbffff, WP 0xc0000-0xfffff, UC 0xc0000000-0xffffffff, "
			"default WB");
}

/* What Bochs's BIOS programs: 512 MiB of RAM, VGA and the ROMs UC. */
static void bochs_bios_summary(void **state)
{
	struct mtrr_state s = typical_pc();

	(void)state;
	for (unsigned i = 3; i < MTRR_FIXED_MSRS; i++)
		s.fixed[i] = 0;
	describe_is(&s, "UC 0xa0000-0xfffff, UC 0xc0000000-0xffffffff, default WB");
}

/* Default UC, RAM WB by a variable range, a UC hole and a WT range inside
 * it (overlaps the SDM defines), no fixed ranges (FE = 0). */
static void overlaps_uc_and_wt_win(void **state)
{
	struct mtrr_state s = typical_pc();
	bool undefined = false;

	(void)state;
	s.def_type = MTRR_DEF_E | MTRR_UC;
	set_var(&s, 0, 0, 2 * GiB, MTRR_WB);
	set_var(&s, 1, 0x7f000000, 16 * MiB, MTRR_UC);
	set_var(&s, 2, 0x10000000, 256 * MiB, MTRR_WT);
	assert_int_equal(mtrr_type(&s, 0xa0000, 0x1000, &undefined), MTRR_WB); /* FE = 0 */
	assert_int_equal(mtrr_type(&s, 0, 256 * MiB, &undefined), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x10000000, 256 * MiB, &undefined), MTRR_WT);
	assert_int_equal(mtrr_type(&s, 0x7f000000, 16 * MiB, &undefined), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0x7e000000, 16 * MiB, &undefined), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x7e000000, 32 * MiB, &undefined), MTRR_MIXED);
	assert_int_equal(mtrr_type(&s, 2 * GiB, GiB, &undefined), MTRR_UC);
	assert_false(undefined);
	describe_is(&s, "WB 0x0-0xfffffff, WT 0x10000000-0x1fffffff, WB 0x20000000-0x7effffff, "
			"default UC");
}

static void undefined_overlap_gives_uc(void **state)
{
	struct mtrr_state s = typical_pc();
	bool undefined = false;
	char buf[128];

	(void)state;
	set_var(&s, 1, 0x20000000, 256 * MiB, MTRR_WC);
	set_var(&s, 2, 0x20000000, 128 * MiB, MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x28000000, 128 * MiB, &undefined), MTRR_WC);
	assert_false(undefined);
	assert_int_equal(mtrr_type(&s, 0x20000000, 128 * MiB, &undefined), MTRR_UC);
	assert_true(undefined);
	undefined = false;
	mtrr_describe(&s, buf, sizeof(buf), &undefined);
	assert_true(undefined);
}

static void disabled_mtrrs_are_all_uc(void **state)
{
	struct mtrr_state s = typical_pc();

	(void)state;
	s.def_type &= ~MTRR_DEF_E;
	assert_int_equal(mtrr_type(&s, 0, 1ull << 39, NULL), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0x100000, 0x1000, NULL), MTRR_UC);
	describe_is(&s, "MTRRs disabled: all UC");
}

static void fixed_ranges_need_fe_and_fix(void **state)
{
	struct mtrr_state s = typical_pc();

	(void)state;
	s.def_type &= ~MTRR_DEF_FE;
	assert_int_equal(mtrr_type(&s, 0xa0000, 0x1000, NULL), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0, 1ull << 30, NULL), MTRR_WB);
	s.def_type |= MTRR_DEF_FE;
	s.cap &= ~MTRR_CAP_FIX;
	assert_int_equal(mtrr_type(&s, 0xa0000, 0x1000, NULL), MTRR_WB);
}

/* A non-contiguous mask: every odd page UC.  Types stay exact and the
 * summary is cut short. */
static void sparse_mask(void **state)
{
	struct mtrr_state s = typical_pc();
	char buf[512];

	(void)state;
	s.var[1].base = 0x1000 | MTRR_UC;
	s.var[1].mask = 0x1000 | MTRR_MASK_VALID;
	assert_int_equal(mtrr_type(&s, 0x200000, 0x1000, NULL), MTRR_WB);
	assert_int_equal(mtrr_type(&s, 0x201000, 0x1000, NULL), MTRR_UC);
	assert_int_equal(mtrr_type(&s, 0x200000, 0x2000, NULL), MTRR_MIXED);
	assert_int_equal(mtrr_type(&s, 1ull << 32, 1ull << 32, NULL), MTRR_MIXED);
	mtrr_describe(&s, buf, sizeof(buf), NULL);
	assert_non_null(strstr(buf, "UC 0xa0000-0xbffff, WP 0xc0000-0xfffff, UC 0x101000-0x101fff, "));
	assert_non_null(strstr(buf, ", ..., default WB"));
}

static void msr_list_and_set(void **state)
{
	struct mtrr_state s = typical_pc(), t = { .cap = CAP_8_VAR_FIX_WC, .phys_bits = 39 };
	u32 list[MTRR_MSRS_MAX];
	unsigned n = mtrr_msr_list(&s, list);

	(void)state;
	assert_int_equal(n, 1 + 11 + 16);
	assert_int_equal(list[0], MSR_MTRR_DEF_TYPE);
	assert_int_equal(list[n - 1], 0x20f);
	assert_true(mtrr_is_msr(&s, 0x259));
	assert_true(mtrr_is_msr(&s, 0x26f));
	assert_false(mtrr_is_msr(&s, 0x210)); /* VCNT is 8 */
	assert_false(mtrr_is_msr(&s, 0x251));
	assert_false(mtrr_is_msr(&s, MSR_MTRR_CAP));
	assert_false(mtrr_set(&s, 0x270, 0));
	for (unsigned i = 0; i < n; i++) {
		const u64 *src = list[i] == MSR_MTRR_DEF_TYPE ? &s.def_type
				 : list[i] == 0x250 ? &s.fixed[0]
				 : list[i] >= 0x268 ? &s.fixed[3 + list[i] - 0x268]
				 : list[i] >= 0x258 ? &s.fixed[1 + list[i] - 0x258]
				 : list[i] & 1 ? &s.var[(list[i] - 0x200) / 2].mask
					       : &s.var[(list[i] - 0x200) / 2].base;

		assert_true(mtrr_set(&t, list[i], *src));
	}
	assert_memory_equal(&s, &t, sizeof(s));
	s.cap &= ~MTRR_CAP_FIX;
	assert_int_equal(mtrr_msr_list(&s, list), 1 + 16);
	assert_false(mtrr_is_msr(&s, 0x250));
}

static void writes_the_cpu_would_refuse(void **state)
{
	struct mtrr_state s = typical_pc();

	(void)state;
	assert_true(mtrr_write_valid(&s, MSR_MTRR_DEF_TYPE, 0xc06));
	assert_true(mtrr_write_valid(&s, MSR_MTRR_DEF_TYPE, 0));
	assert_false(mtrr_write_valid(&s, MSR_MTRR_DEF_TYPE, 0xc02));        /* type 2 */
	assert_false(mtrr_write_valid(&s, MSR_MTRR_DEF_TYPE, 0xc06 | BIT(8)));
	assert_false(mtrr_write_valid(&s, MSR_MTRR_DEF_TYPE, 0xc06 | BIT(12)));
	assert_true(mtrr_write_valid(&s, 0x200, 0x7fc0000000ull | MTRR_WC));
	assert_false(mtrr_write_valid(&s, 0x200, 0x8000000000ull | MTRR_WB)); /* > 39 bits */
	assert_false(mtrr_write_valid(&s, 0x200, 0x100 | MTRR_WB));
	assert_false(mtrr_write_valid(&s, 0x200, 7));
	assert_true(mtrr_write_valid(&s, 0x201, 0x7fc0000800ull));
	assert_false(mtrr_write_valid(&s, 0x201, 0x7fc0000801ull));
	assert_false(mtrr_write_valid(&s, 0x201, 0xffc0000800ull));
	assert_true(mtrr_write_valid(&s, 0x26f, EIGHT(MTRR_WP)));
	assert_false(mtrr_write_valid(&s, 0x26f, EIGHT(MTRR_WP) | 0x0300000000000000ull));
	assert_false(mtrr_write_valid(&s, 0x210, 0));                       /* no 9th range */
	assert_false(mtrr_write_valid(&s, MSR_MTRR_CAP, 0));
	s.cap &= ~MTRR_CAP_WC;
	assert_false(mtrr_write_valid(&s, 0x200, MTRR_WC));
	assert_false(mtrr_write_valid(&s, 0x250, EIGHT(MTRR_WC)));
	s.cap &= ~MTRR_CAP_FIX;
	assert_false(mtrr_write_valid(&s, MSR_MTRR_DEF_TYPE, 0xc06));        /* FE without FIX */
	assert_true(mtrr_write_valid(&s, MSR_MTRR_DEF_TYPE, 0x806));
	assert_false(mtrr_write_valid(&s, 0x250, 0));
}

static void same_layout_ignores_what_is_not_in_effect(void **state)
{
	struct mtrr_state a = typical_pc(), b = typical_pc();

	(void)state;
	assert_true(mtrr_same_layout(&a, &b));
	b.var[3].base = 0x12345000 | MTRR_WC; /* not valid */
	assert_true(mtrr_same_layout(&a, &b));
	b.var[3].mask = 0x7ffffff000ull | MTRR_MASK_VALID;
	assert_false(mtrr_same_layout(&a, &b));
	b = typical_pc();
	b.var[0].base |= 0xfff00000ull & ~0xc0000000ull & 0x3ff00000; /* bits the mask ignores */
	assert_true(mtrr_same_layout(&a, &b));
	b.fixed[2] = EIGHT(MTRR_WC);
	assert_false(mtrr_same_layout(&a, &b));
	a.def_type &= ~MTRR_DEF_FE;
	b.def_type &= ~MTRR_DEF_FE;
	assert_true(mtrr_same_layout(&a, &b));
	a.def_type &= ~MTRR_DEF_E;
	assert_false(mtrr_same_layout(&a, &b));
	b = (struct mtrr_state){ .cap = a.cap, .phys_bits = a.phys_bits };
	assert_true(mtrr_same_layout(&a, &b)); /* both disabled */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(typical_pc_types),
		cmocka_unit_test(typical_pc_summary),
		cmocka_unit_test(bochs_bios_summary),
		cmocka_unit_test(overlaps_uc_and_wt_win),
		cmocka_unit_test(undefined_overlap_gives_uc),
		cmocka_unit_test(disabled_mtrrs_are_all_uc),
		cmocka_unit_test(fixed_ranges_need_fe_and_fix),
		cmocka_unit_test(sparse_mask),
		cmocka_unit_test(msr_list_and_set),
		cmocka_unit_test(writes_the_cpu_would_refuse),
		cmocka_unit_test(same_layout_ignores_what_is_not_in_effect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
