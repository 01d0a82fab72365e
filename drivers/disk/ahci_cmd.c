/*
 * AHCI command classification and the shadow pool allocator (ahci_cmd.h).
 * Everything here works on Lamina's copies; nothing touches guest memory.
 */
#include "drivers/disk/ahci_cmd.h"
#include "core/string.h"

#define FIS_TYPE_REG_H2D 0x27
#define FIS_H2D_COMMAND 0x80  /* byte 1: the command register is updated */
#define ATA_DEV_LBA 0x40      /* device register: LBA (not CHS) addressing */

/* Byte offsets in the register host-to-device FIS. */
enum {
	FIS_TYPE = 0, FIS_FLAGS = 1, FIS_COMMAND = 2, FIS_FEATURE = 3,
	FIS_LBA0 = 4, FIS_LBA1 = 5, FIS_LBA2 = 6, FIS_DEVICE = 7,
	FIS_LBA3 = 8, FIS_LBA4 = 9, FIS_LBA5 = 10, FIS_FEATURE_EXP = 11,
	FIS_COUNT = 12, FIS_COUNT_EXP = 13,
};

/* Commands that move sectors of the disk (ACS-3): these are encrypted. */
static const struct disk_command {
	u8 code;
	bool write;
	enum ahci_lba_form form;
} disk_commands[] = {
	{ 0x20, false, AHCI_LBA28 },   /* READ SECTOR(S) */
	{ 0x21, false, AHCI_LBA28 },   /* (without retry) */
	{ 0x24, false, AHCI_LBA48 },   /* READ SECTOR(S) EXT */
	{ 0x25, false, AHCI_LBA48 },   /* READ DMA EXT */
	{ 0x29, false, AHCI_LBA48 },   /* READ MULTIPLE EXT */
	{ 0x30, true, AHCI_LBA28 },    /* WRITE SECTOR(S) */
	{ 0x31, true, AHCI_LBA28 },    /* (without retry) */
	{ 0x34, true, AHCI_LBA48 },    /* WRITE SECTOR(S) EXT */
	{ 0x35, true, AHCI_LBA48 },    /* WRITE DMA EXT */
	{ 0x39, true, AHCI_LBA48 },    /* WRITE MULTIPLE EXT */
	{ 0x3d, true, AHCI_LBA48 },    /* WRITE DMA FUA EXT */
	{ 0x60, false, AHCI_LBA_NCQ }, /* READ FPDMA QUEUED */
	{ 0x61, true, AHCI_LBA_NCQ },  /* WRITE FPDMA QUEUED */
	{ 0xc4, false, AHCI_LBA28 },   /* READ MULTIPLE */
	{ 0xc5, true, AHCI_LBA28 },    /* WRITE MULTIPLE */
	{ 0xc8, false, AHCI_LBA28 },   /* READ DMA */
	{ 0xc9, false, AHCI_LBA28 },   /* (without retry) */
	{ 0xca, true, AHCI_LBA28 },    /* WRITE DMA */
	{ 0xcb, true, AHCI_LBA28 },    /* (without retry) */
	{ 0xce, true, AHCI_LBA48 },    /* WRITE MULTIPLE FUA EXT */
};

/* Data commands whose data is not disk sectors: bounced unchanged.
 * Commands that could put guest data on the medium another way (WRITE
 * LOG (DMA) EXT, whose SCT log can write sectors; SMART WRITE LOG; SEND
 * FPDMA QUEUED) are not here and are refused. */
static const u8 plain_commands[] = {
	0x06, /* DATA SET MANAGEMENT (TRIM ranges) */
	0x2f, /* READ LOG EXT */
	0x47, /* READ LOG DMA EXT */
	0x5c, 0x5d, 0x5e, 0x5f, /* TRUSTED RECEIVE / SEND (DMA) */
	0xa0, /* PACKET (ATAPI) */
	0xa1, /* IDENTIFY PACKET DEVICE */
	0xb0, /* SMART (but WRITE LOG, below) */
	0xe4, 0xe8, 0xe9, 0xeb, /* READ / WRITE BUFFER (DMA) */
	0xec, /* IDENTIFY DEVICE */
	0xf1, 0xf2, 0xf4, 0xf6, /* SECURITY SET PASSWORD, UNLOCK, ERASE UNIT, DISABLE */
};
#define SMART_WRITE_LOG 0xd6

bool ahci_is_ncq(u8 command)
{
	return command >= 0x60 && command <= 0x65 && command != 0x62;
}

