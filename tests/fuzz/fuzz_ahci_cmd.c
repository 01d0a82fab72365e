/*
 * The AHCI mediator's parsing of guest commands (drivers/disk/ahci_cmd.c)
 * on fuzzer-written command headers, FISes and PRDTs, then a fuzzer-driven
 * sequence of shadow pool allocations.  Checks the promises the mediator
 * relies on: a disk command never needs more than its PRDs give, never
 * wraps the 48-bit LBA space; a plain one fits AHCI_PLAIN_MAX; segments
 * pass the range check; the pool's books always balance.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "drivers/disk/ahci_cmd.h"

#define HIDDEN_BASE 0x3de00000ull
#define HIDDEN_SIZE (32 * MiB)

static bool range_ok(u64 gpa, u64 len)
{
	return len && gpa + len >= gpa && gpa + len <= 4 * GiB &&
	       !ranges_overlap(gpa, len, HIDDEN_BASE, HIDDEN_SIZE);
}

static struct ahci_prd prds[64];
static struct ahci_seg segs[64];

static void fuzz_command(const uint8_t *data, size_t size)
{
	u8 cfis[AHCI_CFIS_SIZE] = { 0 };
	u32 flags = 0;
	unsigned n;
	u64 total = 0;
	struct ahci_op op;
	const char *why;

	memcpy(&flags, data, 4);
	memcpy(cfis, data + 4, AHCI_CFIS_SIZE);
	data += 4 + AHCI_CFIS_SIZE;
	size -= 4 + AHCI_CFIS_SIZE;
	n = MIN(size / sizeof(struct ahci_prd), 64);
	memcpy(prds, data, n * sizeof(struct ahci_prd));
	flags = (flags & 0xffff) | n << AHCI_HDR_PRDTL_SHIFT;
	why = ahci_prdt_parse(prds, n, range_ok, segs, &total);
	if (why)
		return;
	for (unsigned i = 0; i < n; i++)
		assert(range_ok(segs[i].addr, segs[i].len) && !(segs[i].len & 1));
	ahci_classify(flags, cfis, total, &op);
	switch (op.kind) {
	case AHCI_OP_DISK_READ:
	case AHCI_OP_DISK_WRITE:
		assert(op.sectors >= 1 && op.sectors <= 65536);
		assert(op.bytes == (u64)op.sectors * AHCI_SECTOR && op.bytes <= total);
		assert(op.lba + op.sectors <= 1ull << 48);
		/* A piece of it can be written back and read again. */
		ahci_cfis_set_range(cfis, op.form, op.lba, op.sectors);
		break;
	case AHCI_OP_PLAIN_IN:
	case AHCI_OP_PLAIN_OUT:
		assert(op.bytes == total && op.bytes <= AHCI_PLAIN_MAX);
		break;
	case AHCI_OP_NODATA:
		assert(n == 0);
		break;
	case AHCI_OP_REJECT:
		assert(op.why);
		break;
	}
}

static void fuzz_pool(const uint8_t *data, size_t size)
{
	static struct ahci_run held[32][8];
	static unsigned nheld[32];
	struct ahci_pool p;

	memset(nheld, 0, sizeof(nheld));
	ahci_pool_init(&p, 1 + data[0] % 128);
	for (size_t i = 1; i + 1 < size; i += 2) {
		unsigned slot = data[i] % 32;

		if (nheld[slot]) {
			ahci_pool_free(&p, held[slot], nheld[slot]);
			nheld[slot] = 0;
		} else {
			unsigned before = p.free, want = data[i + 1] % 40;

			nheld[slot] = ahci_pool_alloc(&p, want, held[slot], 1 + data[i] / 32 % 8);
			if (nheld[slot]) {
				unsigned got = 0;

				for (unsigned r = 0; r < nheld[slot]; r++) {
					assert(held[slot][r].count &&
					       held[slot][r].first + held[slot][r].count <= p.units);
					got += held[slot][r].count;
				}
				assert(got == want && p.free == before - want);
			} else {
				assert(p.free == before);
			}
		}
	}
	for (unsigned s = 0; s < 32; s++)
		ahci_pool_free(&p, held[s], nheld[s]);
	assert(p.free == p.units);
	for (unsigned u = 0; u < p.units; u++)
		assert(!(p.map[u / 64] & (1ull << (u % 64))));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (size >= 1 + 4 + AHCI_CFIS_SIZE)
			fuzz_command(data + 1, size - 1);
	} else if (size >= 2) {
		fuzz_pool(data + 1, size - 1);
	}
	return 0;
}
