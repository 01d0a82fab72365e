/* drivers/disk/ahci_cmd.c: what a guest AHCI command does (from Lamina's
 * copy), PRDT checks, FIS rewriting for pieces and failing commands, and
 * the shadow pool allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "drivers/disk/ahci_cmd.h"

#define HIDDEN_BASE 0x3de00000ull /* a "Lamina region" the range check refuses */
#define HIDDEN_SIZE (32 * MiB)
#define RAM_TOP (1 * GiB)

static bool range_ok(u64 gpa, u64 len)
{
	return len && gpa + len >= gpa && gpa + len <= RAM_TOP &&
	       !ranges_overlap(gpa, len, HIDDEN_BASE, HIDDEN_SIZE);
}

/* A register H2D FIS with a command, LBA mode. */
static void fis(u8 *f, u8 command, u64 lba, u16 count, u16 feature)
{
	memset(f, 0, AHCI_CFIS_SIZE);
	f[0] = 0x27;
	f[1] = 0x80;
	f[2] = command;
	f[3] = feature;
	f[11] = feature >> 8;
	f[4] = lba;
	f[5] = lba >> 8;
	f[6] = lba >> 16;
	f[7] = 0x40;
	f[8] = lba >> 24;
	f[9] = lba >> 32;
	f[10] = lba >> 40;
	f[12] = count;
	f[13] = count >> 8;
}

static u32 hdr(unsigned prdtl, bool write)
{
	return 5 | (write ? AHCI_HDR_WRITE : 0) | prdtl << AHCI_HDR_PRDTL_SHIFT;
}

static void test_ncq_read(void **state)
{
	u8 f[AHCI_CFIS_SIZE];
	struct ahci_op op;

	(void)state;
	fis(f, 0x60, 0x123456789aull, 3 << 3, 8);
	ahci_classify(hdr(1, false), f, 4096, &op);
	assert_int_equal(op.kind, AHCI_OP_DISK_READ);
	assert_true(op.ncq);
	assert_int_equal(op.form, AHCI_LBA_NCQ);
	assert_int_equal(op.lba, 0x123456789aull);
	assert_int_equal(op.sectors, 8);
	assert_int_equal(op.bytes, 4096);
	/* A count of 0 is 65536 sectors. */
	fis(f, 0x61, 0, 0, 0);
	ahci_classify(hdr(1, true), f, 32 * MiB, &op);
	assert_int_equal(op.kind, AHCI_OP_DISK_WRITE);
	assert_int_equal(op.sectors, 65536);
}