const char *ahci_prdt_parse(const struct ahci_prd *prd, unsigned n,
			    bool (*range_ok)(u64 gpa, u64 len), struct ahci_seg *segs,
			    u64 *total)
{
	u64 sum = 0;

	if (n > AHCI_MAX_GUEST_PRDS)
		return "PRDT longer than Lamina accepts";
	for (unsigned i = 0; i < n; i++) {
		u64 len = (u64)(prd[i].dbc & AHCI_PRD_DBC_MASK) + 1;
		/* bit 0 of DBA is reserved: the HBA ignores it */
		u64 addr = ((u64)prd[i].dbau << 32 | prd[i].dba) & ~1ull;

		if (len & 1)
			return "PRD byte count odd";
		if (!range_ok(addr, len))
			return "PRD buffer outside guest RAM or inside Lamina";
		segs[i] = (struct ahci_seg){ addr, len };
		sum += len;
	}
	*total = sum;
	return NULL;
}

static u64 fis_lba48(const u8 *f)
{
	return (u64)f[FIS_LBA0] | (u64)f[FIS_LBA1] << 8 | (u64)f[FIS_LBA2] << 16 |
	       (u64)f[FIS_LBA3] << 24 | (u64)f[FIS_LBA4] << 32 | (u64)f[FIS_LBA5] << 40;
}

static void reject(struct ahci_op *op, const char *why)
{
	op->kind = AHCI_OP_REJECT;
	op->why = why;
}

/* LBA and sector count of a disk command; false for CHS addressing. */
static bool disk_range(const u8 *f, enum ahci_lba_form form, u64 *lba, u32 *sectors)
{
	u32 n = 0;

	switch (form) {
	case AHCI_LBA28:
		if (!(f[FIS_DEVICE] & ATA_DEV_LBA))
			return false;
		*lba = (u64)f[FIS_LBA0] | (u64)f[FIS_LBA1] << 8 | (u64)f[FIS_LBA2] << 16 |
		       (u64)(f[FIS_DEVICE] & 0xf) << 24;
		n = f[FIS_COUNT];
		*sectors = n ? n : 256;
		return true;
	case AHCI_LBA48:
		n = f[FIS_COUNT] | f[FIS_COUNT_EXP] << 8;
		break;
	case AHCI_LBA_NCQ:
		n = f[FIS_FEATURE] | f[FIS_FEATURE_EXP] << 8;
		break;
	}
	*lba = fis_lba48(f);
	*sectors = n ? n : 65536;
	return true;
}

static const struct disk_command *find_disk_command(u8 code)
{
	for (size_t i = 0; i < ARRAY_SIZE(disk_commands); i++)
		if (disk_commands[i].code == code)
			return &disk_commands[i];
	return NULL;
}

static bool is_plain_command(const u8 *f)
{
	if (f[FIS_COMMAND] == 0xb0 && f[FIS_FEATURE] == SMART_WRITE_LOG)
		return false;
	for (size_t i = 0; i < sizeof(plain_commands); i++)
		if (plain_commands[i] == f[FIS_COMMAND])
			return true;
	return false;
}

void ahci_classify(u32 flags, const u8 *f, u64 prd_bytes, struct ahci_op *op)
{
	unsigned prdtl = flags >> AHCI_HDR_PRDTL_SHIFT;
	bool command = f[FIS_TYPE] == FIS_TYPE_REG_H2D && (f[FIS_FLAGS] & FIS_H2D_COMMAND);
	const struct disk_command *dc = command ? find_disk_command(f[FIS_COMMAND]) : NULL;

	memset(op, 0, sizeof(*op));
	op->ncq = command && ahci_is_ncq(f[FIS_COMMAND]);
	if ((flags & AHCI_HDR_CFL_MASK) < 2)
		return reject(op, "command FIS shorter than 2 dwords");
	if (!prdtl) {
		/* Nothing can move without PRDs: the device sees the FIS as is
		 * (and fails a data command that has no buffers). */
		op->kind = AHCI_OP_NODATA;
		return;
	}
	if (dc && !(flags & AHCI_HDR_ATAPI)) {
		op->kind = dc->write ? AHCI_OP_DISK_WRITE : AHCI_OP_DISK_READ;
		op->form = dc->form;
		if (!disk_range(f, dc->form, &op->lba, &op->sectors))
			return reject(op, "CHS addressing");
		if (op->lba + op->sectors > 1ull << (dc->form == AHCI_LBA28 ? 28 : 48))
			return reject(op, "LBA out of range");
		op->bytes = (u64)op->sectors * AHCI_SECTOR;
		if (prd_bytes < op->bytes)
			return reject(op, "PRDs shorter than the sector count");
		return;
	}
	if (command && ((flags & AHCI_HDR_ATAPI) || is_plain_command(f))) {
		op->kind = flags & AHCI_HDR_WRITE ? AHCI_OP_PLAIN_OUT : AHCI_OP_PLAIN_IN;
		op->bytes = prd_bytes;
		if (prd_bytes > AHCI_PLAIN_MAX)
			return reject(op, "non-sector transfer too large");
		return;
	}
	reject(op, "unknown data command");
}

