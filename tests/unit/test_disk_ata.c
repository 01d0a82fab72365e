/* drivers/disk/ata.c: task-file tracking (LBA28/LBA48), command classes,
 * task-file encoding for partial requests, PRD table copy and checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "drivers/disk/ata.h"

static void write_tf(struct ata_taskfile *tf, enum ata_reg r, u8 hob, u8 cur)
{
	ata_tf_write(tf, r, hob);
	ata_tf_write(tf, r, cur);
}

static void lba28_and_lba48(void **state)
{
	struct ata_taskfile tf = { 0 };
	u64 lba;
	u32 n;

	(void)state;
	ata_tf_write(&tf, ATA_REG_COUNT, 0);
	ata_tf_write(&tf, ATA_REG_LBA_LOW, 0x44);
	ata_tf_write(&tf, ATA_REG_LBA_MID, 0x33);
	ata_tf_write(&tf, ATA_REG_LBA_HIGH, 0x22);
	ata_tf_write(&tf, ATA_REG_DEVICE, 0xe1); /* LBA, master, bits 24-27 = 1 */
	assert_true(ata_tf_range(&tf, false, &lba, &n));
	assert_int_equal(lba, 0x1223344);
	assert_int_equal(n, 256); /* 0 means 256 */
	assert_int_equal(ata_tf_unit(&tf), 0);

	write_tf(&tf, ATA_REG_COUNT, 0x12, 0x34);
	write_tf(&tf, ATA_REG_LBA_LOW, 0x04, 0x01);
	write_tf(&tf, ATA_REG_LBA_MID, 0x05, 0x02);
	write_tf(&tf, ATA_REG_LBA_HIGH, 0x06, 0x03);
	ata_tf_write(&tf, ATA_REG_DEVICE, 0x50); /* LBA, slave */
	assert_true(ata_tf_range(&tf, true, &lba, &n));
	assert_int_equal(lba, 0x060504030201ull);
	assert_int_equal(n, 0x1234);
	assert_int_equal(ata_tf_unit(&tf), 1);
	write_tf(&tf, ATA_REG_COUNT, 0, 0);
	assert_true(ata_tf_range(&tf, true, &lba, &n));
	assert_int_equal(n, 65536);

	ata_tf_write(&tf, ATA_REG_DEVICE, 0x10); /* CHS */
	assert_false(ata_tf_range(&tf, true, &lba, &n));
	/* Data and command are not task-file registers. */
	ata_tf_write(&tf, ATA_REG_DATA, 0x99);
	ata_tf_write(&tf, ATA_REG_COMMAND, 0x99);
	assert_int_equal(tf.reg[ATA_REG_DATA], 0);
	assert_int_equal(tf.reg[ATA_REG_COMMAND], 0);
}

