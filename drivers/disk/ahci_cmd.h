/*
 * What an AHCI command does, decided from Lamina's own copy of it, and the
 * allocator of a port's shadow buffer pool: the pure part of the AHCI
 * mediator (drivers/disk/ahci.c), unit-tested and fuzzed on the host.
 *
 * Formats from AHCI 1.3.1 section 4.2 (command header, command table,
 * PRD entries) and the register host-to-device FIS of SATA 3.x.
 */
#ifndef DRIVERS_DISK_AHCI_CMD_H
#define DRIVERS_DISK_AHCI_CMD_H

#include "core/types.h"

#define AHCI_SLOTS 32
#define AHCI_SECTOR 512
#define AHCI_CMD_LIST_SIZE 1024    /* 32 headers of 32 bytes */
#define AHCI_TABLE_HEAD 0x80       /* CFIS (64), ACMD (16), reserved (48) */
#define AHCI_CFIS_SIZE 64
#define AHCI_PRD_MAX_BYTES (4 * MiB)
/* Lamina's limit on a guest command's PRDT (the hardware's is 65535;
 * Linux uses at most 168).  Longer tables are refused. */
#define AHCI_MAX_GUEST_PRDS 1024

/* Command header, DW0. */
#define AHCI_HDR_CFL_MASK 0x1fu
#define AHCI_HDR_ATAPI BIT(5)
#define AHCI_HDR_WRITE BIT(6)
#define AHCI_HDR_PRDTL_SHIFT 16
/* Bits of DW0 a shadow header keeps from the guest's: CFL, A, W, P, R, B,
 * C, PMP (the PRDTL is Lamina's). */
#define AHCI_HDR_KEEP 0xffffu

struct ahci_cmd_header {
	u32 flags;  /* DW0 */
	u32 prdbc;  /* bytes transferred, written by the HBA */
	u32 ctba, ctbau;
	u32 reserved[4];
};

struct ahci_prd {
	u32 dba, dbau;
	u32 reserved;
	u32 dbc;    /* bits 21:0 byte count - 1 (odd: the count is even), 31 IRQ */
};
#define AHCI_PRD_DBC_MASK 0x3fffffu

/* A guest data buffer, from a validated PRD entry. */
struct ahci_seg {
	u64 addr;
	u64 len;
};

enum ahci_op_kind {
	AHCI_OP_NODATA,     /* no PRDs: the command goes to the device as is */
	AHCI_OP_DISK_READ,  /* sectors of the disk: decrypted on completion */
	AHCI_OP_DISK_WRITE, /* sectors of the disk: encrypted before issue */
	AHCI_OP_PLAIN_IN,   /* other data from the device (IDENTIFY, logs, ATAPI) */
	AHCI_OP_PLAIN_OUT,  /* other data to the device (TRIM ranges, ATAPI) */
	AHCI_OP_REJECT,     /* fails with an error status, never reaches the disk */
};

enum ahci_lba_form { AHCI_LBA28, AHCI_LBA48, AHCI_LBA_NCQ };

struct ahci_op {
	enum ahci_op_kind kind;
	enum ahci_lba_form form; /* disk reads and writes */
	bool ncq;                /* a queued (FPDMA) command: completes through PxSACT */
	u64 lba;
	u32 sectors;
	u64 bytes;               /* data moved: sectors * 512, or the PRDs' sum */
	const char *why;         /* AHCI_OP_REJECT: the reason, for the log */
};

/* The largest plain (non-sector) transfer Lamina bounces in one piece. */
#define AHCI_PLAIN_MAX (4 * MiB)

/*
 * Checks a copied PRDT of n entries: every buffer even-sized and inside
 * guest RAM clear of Lamina (range_ok), each one a segment of segs[].
 * NULL and *total = the sum of the byte counts, or the reason it is
 * refused.
 */
const char *ahci_prdt_parse(const struct ahci_prd *prd, unsigned n,
			    bool (*range_ok)(u64 gpa, u64 len), struct ahci_seg *segs,
			    u64 *total);

/* What the command with header DW0 `flags`, command FIS `cfis` (64
 * bytes, copied) and PRDs of prd_bytes in all does. */
void ahci_classify(u32 flags, const u8 *cfis, u64 prd_bytes, struct ahci_op *op);

/* True for the queued (FPDMA, NCQ) command codes. */
bool ahci_is_ncq(u8 command);

/* Writes a piece of a disk command (lba, sectors) into a copy of its FIS. */
void ahci_cfis_set_range(u8 *cfis, enum ahci_lba_form form, u64 lba, u32 sectors);

/* A command FIS the device fails with an error status: a one-sector read
 * at the last 48-bit LBA (READ DMA EXT, or READ FPDMA QUEUED with `tag`). */
void ahci_cfis_failing(u8 *cfis, bool ncq, unsigned tag);

/* ------------------------------------------------------ shadow pool */

#define AHCI_POOL_MAX_UNITS 1024

/* Units of a port's shadow pool; a command holds runs of them. */
struct ahci_pool {
	unsigned units, free;
	u64 map[AHCI_POOL_MAX_UNITS / 64]; /* 1 = taken */
};

struct ahci_run {
	u16 first, count;
};

void ahci_pool_init(struct ahci_pool *p, unsigned units);
/* Takes `count` units in at most max_runs runs, one run when a
 * contiguous block is free; returns the number of runs, 0 when they are
 * not there (nothing taken). */
unsigned ahci_pool_alloc(struct ahci_pool *p, unsigned count, struct ahci_run *runs,
			 unsigned max_runs);
void ahci_pool_free(struct ahci_pool *p, const struct ahci_run *runs, unsigned n);

#endif