void ahci_cfis_set_range(u8 *f, enum ahci_lba_form form, u64 lba, u32 sectors)
{
	f[FIS_LBA0] = lba;
	f[FIS_LBA1] = lba >> 8;
	f[FIS_LBA2] = lba >> 16;
	if (form == AHCI_LBA28) {
		f[FIS_DEVICE] = (f[FIS_DEVICE] & 0xf0) | ((lba >> 24) & 0xf);
		f[FIS_COUNT] = sectors; /* 256 is 0 */
		return;
	}
	f[FIS_LBA3] = lba >> 24;
	f[FIS_LBA4] = lba >> 32;
	f[FIS_LBA5] = lba >> 40;
	if (form == AHCI_LBA48) {
		f[FIS_COUNT] = sectors;
		f[FIS_COUNT_EXP] = sectors >> 8;
	} else {
		f[FIS_FEATURE] = sectors;
		f[FIS_FEATURE_EXP] = sectors >> 8;
	}
}

void ahci_cfis_failing(u8 *f, bool ncq, unsigned tag)
{
	memset(f, 0, AHCI_CFIS_SIZE);
	f[FIS_TYPE] = FIS_TYPE_REG_H2D;
	f[FIS_FLAGS] = FIS_H2D_COMMAND;
	f[FIS_COMMAND] = ncq ? 0x60 : 0x25;
	f[FIS_DEVICE] = ATA_DEV_LBA;
	ahci_cfis_set_range(f, ncq ? AHCI_LBA_NCQ : AHCI_LBA48, (1ull << 48) - 1, 1);
	if (ncq)
		f[FIS_COUNT] = (tag & 31) << 3;
}

/* ------------------------------------------------------ shadow pool */

static bool unit_taken(const struct ahci_pool *p, unsigned u)
{
	return p->map[u / 64] & BIT(u % 64);
}

static void mark(struct ahci_pool *p, struct ahci_run r, bool taken)
{
	for (unsigned u = r.first; u < r.first + r.count; u++) {
		if (taken)
			p->map[u / 64] |= BIT(u % 64);
		else
			p->map[u / 64] &= ~BIT(u % 64);
	}
}

void ahci_pool_init(struct ahci_pool *p, unsigned units)
{
	memset(p, 0, sizeof(*p));
	p->units = MIN(units, AHCI_POOL_MAX_UNITS);
	p->free = p->units;
}

/* The first free block of at least `want` units, or the longest one. */
static struct ahci_run free_block(const struct ahci_pool *p, unsigned want)
{
	struct ahci_run best = { 0, 0 };
	unsigned u = 0;

	while (u < p->units) {
		unsigned start;

		while (u < p->units && unit_taken(p, u))
			u++;
		start = u;
		while (u < p->units && !unit_taken(p, u) && u - start < want)
			u++;
		if (u - start > best.count)
			best = (struct ahci_run){ start, u - start };
		if (best.count == want)
			break;
	}
	return best;
}

unsigned ahci_pool_alloc(struct ahci_pool *p, unsigned count, struct ahci_run *runs,
			 unsigned max_runs)
{
	unsigned n = 0, left = count;

	if (!count || count > p->free)
		return 0;
	while (left) {
		struct ahci_run r = free_block(p, left);

		if (!r.count || n == max_runs) {
			ahci_pool_free(p, runs, n);
			return 0;
		}
		mark(p, r, true);
		p->free -= r.count;
		runs[n++] = r;
		left -= r.count;
	}
	return n;
}

void ahci_pool_free(struct ahci_pool *p, const struct ahci_run *runs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		mark(p, runs[i], false);
		p->free += runs[i].count;
	}
}
