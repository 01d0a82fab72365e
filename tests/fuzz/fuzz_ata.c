/* libFuzzer target: the guest-controlled ATA inputs Lamina parses.  The
 * input is a guest memory image (its first bytes also drive a stream of
 * task-file writes); PRD tables are copied out of it from a table address
 * it chooses.  Checks: never a crash, the copy stays in bounds, an
 * accepted table's regions are all accepted memory and add up as asked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/disk/ata.h"

#define BASE 0x10000u

static const uint8_t *mem;
static size_t mem_len;

static int mem_read(void *dst, u64 gpa, size_t len)
{
	if (gpa < BASE || gpa - BASE > mem_len || len > mem_len - (gpa - BASE))
		return -1;
	memcpy(dst, mem + (gpa - BASE), len);
	return 0;
}

static bool mem_ok(u64 gpa, u64 len)
{
	return gpa >= BASE && gpa - BASE <= mem_len && len <= mem_len - (gpa - BASE);
}

static struct prd out[PRD_TABLE_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ata_taskfile tf = { 0 };
	unsigned n;
	u64 lba;
	u32 sectors, table;

	if (size < 8)
		return 0;
	mem = data + 8;
	mem_len = size - 8;
	/* Task-file writes: (register, value) pairs from the header. */
	for (unsigned i = 0; i + 1 < 4; i += 2)
		ata_tf_write(&tf, data[i] & 7, data[i + 1]);
	struct ata_cmd_kind k = ata_classify(data[4]);
	if (ata_tf_range(&tf, k.lba48, &lba, &sectors)) {
		if (sectors < 1 || sectors > 65536)
			abort();
	}
	memcpy(&table, data + 4, 4);
	table = BASE + table % (mem_len + 64);
	u64 expect = (data[0] & 1) ? (u64)sectors * 512 : 0;
	enum prd_status st = prd_copy_table(table, out, &n, expect, mem_read, mem_ok);

	if (n > PRD_TABLE_MAX)
		abort();
	if (st == PRD_OK) {
		u64 total = 0;

		for (unsigned i = 0; i < n; i++) {
			if (!mem_ok(prd_addr(&out[i]), prd_bytes(&out[i])))
				abort();
			total += prd_bytes(&out[i]);
		}
		if (!(out[n - 1].count & PRD_EOT) || (expect && total != expect))
			abort();
	}
	return 0;
}
