/* ATA task file, command classes and PRD tables (ata.h): pure logic. */
#include "drivers/disk/ata.h"

void ata_tf_write(struct ata_taskfile *tf, enum ata_reg reg, u8 val)
{
	if (reg < ATA_REG_FEATURE || reg > ATA_REG_DEVICE)
		return;
	tf->prev[reg] = tf->reg[reg];
	tf->reg[reg] = val;
}

struct ata_cmd_kind ata_classify(u8 command)
{
	switch (command) {
	case 0x20: case 0x21: case 0xc4:             /* READ SECTORS, READ MULTIPLE */
		return (struct ata_cmd_kind){ ATA_XFER_PIO_READ, false };
	case 0x24: case 0x29:                        /* ... EXT */
		return (struct ata_cmd_kind){ ATA_XFER_PIO_READ, true };
	case 0x30: case 0x31: case 0xc5:             /* WRITE SECTORS, WRITE MULTIPLE */
		return (struct ata_cmd_kind){ ATA_XFER_PIO_WRITE, false };
	case 0x34: case 0x39: case 0xce:             /* ... EXT, WRITE MULTIPLE FUA EXT */
		return (struct ata_cmd_kind){ ATA_XFER_PIO_WRITE, true };
	case 0xc8: case 0xc9:                        /* READ DMA */
		return (struct ata_cmd_kind){ ATA_XFER_DMA_READ, false };
	case 0x25:                                   /* READ DMA EXT */
		return (struct ata_cmd_kind){ ATA_XFER_DMA_READ, true };
	case 0xca: case 0xcb:                        /* WRITE DMA */
		return (struct ata_cmd_kind){ ATA_XFER_DMA_WRITE, false };
	case 0x35: case 0x3d:                        /* WRITE DMA EXT, ... FUA EXT */
		return (struct ata_cmd_kind){ ATA_XFER_DMA_WRITE, true };
	/* No medium sectors move: control, identification, logs, power,
	 * caches, trim (it discards, it writes no data). */
	case 0x00: case 0x03: case 0x06: case 0x08:  /* NOP, CFA ERR, DSM/TRIM, RESET */
	case 0x10 ... 0x1f:                          /* RECALIBRATE */
	case 0x27: case 0x2f: case 0x37: case 0x3f:  /* NATIVE MAX, LOG EXT, SET MAX, LOG */
	case 0x40: case 0x41: case 0x42:             /* READ VERIFY (no data) */
	case 0x47: case 0x57:                        /* READ/WRITE LOG DMA EXT */
	case 0x90: case 0x91:                        /* DIAGNOSTIC, INIT PARAMETERS */
	case 0xa0: case 0xa1:                        /* PACKET, IDENTIFY PACKET */
	case 0xb0: case 0xb1:                        /* SMART, DEVICE CONFIGURATION */
	case 0xc6:                                   /* SET MULTIPLE MODE */
	case 0xda: case 0xde: case 0xdf:             /* MEDIA STATUS, LOCK, UNLOCK */
	case 0xe0 ... 0xe8:                          /* POWER, READ/WRITE BUFFER, FLUSH */
	case 0xea: case 0xec: case 0xef:             /* FLUSH EXT, IDENTIFY, SET FEATURES */
	case 0xf1 ... 0xf6:                          /* SECURITY */
	case 0xf8: case 0xf9:                        /* READ NATIVE MAX, SET MAX */
		return (struct ata_cmd_kind){ ATA_XFER_NONE, false };
	default: /* READ/WRITE LONG, STREAM, QUEUED, vendor and unknown */
		return (struct ata_cmd_kind){ ATA_XFER_REFUSED, false };
	}
}

bool ata_tf_range(const struct ata_taskfile *tf, bool lba48, u64 *lba, u32 *sectors)
{
	const u8 *r = tf->reg, *p = tf->prev;

	if (!(r[ATA_REG_DEVICE] & ATA_DEVICE_LBA))
		return false;
	*lba = (u64)r[ATA_REG_LBA_LOW] | (u64)r[ATA_REG_LBA_MID] << 8 |
	       (u64)r[ATA_REG_LBA_HIGH] << 16;
	if (lba48) {
		*lba |= (u64)p[ATA_REG_LBA_LOW] << 24 | (u64)p[ATA_REG_LBA_MID] << 32 |
			(u64)p[ATA_REG_LBA_HIGH] << 40;
		*sectors = r[ATA_REG_COUNT] | p[ATA_REG_COUNT] << 8;
		if (!*sectors)
			*sectors = 65536;
	} else {
		*lba |= (u64)(r[ATA_REG_DEVICE] & 0x0f) << 24;
		*sectors = r[ATA_REG_COUNT] ? r[ATA_REG_COUNT] : 256;
	}
	return true;
}

void ata_tf_encode(const struct ata_taskfile *tf, bool lba48, u64 lba, u32 sectors,
		   struct ata_tf_bytes *out)
{
	u8 dev = tf->reg[ATA_REG_DEVICE];

	out->count[0] = (sectors >> 8) & 0xff;
	out->count[1] = sectors & 0xff;
	for (unsigned i = 0; i < 3; i++) {
		out->lba[i][0] = (lba >> (24 + 8 * i)) & 0xff;
		out->lba[i][1] = (lba >> (8 * i)) & 0xff;
	}
	out->device = lba48 ? dev : (dev & 0xf0) | ((lba >> 24) & 0x0f);
}

/* ---------------------------------------------------------------- PRDs */

const char *const prd_status_names[] = {
	[PRD_OK] = "ok",
	[PRD_UNREADABLE] = "PRD table outside guest RAM",
	[PRD_NO_EOT] = "PRD table without an end mark",
	[PRD_CROSSES_64K] = "PRD region across a 64 KiB boundary",
	[PRD_BAD_BUFFER] = "PRD region outside guest RAM",
	[PRD_WRONG_SIZE] = "PRD regions do not match the sector count",
};

/* Reads the table page by page until the end mark (it cannot run past
 * its 64 KiB block: the controller wraps there). */
static enum prd_status copy_entries(u32 table, struct prd *out, unsigned *n, prd_read_fn read)
{
	u64 at = table & ~3u, block_end = (at | 0xffff) + 1;

	*n = 0;
	while (at < block_end) {
		u64 chunk_end = MIN((at | 0xfff) + 1, block_end);
		unsigned count = (chunk_end - at) / sizeof(struct prd);

		if (read(&out[*n], at, count * sizeof(struct prd)))
			return PRD_UNREADABLE;
		for (unsigned i = 0; i < count; i++)
			if (out[(*n)++].count & PRD_EOT)
				return PRD_OK;
		at = chunk_end;
	}
	return PRD_NO_EOT;
}

enum prd_status prd_copy_table(u32 table, struct prd *out, unsigned *n, u64 expect,
			       prd_read_fn read, prd_range_ok_fn ok)
{
	enum prd_status st = copy_entries(table, out, n, read);
	u64 total = 0;

	if (st != PRD_OK)
		return st;
	for (unsigned i = 0; i < *n; i++) {
		u32 a = prd_addr(&out[i]), len = prd_bytes(&out[i]);

		if ((a & 0xffff) + len > 0x10000)
			return PRD_CROSSES_64K;
		if (!ok(a, len))
			return PRD_BAD_BUFFER;
		total += len;
	}
	return expect && total != expect ? PRD_WRONG_SIZE : PRD_OK;
}