static void test_lba48_and_28(void **state)
{
	u8 f[AHCI_CFIS_SIZE];
	struct ahci_op op;

	(void)state;
	fis(f, 0x35, 1000, 256, 0);
	ahci_classify(hdr(2, true), f, 256 * 512, &op);
	assert_int_equal(op.kind, AHCI_OP_DISK_WRITE);
	assert_false(op.ncq);
	assert_int_equal(op.form, AHCI_LBA48);
	assert_int_equal(op.sectors, 256);
	/* READ DMA (28-bit): LBA bits 27:24 in the device register, count 0 = 256. */
	fis(f, 0xc8, 0, 0, 0);
	f[4] = 0x44;
	f[7] = 0x40 | 0x3;
	ahci_classify(hdr(1, false), f, 128 * KiB, &op);
	assert_int_equal(op.kind, AHCI_OP_DISK_READ);
	assert_int_equal(op.lba, 0x3000044);
	assert_int_equal(op.sectors, 256);
	/* CHS addressing cannot be placed: refused. */
	f[7] = 0;
	ahci_classify(hdr(1, false), f, 128 * KiB, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	/* Beyond the 28-bit range. */
	fis(f, 0xca, 0, 2, 0);
	f[4] = f[5] = f[6] = 0xff;
	f[7] = 0x4f;
	ahci_classify(hdr(1, true), f, 1024, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	assert_string_equal(op.why, "LBA out of range");
}

static void test_prds_shorter_than_sectors(void **state)
{
	u8 f[AHCI_CFIS_SIZE];
	struct ahci_op op;

	(void)state;
	fis(f, 0x25, 0, 8, 0);
	ahci_classify(hdr(1, false), f, 4094, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	/* Longer PRDs are fine, as on the HBA. */
	ahci_classify(hdr(1, false), f, 8192, &op);
	assert_int_equal(op.kind, AHCI_OP_DISK_READ);
	assert_int_equal(op.bytes, 4096);
}

static void test_plain_and_refused(void **state)
{
	u8 f[AHCI_CFIS_SIZE];
	struct ahci_op op;

	(void)state;
	fis(f, 0xec, 0, 0, 0); /* IDENTIFY */
	ahci_classify(hdr(1, false), f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_PLAIN_IN);
	assert_int_equal(op.bytes, 512);
	fis(f, 0x06, 0, 1, 1); /* DSM TRIM */
	ahci_classify(hdr(1, true), f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_PLAIN_OUT);
	fis(f, 0xb0, 0, 1, 0xd6); /* SMART WRITE LOG */
	ahci_classify(hdr(1, true), f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	fis(f, 0x3f, 0, 1, 0); /* WRITE LOG EXT (SCT could write sectors) */
	ahci_classify(hdr(1, true), f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	fis(f, 0x64, 0, 0, 1); /* SEND FPDMA QUEUED */
	ahci_classify(hdr(1, true), f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	assert_true(op.ncq);
	fis(f, 0xec, 0, 0, 0);
	ahci_classify(hdr(1, false), f, AHCI_PLAIN_MAX + 2, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	/* ATAPI: whatever the packet, its data is bounced unchanged. */
	fis(f, 0xa0, 0, 0, 1);
	ahci_classify(hdr(1, false) | AHCI_HDR_ATAPI, f, 2048, &op);
	assert_int_equal(op.kind, AHCI_OP_PLAIN_IN);
	/* A disk opcode in an ATAPI command is not disk data either. */
	fis(f, 0x35, 0, 1, 0);
	ahci_classify(hdr(1, true) | AHCI_HDR_ATAPI, f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_PLAIN_OUT);
}

static void test_nodata(void **state)
{
	u8 f[AHCI_CFIS_SIZE];
	struct ahci_op op;

	(void)state;
	fis(f, 0xea, 0, 0, 0); /* FLUSH CACHE EXT */
	ahci_classify(hdr(0, false), f, 0, &op);
	assert_int_equal(op.kind, AHCI_OP_NODATA);
	/* A data command without PRDs moves nothing: as is. */
	fis(f, 0x35, 0, 8, 0);
	ahci_classify(hdr(0, true), f, 0, &op);
	assert_int_equal(op.kind, AHCI_OP_NODATA);
	/* A device-control FIS (soft reset, C bit clear) with PRDs: refused. */
	fis(f, 0, 0, 0, 0);
	f[1] = 0;
	f[15] = 4;
	ahci_classify(hdr(0, false), f, 0, &op);
	assert_int_equal(op.kind, AHCI_OP_NODATA);
	ahci_classify(hdr(1, false), f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
	/* A FIS length under two dwords is malformed. */
	fis(f, 0xea, 0, 0, 0);
	ahci_classify(1, f, 0, &op);
	assert_int_equal(op.kind, AHCI_OP_REJECT);
}

static void test_prdt_parse(void **state)
{
	struct ahci_prd prd[3] = {
		{ .dba = 0x100001, .dbc = 4095 },           /* bit 0 of DBA ignored */
		{ .dba = 0x200000, .dbau = 0, .dbc = 511 },
		{ .dba = 0x300000, .dbc = 1023 | 1u << 31 }, /* IRQ bit ignored */
	};
	struct ahci_seg segs[3];
	u64 total = 0;

	(void)state;
	assert_null(ahci_prdt_parse(prd, 3, range_ok, segs, &total));
	assert_int_equal(total, 4096 + 512 + 1024);
	assert_int_equal(segs[0].addr, 0x100000);
	assert_int_equal(segs[2].len, 1024);
	/* An odd byte count. */
	prd[1].dbc = 510;
	assert_non_null(ahci_prdt_parse(prd, 3, range_ok, segs, &total));
	prd[1].dbc = 511;
	/* A buffer in Lamina's region, one straddling its start, one wrapping. */
	prd[2].dba = (u32)HIDDEN_BASE;
	assert_non_null(ahci_prdt_parse(prd, 3, range_ok, segs, &total));
	prd[2].dba = (u32)HIDDEN_BASE - 512;
	assert_non_null(ahci_prdt_parse(prd, 3, range_ok, segs, &total));
	prd[2].dba = 0xfffffe00;
	prd[2].dbau = 0xffffffff;
	assert_non_null(ahci_prdt_parse(prd, 3, range_ok, segs, &total));
	/* More entries than Lamina takes. */
	assert_non_null(ahci_prdt_parse(prd, AHCI_MAX_GUEST_PRDS + 1, range_ok, segs, &total));
}

static void test_set_range_round_trip(void **state)
{
	static const struct { u8 command; u64 lba; u32 sectors; } cases[] = {
		{ 0x60, 0xfedcba987654ull, 65536 },
		{ 0x35, 0x0000ffff0001ull, 128 },
		{ 0xc8, 0x0abcdefull, 256 },
		{ 0x25, 0x1ull, 65536 },
	};
	u8 f[AHCI_CFIS_SIZE];
	struct ahci_op op, piece;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fis(f, cases[i].command, 0, 0, 0);
		ahci_classify(hdr(1, false), f, 32 * MiB, &op);
		ahci_cfis_set_range(f, op.form, cases[i].lba, cases[i].sectors);
		ahci_classify(hdr(1, false), f, 32 * MiB, &piece);
		assert_int_equal(piece.kind, op.kind);
		assert_int_equal(piece.lba, cases[i].lba);
		assert_int_equal(piece.sectors, cases[i].sectors);
	}
}

static void test_failing_fis(void **state)
{
	u8 f[AHCI_CFIS_SIZE];
	struct ahci_op op;

	(void)state;
	ahci_cfis_failing(f, true, 17);
	ahci_classify(hdr(1, false), f, 512, &op);
	assert_int_equal(op.kind, AHCI_OP_DISK_READ);
	assert_true(op.ncq);
	assert_int_equal(op.lba, (1ull << 48) - 1);
	assert_int_equal(op.sectors, 1);
	assert_int_equal(f[12] >> 3, 17);
	ahci_cfis_failing(f, false, 0);
	ahci_classify(hdr(1, false), f, 512, &op);
	assert_int_equal(f[2], 0x25);
	assert_false(op.ncq);
	assert_int_equal(op.lba + op.sectors, 1ull << 48); /* past any disk */
}

static unsigned total_units(const struct ahci_run *r, unsigned n)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += r[i].count;
	return sum;
}

static void test_pool(void **state)
{
	struct ahci_pool p;
	struct ahci_run a[8], b[8], c[8], d[8];
	unsigned na, nb, nc, nd;

	(void)state;
	ahci_pool_init(&p, 16);
	na = ahci_pool_alloc(&p, 4, a, 8);
	nb = ahci_pool_alloc(&p, 4, b, 8);
	nc = ahci_pool_alloc(&p, 4, c, 8);
	assert_int_equal(na + nb + nc, 3); /* one run each while contiguous space lasts */
	assert_int_equal(p.free, 4);
	ahci_pool_free(&p, b, nb);
	/* 8 free in two holes of 4: one request of 8 takes both. */
	nd = ahci_pool_alloc(&p, 8, d, 8);
	assert_int_equal(nd, 2);
	assert_int_equal(total_units(d, nd), 8);
	assert_int_equal(p.free, 0);
	/* Nothing left: refused, nothing changes. */
	assert_int_equal(ahci_pool_alloc(&p, 1, b, 8), 0);
	ahci_pool_free(&p, d, nd);
	ahci_pool_free(&p, a, na);
	assert_int_equal(p.free, 12);
	/* A run limit that cannot be met gives everything back. */
	ahci_pool_free(&p, c, nc);
	ahci_pool_init(&p, 16);
	for (unsigned i = 0; i < 16; i += 2)
		assert_int_equal(ahci_pool_alloc(&p, 1, &a[i / 2], 1), 1); /* units 0..7 */
	for (unsigned i = 0; i < 8; i += 2)
		ahci_pool_free(&p, &a[i], 1); /* holes at 0, 2, 4, 6 */
	assert_int_equal(p.free, 12);
	assert_int_equal(ahci_pool_alloc(&p, 12, b, 4), 0);
	assert_int_equal(p.free, 12);
	nb = ahci_pool_alloc(&p, 12, b, 5);
	assert_int_equal(nb, 5);
	assert_int_equal(total_units(b, nb), 12);
	assert_int_equal(p.free, 0);
	/* Zero units or more than the pool: refused. */
	ahci_pool_init(&p, 4);
	assert_int_equal(ahci_pool_alloc(&p, 0, a, 8), 0);
	assert_int_equal(ahci_pool_alloc(&p, 5, a, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ncq_read),
		cmocka_unit_test(test_lba48_and_28),
		cmocka_unit_test(test_prds_shorter_than_sectors),
		cmocka_unit_test(test_plain_and_refused),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_prdt_parse),
		cmocka_unit_test(test_set_range_round_trip),
		cmocka_unit_test(test_failing_fis),
		cmocka_unit_test(test_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
