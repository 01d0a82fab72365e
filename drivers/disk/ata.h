/*
 * ATA register-level facts the disk mediators need, as pure logic (unit-
 * tested and fuzzed on the host): the task file as the guest wrote it
 * (LBA48 registers are two-deep: the "previous" byte is the high half),
 * the sector range of a command, what a command moves, and bus-master
 * physical region descriptor (PRD) tables copied out of guest memory.
 */
#ifndef DRIVERS_DISK_ATA_H
#define DRIVERS_DISK_ATA_H

#include "core/types.h"

/* Command-block registers (offsets from the channel's base port). */
enum ata_reg {
	ATA_REG_DATA, ATA_REG_FEATURE, ATA_REG_COUNT, ATA_REG_LBA_LOW,
	ATA_REG_LBA_MID, ATA_REG_LBA_HIGH, ATA_REG_DEVICE, ATA_REG_COMMAND,
};
#define ATA_REG_STATUS ATA_REG_COMMAND

#define ATA_STATUS_ERR 0x01
#define ATA_STATUS_DRQ 0x08
#define ATA_STATUS_BSY 0x80
#define ATA_DEVICE_LBA 0x40
#define ATA_DEVICE_UNIT 0x10
#define ATA_CTL_NIEN 0x02
#define ATA_CTL_SRST 0x04
#define ATA_CTL_HOB 0x80

/* A command the device does not implement: it aborts it (ERR, ABRT) and
 * interrupts, which is how Lamina fails a guest's request. */
#define ATA_CMD_ABORT_ME 0x01
/* The one command a device takes while BSY or DRQ is set (ATAPI). */
#define ATA_CMD_DEVICE_RESET 0x08

struct ata_taskfile {
	u8 reg[8];  /* last byte written per register (COUNT..HIGH, DEVICE) */
	u8 prev[8]; /* the byte before it: LBA48's high half */
};

/* A guest write to a command-block register other than data/command. */
void ata_tf_write(struct ata_taskfile *tf, enum ata_reg reg, u8 val);

static inline unsigned ata_tf_unit(const struct ata_taskfile *tf)
{
	return !!(tf->reg[ATA_REG_DEVICE] & ATA_DEVICE_UNIT);
}

/* What a command moves, for a disk Lamina encrypts. */
enum ata_xfer {
	ATA_XFER_NONE,      /* moves no sectors of the medium: passes through */
	ATA_XFER_PIO_READ,
	ATA_XFER_PIO_WRITE,
	ATA_XFER_DMA_READ,
	ATA_XFER_DMA_WRITE,
	ATA_XFER_REFUSED,   /* moves sectors in a way Lamina does not mediate */
};

struct ata_cmd_kind {
	enum ata_xfer xfer;
	bool lba48;
};

struct ata_cmd_kind ata_classify(u8 command);

static inline bool ata_xfer_is_dma(enum ata_xfer x)
{
	return x == ATA_XFER_DMA_READ || x == ATA_XFER_DMA_WRITE;
}

static inline bool ata_xfer_writes(enum ata_xfer x)
{
	return x == ATA_XFER_PIO_WRITE || x == ATA_XFER_DMA_WRITE;
}

/* The sectors a read/write command addresses: false for CHS addressing
 * (not mediated). */
bool ata_tf_range(const struct ata_taskfile *tf, bool lba48, u64 *lba, u32 *sectors);

/* Task-file bytes that address [lba, lba + sectors): the values to write,
 * high half first for LBA48, so a mediator can issue part of a request.
 * sectors must be 1..256 (LBA28, lba < 2^28) or 1..65536 (LBA48). */
struct ata_tf_bytes {
	u8 count[2], lba[3][2]; /* [i][0] written first (high half, LBA48) */
	u8 device;              /* LBA28: bits 24-27 of the LBA */
};
void ata_tf_encode(const struct ata_taskfile *tf, bool lba48, u64 lba, u32 sectors,
		   struct ata_tf_bytes *out);

/* ---- bus-master IDE (SFF-8038i) */

#define BM_REG_COMMAND 0
#define BM_REG_STATUS 2
#define BM_REG_PRD 4
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08 /* the device writes memory (a read command) */
#define BM_STATUS_ACTIVE 0x01
#define BM_STATUS_ERROR 0x02
#define BM_STATUS_IRQ 0x04
#define BM_STATUS_KEEP 0x60   /* the drive-DMA-capable bits */

/* One PRD entry as the controller reads it (little-endian). */
struct prd {
	u32 addr;  /* bit 0 ignored by the hardware */
	u32 count; /* bits 15:1 byte count (0 = 64 KiB), bit 31 end of table */
};
#define PRD_EOT 0x80000000u
#define PRD_TABLE_MAX (65536 / sizeof(struct prd)) /* a table stays in 64 KiB */

static inline u32 prd_addr(const struct prd *p)
{
	return p->addr & ~1u;
}

static inline u32 prd_bytes(const struct prd *p)
{
	u32 n = p->count & 0xfffe;

	return n ? n : 0x10000;
}

enum prd_status {
	PRD_OK,
	PRD_UNREADABLE, /* the table is not in guest RAM */
	PRD_NO_EOT,     /* no end-of-table mark before the 64 KiB boundary */
	PRD_CROSSES_64K,/* a region crosses a 64 KiB boundary */
	PRD_BAD_BUFFER, /* a region is not guest RAM (or is Lamina's) */
	PRD_WRONG_SIZE, /* the regions do not add up to the transfer */
};

extern const char *const prd_status_names[];

typedef int (*prd_read_fn)(void *dst, u64 gpa, size_t len);
typedef bool (*prd_range_ok_fn)(u64 gpa, u64 len);

/* Copies the guest's table at `table` (up to the end mark, within its
 * 64 KiB block) into out[] (PRD_TABLE_MAX entries) with `read`, then
 * checks every region with `ok` and, when `expect` is not 0, that they
 * add up to `expect` bytes.  *n gets the entries copied.  Only the copy is
 * looked at afterwards. */
enum prd_status prd_copy_table(u32 table, struct prd *out, unsigned *n, u64 expect,
			       prd_read_fn read, prd_range_ok_fn ok);

#endif
