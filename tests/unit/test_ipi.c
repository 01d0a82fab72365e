/* Which CPUs an IPI reaches: the decisions Lamina's INIT/SIPI emulation
 * takes for the guest (SDM vol. 3 "Local APIC": ICR, logical and physical
 * destination modes, shorthands; x2APIC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/ipi.h"

#define FLAT 0xffffffffu
#define CLUSTER 0x0fffffffu

static u64 xicr(u32 dest, u32 low)
{
	return (u64)(dest << 24) << 32 | low;
}

static void decodes_init_and_startup(void **state)
{
	(void)state;
	struct ipi i = ipi_decode(xicr(3, 0xc500), false);

	assert_int_equal(i.mode, IPI_INIT);
	assert_true(i.assert);
	assert_true(i.level);
	assert_false(ipi_is_init_deassert(&i));
	assert_int_equal(i.dest, 3);

	i = ipi_decode(xicr(3, 0x8500), false);
	assert_true(ipi_is_init_deassert(&i));

	i = ipi_decode(xicr(1, 0x069a), false);
	assert_int_equal(i.mode, IPI_STARTUP);
	assert_int_equal(i.vector, 0x9a);
	assert_int_equal(i.shorthand, IPI_DEST_FIELD);
}

static void physical_destinations(void **state)
{
	(void)state;
	struct ipi_cpu c0 = { 0, 0, FLAT }, c5 = { 5, 0, FLAT };
	struct ipi to5 = ipi_decode(xicr(5, 0x4500), false);
	struct ipi bcast = ipi_decode(xicr(0xff, 0x4500), false);
	struct ipi absent = ipi_decode(xicr(0x42, 0x4500), false);

	assert_true(ipi_reaches(&to5, 0, &c5));
	assert_false(ipi_reaches(&to5, 0, &c0));
	assert_true(ipi_reaches(&bcast, 0, &c0));
	assert_true(ipi_reaches(&bcast, 0, &c5));
	assert_false(ipi_reaches(&absent, 0, &c0));
	assert_false(ipi_reaches(&absent, 0, &c5));
}

static void shorthands_ignore_the_destination(void **state)
{
	(void)state;
	struct ipi_cpu self = { 2, 0, FLAT }, other = { 7, 0, FLAT };
	struct ipi s = ipi_decode(xicr(7, 0x44500), false);   /* self */
	struct ipi all = ipi_decode(xicr(0, 0x84500), false); /* all incl. self */
	struct ipi but = ipi_decode(xicr(2, 0xc4500), false); /* all but self */

	assert_true(ipi_reaches(&s, 2, &self));
	assert_false(ipi_reaches(&s, 2, &other));
	assert_true(ipi_reaches(&all, 2, &self));
	assert_true(ipi_reaches(&all, 2, &other));
	assert_false(ipi_reaches(&but, 2, &self));
	assert_true(ipi_reaches(&but, 2, &other));
}

static void logical_flat_and_cluster(void **state)
{
	(void)state;
	struct ipi_cpu flat1 = { 0, 0x01000000, FLAT }, flat4 = { 1, 0x04000000, FLAT };
	struct ipi_cpu cl21 = { 0, 0x21000000, CLUSTER }, cl31 = { 1, 0x31000000, CLUSTER };
	struct ipi m5 = ipi_decode(xicr(0x05, 0x4d00), false); /* logical, INIT */
	struct ipi c2 = ipi_decode(xicr(0x23, 0x4d00), false);

	assert_true(ipi_reaches(&m5, 9, &flat1));
	assert_true(ipi_reaches(&m5, 9, &flat4));
	m5.dest = 0x02;
	assert_false(ipi_reaches(&m5, 9, &flat1));
	assert_true(ipi_reaches(&c2, 9, &cl21));
	assert_false(ipi_reaches(&c2, 9, &cl31)); /* another cluster */
}

static void x2apic_destinations(void **state)
{
	(void)state;
	struct ipi_cpu big = { 300, 0x00120004, 0 }, small = { 3, 0x00000008, 0 };
	struct ipi phys = ipi_decode((u64)300 << 32 | 0x4500, true);
	struct ipi logical = ipi_decode((u64)0x00120006 << 32 | 0x4d00, true);
	struct ipi bcast = ipi_decode((u64)0xffffffff << 32 | 0x0600, true);

	assert_int_equal(phys.dest, 300);
	assert_true(ipi_reaches(&phys, 0, &big));
	assert_false(ipi_reaches(&phys, 0, &small)); /* 300 is not 300 & 0xff */
	assert_true(ipi_reaches(&logical, 0, &big));
	assert_false(ipi_reaches(&logical, 0, &small));
	assert_true(ipi_reaches(&bcast, 0, &small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_init_and_startup),
		cmocka_unit_test(physical_destinations),
		cmocka_unit_test(shorthands_ignore_the_destination),
		cmocka_unit_test(logical_flat_and_cluster),
		cmocka_unit_test(x2apic_destinations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
