/* arch/x86/e820.c and arch/x86/chain_plan.c: the guest's memory map, the
 * drives a chain boot tries, and the legacy memory-size limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/chain.h"
#include "arch/x86/e820.h"

#define R(b, s, t) ((struct mem_range){ (b), (s), (t) })

/* QEMU pc, 1 GiB: SeaBIOS's map. */
static const struct mem_range qemu_map[] = {
	R(0, 0x9fc00, 1), R(0x9fc00, 0x400, 2), R(0xf0000, 0x10000, 2),
	R(0x100000, 0x3fee0000, 1), R(0x3ffe0000, 0x20000, 2), R(0xfffc0000, 0x40000, 2),
};

static void assert_range(const struct mem_range *m, uint64_t b, uint64_t s, uint32_t t)
{
	assert_int_equal(m->base, b);
	assert_int_equal(m->size, s);
	assert_int_equal(m->type, t);
}

static void region_inside_ram_is_cut_out(void **state)
{
	struct mem_range out[16];
	unsigned n;

	(void)state;
	n = e820_set_range(qemu_map, 6, out, 16, 0x3de00000, 0x2000000, 2);
	assert_int_equal(n, 8);
	assert_range(&out[2], 0xf0000, 0x10000, 2);
	assert_range(&out[3], 0x100000, 0x3dd00000, 1);
	assert_range(&out[4], 0x3de00000, 0x2000000, 2);
	assert_range(&out[5], 0x3fe00000, 0x1e0000, 1);
	assert_range(&out[6], 0x3ffe0000, 0x20000, 2);
}

static void region_at_the_end_of_ram(void **state)
{
	static const struct mem_range in[] = { R(0, 0x9fc00, 1), R(0x100000, 0x3ff00000, 1) };
	struct mem_range out[8];
	unsigned n;

	(void)state;
	n = e820_set_range(in, 2, out, 8, 0x3e000000, 0x2000000, 2);
	assert_int_equal(n, 3);
	assert_range(&out[1], 0x100000, 0x3df00000, 1);
	assert_range(&out[2], 0x3e000000, 0x2000000, 2);
}

static void uncovered_range_is_inserted_in_order(void **state)
{
	struct mem_range out[16];
	unsigned n;

	(void)state;
	n = e820_set_range(qemu_map, 6, out, 16, 0x80000000, 0x1000, 2);
	assert_int_equal(n, 7);
	assert_range(&out[5], 0x80000000, 0x1000, 2);
	assert_range(&out[6], 0xfffc0000, 0x40000, 2);
	n = e820_set_range(qemu_map, 6, out, 16, 0x200000000ull, 0x1000, 2);
	assert_int_equal(n, 7);
	assert_range(&out[6], 0x200000000ull, 0x1000, 2);
}

static void range_spanning_entries(void **state)
{
	struct mem_range out[16];
	unsigned n;

	(void)state;
	/* From the middle of low RAM to the middle of high RAM. */
	n = e820_set_range(qemu_map, 6, out, 16, 0x9e000, 0x200000, 2);
	assert_int_equal(n, 5);
	assert_range(&out[0], 0, 0x9e000, 1);
	assert_range(&out[1], 0x9e000, 0x200000, 2);
	assert_range(&out[2], 0x29e000, 0x3fd42000, 1);
}

static void chain_stub_below_the_ebda(void **state)
{
	struct mem_range out[16];
	unsigned n;

	(void)state;
	n = e820_set_range(qemu_map, 6, out, 16, 0x9f000, 0x9fc00 - 0x9f000, 2);
	assert_int_equal(n, 7);
	assert_range(&out[0], 0, 0x9f000, 1);
	assert_range(&out[1], 0x9f000, 0xc00, 2);
	assert_range(&out[2], 0x9fc00, 0x400, 2);
}

static void full_output_reports_the_need(void **state)
{
	struct mem_range out[4];

	(void)state;
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(e820_set_range(qemu_map, 6, out, 4, 0x3de00000, 0x2000000, 2), 8);
	assert_range(&out[3], 0x100000, 0x3dd00000, 1);
	assert_int_equal(e820_set_range(qemu_map, 6, out, 0, 0, 0x1000, 2), 7);
}

static void drive_lists(void **state)
{
	uint8_t d[CHAIN_MAX_DRIVES];

	(void)state;
	/* Loaded from the first hard disk: the others, in order. */
	assert_int_equal(chain_drive_list(OPT_CHAIN_DRIVE_AUTO, 0x80, 3, d, 16), 2);
	assert_int_equal(d[0], 0x81);
	assert_int_equal(d[1], 0x82);
	/* Loaded from a CD (or unknown): every hard disk. */
	assert_int_equal(chain_drive_list(OPT_CHAIN_DRIVE_AUTO, 0xe0, 2, d, 16), 2);
	assert_int_equal(d[0], 0x80);
	assert_int_equal(chain_drive_list(OPT_CHAIN_DRIVE_AUTO, BIOS_DRIVE_NONE, 1, d, 16), 1);
	assert_int_equal(d[0], 0x80);
	/* Nothing else to boot. */
	assert_int_equal(chain_drive_list(OPT_CHAIN_DRIVE_AUTO, 0x80, 1, d, 16), 0);
	assert_int_equal(chain_drive_list(OPT_CHAIN_DRIVE_AUTO, 0xe0, 0, d, 16), 0);
	/* A named drive is the only one, even the boot drive or a floppy. */
	assert_int_equal(chain_drive_list(0x80, 0x80, 2, d, 16), 1);
	assert_int_equal(d[0], 0x80);
	assert_int_equal(chain_drive_list(0x00, 0x80, 0, d, 16), 1);
	assert_int_equal(d[0], 0x00);
	/* Bounded by the room given. */
	assert_int_equal(chain_drive_list(OPT_CHAIN_DRIVE_AUTO, BIOS_DRIVE_NONE, 200, d, 16), 16);
	assert_int_equal(d[15], 0x8f);
	assert_int_equal(chain_drive_list(0x81, 0x80, 2, d, 0), 0);
}

static void legacy_memory_limits(void **state)
{
	struct chain_mem_limits l;

	(void)state;
	l = chain_mem_limits(0x3de00000); /* QEMU 1 GiB, 32 MiB region */
	assert_int_equal(l.e801_ax, 0x3c00);
	assert_int_equal(l.e801_bx, (0x3de00000 - 0x1000000) >> 16);
	assert_int_equal(l.ext88, 0xffff);
	l = chain_mem_limits(0x2000000);
	assert_int_equal(l.ext88, 31 * 1024);
	assert_int_equal(l.e801_bx, 0x100);
	l = chain_mem_limits(0x800000); /* below 16 MiB */
	assert_int_equal(l.e801_ax, 7 * 1024);
	assert_int_equal(l.e801_bx, 0);
	l = chain_mem_limits(0xfe000000ull);
	assert_int_equal(l.e801_bx, 0xfd00);
	l = chain_mem_limits(0x100000);
	assert_int_equal(l.e801_ax, 0);
	assert_int_equal(l.ext88, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(region_inside_ram_is_cut_out),
		cmocka_unit_test(region_at_the_end_of_ram),
		cmocka_unit_test(uncovered_range_is_inserted_in_order),
		cmocka_unit_test(range_spanning_entries),
		cmocka_unit_test(chain_stub_below_the_ebda),
		cmocka_unit_test(full_output_reports_the_need),
		cmocka_unit_test(drive_lists),
		cmocka_unit_test(legacy_memory_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