/* Replaying ata_tf_encode's bytes gives back the range. */
static void encode_round_trip(void **state)
{
	static const struct { bool lba48; u64 lba; u32 n; } cases[] = {
		{ false, 0, 1 }, { false, 0x0fffffff, 256 }, { false, 0x123456, 200 },
		{ true, 0, 65536 }, { true, 0xffffffffffffull, 1 }, { true, 0x123456789aull, 4096 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ata_taskfile tf = { 0 };
		struct ata_tf_bytes b;
		u64 lba;
		u32 n;

		ata_tf_write(&tf, ATA_REG_DEVICE, 0xf0); /* LBA, slave, stale bits 24-27 */
		ata_tf_encode(&tf, cases[i].lba48, cases[i].lba, cases[i].n, &b);
		if (cases[i].lba48)
			ata_tf_write(&tf, ATA_REG_COUNT, b.count[0]);
		ata_tf_write(&tf, ATA_REG_COUNT, b.count[1]);
		for (unsigned r = 0; r < 3; r++) {
			if (cases[i].lba48)
				ata_tf_write(&tf, ATA_REG_LBA_LOW + r, b.lba[r][0]);
			ata_tf_write(&tf, ATA_REG_LBA_LOW + r, b.lba[r][1]);
		}
		ata_tf_write(&tf, ATA_REG_DEVICE, b.device);
		assert_true(ata_tf_range(&tf, cases[i].lba48, &lba, &n));
		assert_int_equal(lba, cases[i].lba);
		assert_int_equal(n, cases[i].n);
		assert_int_equal(ata_tf_unit(&tf), 1);
	}
}

static void classes(void **state)
{
	(void)state;
	assert_int_equal(ata_classify(0x25).xfer, ATA_XFER_DMA_READ);
	assert_true(ata_classify(0x25).lba48);
	assert_int_equal(ata_classify(0xc8).xfer, ATA_XFER_DMA_READ);
	assert_false(ata_classify(0xc8).lba48);
	assert_int_equal(ata_classify(0x35).xfer, ATA_XFER_DMA_WRITE);
	assert_int_equal(ata_classify(0x3d).xfer, ATA_XFER_DMA_WRITE);
	assert_int_equal(ata_classify(0xca).xfer, ATA_XFER_DMA_WRITE);
	assert_int_equal(ata_classify(0x20).xfer, ATA_XFER_PIO_READ);
	assert_int_equal(ata_classify(0x29).xfer, ATA_XFER_PIO_READ);
	assert_int_equal(ata_classify(0xc5).xfer, ATA_XFER_PIO_WRITE);
	assert_true(ata_classify(0x34).lba48);
	assert_int_equal(ata_classify(0xec).xfer, ATA_XFER_NONE); /* IDENTIFY */
	assert_int_equal(ata_classify(0xe7).xfer, ATA_XFER_NONE); /* FLUSH */
	assert_int_equal(ata_classify(0xea).xfer, ATA_XFER_NONE);
	assert_int_equal(ata_classify(0xef).xfer, ATA_XFER_NONE);
	assert_int_equal(ata_classify(0xa0).xfer, ATA_XFER_NONE); /* PACKET */
	assert_int_equal(ata_classify(0x32).xfer, ATA_XFER_REFUSED); /* WRITE LONG */
	assert_int_equal(ata_classify(0x3a).xfer, ATA_XFER_REFUSED); /* WRITE STREAM */
	assert_int_equal(ata_classify(0xcc).xfer, ATA_XFER_REFUSED); /* WRITE DMA QUEUED */
	assert_int_equal(ata_classify(ATA_CMD_ABORT_ME).xfer, ATA_XFER_REFUSED);
}

/* ---- PRD tables over a fake guest memory */

#define MEM_BASE 0x100000u
#define MEM_SIZE (4u << 20)
static u8 mem[MEM_SIZE];
static u64 refused_from, refused_len;

static int mem_read(void *dst, u64 gpa, size_t len)
{
	if (gpa < MEM_BASE || gpa + len > MEM_BASE + MEM_SIZE)
		return -1;
	memcpy(dst, mem + (gpa - MEM_BASE), len);
	return 0;
}

static bool mem_ok(u64 gpa, u64 len)
{
	if (refused_len && gpa < refused_from + refused_len && refused_from < gpa + len)
		return false;
	return gpa >= MEM_BASE && gpa + len <= MEM_BASE + MEM_SIZE;
}

static void put_prd(u32 table, unsigned i, u32 addr, u32 count)
{
	struct prd p = { addr, count };

	memcpy(mem + (table - MEM_BASE) + i * sizeof(p), &p, sizeof(p));
}

static struct prd out[PRD_TABLE_MAX];

static void prd_valid_tables(void **state)
{
	u32 t = MEM_BASE + 0x1ff8; /* straddles a page: copied in two pieces */
	unsigned n;

	(void)state;
	refused_len = 0;
	put_prd(t, 0, MEM_BASE + 0x10000, 0x8000);
	put_prd(t, 1, MEM_BASE + 0x20000, 0);               /* 0 = 64 KiB */
	put_prd(t, 2, MEM_BASE + 0x30001, 0x201 | PRD_EOT); /* bit 0s ignored */
	assert_int_equal(prd_copy_table(t, out, &n, 0x8000 + 0x10000 + 0x200, mem_read, mem_ok),
			 PRD_OK);
	assert_int_equal(n, 3);
	assert_int_equal(prd_bytes(&out[1]), 0x10000);
	assert_int_equal(prd_addr(&out[2]), MEM_BASE + 0x30000);
	assert_int_equal(prd_bytes(&out[2]), 0x200);
	/* Expected size 0: any size. */
	assert_int_equal(prd_copy_table(t + 1, out, &n, 0, mem_read, mem_ok), PRD_OK);
	/* The copy is what counts: changing the guest's table later does not matter. */
	put_prd(t, 0, 0xdead0000, 0x10);
	assert_int_equal(prd_addr(&out[0]), MEM_BASE + 0x10000);
}

static void prd_bad_tables(void **state)
{
	u32 t = MEM_BASE + 0x4000;
	unsigned n;

	(void)state;
	refused_len = 0;
	put_prd(t, 0, MEM_BASE + 0x10000, 0x1000 | PRD_EOT);
	assert_int_equal(prd_copy_table(t, out, &n, 0x2000, mem_read, mem_ok), PRD_WRONG_SIZE);
	put_prd(t, 0, MEM_BASE + 0x1f000, 0x2000 | PRD_EOT);
	assert_int_equal(prd_copy_table(t, out, &n, 0, mem_read, mem_ok), PRD_CROSSES_64K);
	put_prd(t, 0, MEM_BASE + MEM_SIZE, 0x200 | PRD_EOT);
	assert_int_equal(prd_copy_table(t, out, &n, 0, mem_read, mem_ok), PRD_BAD_BUFFER);
	refused_from = MEM_BASE + 0x50000;
	refused_len = 0x1000;
	put_prd(t, 0, MEM_BASE + 0x40000, 0x1000);
	put_prd(t, 1, MEM_BASE + 0x50800, 0x100 | PRD_EOT); /* "Lamina's region" */
	assert_int_equal(prd_copy_table(t, out, &n, 0, mem_read, mem_ok), PRD_BAD_BUFFER);
	refused_len = 0;
	assert_int_equal(prd_copy_table(0x10, out, &n, 0, mem_read, mem_ok), PRD_UNREADABLE);

	/* No end mark within the table's 64 KiB block (a whole block of entries). */
	u32 block = MEM_BASE + 0x60000;
	for (unsigned i = 0; i < PRD_TABLE_MAX; i++)
		put_prd(block, i, MEM_BASE, 0x200);
	assert_int_equal(prd_copy_table(block + 0x8000, out, &n, 0, mem_read, mem_ok), PRD_NO_EOT);
	assert_int_equal(n, PRD_TABLE_MAX / 2);
	assert_int_equal(prd_copy_table(block, out, &n, 0, mem_read, mem_ok), PRD_NO_EOT);
	assert_int_equal(n, PRD_TABLE_MAX);
	/* The last entry of the block may end it. */
	put_prd(block, PRD_TABLE_MAX - 1, MEM_BASE, 0x200 | PRD_EOT);
	assert_int_equal(prd_copy_table(block, out, &n, 0, mem_read, mem_ok), PRD_OK);
	assert_int_equal(n, PRD_TABLE_MAX);
	assert_int_equal(prd_copy_table(0xfffffff8u, out, &n, 0, mem_read, mem_ok),
			 PRD_UNREADABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lba28_and_lba48),
		cmocka_unit_test(encode_round_trip),
		cmocka_unit_test(classes),
		cmocka_unit_test(prd_valid_tables),
		cmocka_unit_test(prd_bad_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
