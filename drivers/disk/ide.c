/*
 * The IDE mediator (PIIX and other SFF-8038i controllers): transparent
 * encryption of the units named by encrypt=ata:C.U.
 *
 * For a channel with a named unit Lamina traps as few ports as the rules
 * allow (docs/disk-encryption.md, "What is trapped"): the data port, the
 * status/command port, the control port (altstatus, and the guest's nIEN
 * for reading LBA48 registers back), the bus-master status and the
 * bus-master PRD pointer.  The task-file registers and the bus-master
 * command port are the guest's: Lamina reads the task file back from the
 * device when a command is written.  With several CPUs, or a device that
 * does not read LBA48's high bytes back, those are trapped too (another CPU
 * could change them between Lamina's look and the command).
 *
 * - A command to the named unit is classified (ata.h): no data -> passes;
 *   PIO -> data-port words go through a one-sector buffer, decrypted after
 *   it fills from the device / encrypted before it goes to it; DMA -> the
 *   guest's PRD table is copied once and checked when the command is
 *   written, the data moves through Lamina's shadow buffer with Lamina's
 *   own PRD table (encrypted before the device reads it, decrypted into the
 *   guest's buffers when the guest first looks at a status register after
 *   the device finished).  A request larger than the shadow is issued to
 *   the device in chunks, one after the other; the guest sees one command.
 * - Anything the guest gets wrong (PRDs outside its RAM, malformed tables,
 *   CHS addressing, commands that move sectors in ways Lamina does not
 *   mediate) fails the command: Lamina issues an opcode the device aborts,
 *   so the guest sees ERR/ABRT and its interrupt as for any failed command.
 * - The engine's PRD pointer register only ever holds one of Lamina's
 *   tables: over the shadow, a checked copy of the guest's (DMA of other
 *   units and pass-through commands), or a two-byte sink where no transfer
 *   can complete.  The guest may set START at any time, so a table is only
 *   rewritten with the engine stopped and the sink installed.
 *
 * Each channel's state is under its own lock: any CPU may trap.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/mmio.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "drivers/disk/ata.h"
#include "drivers/disk/diskcrypt.h"
#include "drivers/disk/ide.h"
#include "drivers/registry.h"

#define MAX_IDE_CHANNELS 8
#define SHADOW_MIN (4 * KiB)
#define SECTOR DISK_SECTOR_SIZE
#define SINK_OFFSET 2048 /* the sink's two bytes, after its table in the same page */

enum dma_state {
	DMA_IDLE,    /* no mediated DMA command */
	DMA_RUNNING, /* a chunk of it is on the device */
};

struct ide_channel {
	spinlock_t lock;
	const struct pci_dev *dev;
	unsigned channel;                 /* 0 primary, 1 secondary of dev */
	unsigned number;                  /* C of encrypt=ata:C.U */
	u16 cmd_port, ctl_port, bm_port;  /* bm_port 0: no bus master */
	const struct disk_crypt *crypt[2];
	struct ata_taskfile tf;           /* trapped registers: as written; others read back */
	bool lba_trapped;                 /* count and LBA registers */
	bool device_trapped;              /* the device register (the unit) */
	bool tf_held;                     /* trapped writes kept from the device */
	u8 guest_ctl;                     /* device control as the guest wrote it */
	bool passthrough_cmd;             /* the device runs a command Lamina passed */
	u8 command;                       /* the guest's command */

	/* The PRD pointer as the guest wrote it (the device's holds Lamina's). */
	u32 guest_prd;

	/* The mediated DMA request. */
	enum dma_state state;
	const struct disk_crypt *dc;
	struct ata_taskfile cmd_tf;       /* the task file when it was issued */
	bool write, lba48;
	u64 lba;
	u32 sectors, done, chunk;
	struct prd *prd_copy;             /* the guest's table, copied and checked */
	unsigned prd_entries;
	u8 *shadow;
	u32 shadow_sectors;
	struct prd *shadow_prd;           /* Lamina's table over the shadow */
	struct prd *sink_prd;             /* a table no transfer can complete */

	/* The mediated PIO request: one sector at a time. */
	const struct disk_crypt *pio_dc;
	bool pio_write;
	u64 pio_lba;
	u32 pio_left;
	unsigned pio_pos;
	u8 sector[SECTOR] __aligned(16);

	struct ide_stats {
		u64 dma_requests, dma_parts, pio_sectors, refused, passthrough_dma;
	} stats;
};

static struct ide_channel channels[MAX_IDE_CHANNELS];
static unsigned nr_channels, nr_controllers;
static struct ratelimit refuse_limit;
static bool parts_reported;

/* ------------------------------------------------------------ helpers */

/*
 * The bus-master engine.  The guest sets START itself (the command port
 * is not trapped) at any time, from any CPU, and the engine takes the
 * PRD pointer then.  So Lamina changes a table only while the register
 * holds the sink and the engine is stopped (engine_hold): a START after
 * that takes the sink, one before is undone.  Once the new table is in
 * the register, an engine started meanwhile or by the guest before is
 * started again, to take it (engine_release).
 */

/* Stops the engine (clears START) and says whether it was set. */
static bool engine_pause(struct ide_channel *ch)
{
	u8 cmd = inb(ch->bm_port + BM_REG_COMMAND);

	if (cmd & BM_CMD_START)
		outb(ch->bm_port + BM_REG_COMMAND, cmd & ~BM_CMD_START);
	return cmd & BM_CMD_START;
}

/* Sets START again with the guest's direction: the engine takes the PRD
 * pointer now in the register. */
static void engine_resume(struct ide_channel *ch)
{
	outb(ch->bm_port + BM_REG_COMMAND, inb(ch->bm_port + BM_REG_COMMAND) | BM_CMD_START);
}

static void engine_table(struct ide_channel *ch, const struct prd *table)
{
	outl(ch->bm_port + BM_REG_PRD, virt_to_phys(table));
}

static bool engine_hold(struct ide_channel *ch)
{
	engine_table(ch, ch->sink_prd);
	return engine_pause(ch);
}

static void engine_release(struct ide_channel *ch, bool started)
{
	if (engine_pause(ch) || started)
		engine_resume(ch);
}

static bool engine_started(struct ide_channel *ch)
{
	return inb(ch->bm_port + BM_REG_COMMAND) & BM_CMD_START;
}

/* Clears a stale interrupt/error so completion means this transfer. */
static void clear_bm_status(struct ide_channel *ch)
{
	u8 st = inb(ch->bm_port + BM_REG_STATUS);

	outb(ch->bm_port + BM_REG_STATUS, (st & BM_STATUS_KEEP) | BM_STATUS_IRQ | BM_STATUS_ERROR);
}

/* Ends whatever Lamina was doing for the previous command. */
static void drop_requests(struct ide_channel *ch)
{
	ch->state = DMA_IDLE;
	ch->pio_dc = NULL;
	ch->passthrough_cmd = false;
}

static void log_refusal(struct ide_channel *ch, const char *what, const char *why)
{
	ch->stats.refused++;
	if (ratelimit_allow(&refuse_limit))
		pr_warn("ide: ata:%u.%u: command 0x%02x %s: %s", ch->number, ata_tf_unit(&ch->tf),
			ch->command, what, why);
}

/* Fails the guest's command: the device aborts an opcode it lacks and
 * interrupts, so the guest sees an ordinary ERR/ABRT completion. */
static void refuse(struct ide_channel *ch, const char *why)
{
	log_refusal(ch, "failed", why);
	ch->state = DMA_IDLE;
	outb(ch->cmd_port + ATA_REG_COMMAND, ATA_CMD_ABORT_ME);
}

/* Copies `len` bytes at byte `offset` of the guest's scatter list to or
 * from buf (the list was checked: every region is guest RAM). */
static void sg_copy(struct ide_channel *ch, u64 offset, u8 *buf, u64 len, bool to_guest)
{
	for (unsigned i = 0; i < ch->prd_entries && len; i++) {
		u64 n = prd_bytes(&ch->prd_copy[i]);

		if (offset >= n) {
			offset -= n;
			continue;
		}
		u64 gpa = prd_addr(&ch->prd_copy[i]) + offset, part = MIN(n - offset, len);

		if (to_guest)
			guest_phys_copy_out(gpa, buf, part);
		else
			guest_phys_copy_in(buf, gpa, part);
		buf += part;
		len -= part;
		offset = 0;
	}
}

/* Lamina's PRD table over the first `bytes` of the shadow: regions of at
 * most 64 KiB that do not cross a 64 KiB boundary. */
static void build_shadow_prd(struct ide_channel *ch, u64 bytes)
{
	u64 pa = virt_to_phys(ch->shadow), end = pa + bytes;
	unsigned i = 0;

	while (pa < end) {
		u64 n = MIN(end - pa, ALIGN_DOWN(pa, 0x10000) + 0x10000 - pa);

		ch->shadow_prd[i++] = (struct prd){ (u32)pa, (u32)n & 0xffff };
		pa += n;
	}
	ch->shadow_prd[i - 1].count |= PRD_EOT;
}

/* Copies and checks the guest's table (expect: the bytes it must cover,
 * 0 for any), under engine_hold(). */
static enum prd_status copy_guest_table(struct ide_channel *ch, u64 expect)
{
	return prd_copy_table(ch->guest_prd, ch->prd_copy, &ch->prd_entries, expect,
			      guest_phys_copy_in, disk_dma_range_ok);
}

/* ---------------------------------------------------------- DMA path */

/* The device gets the task file of exactly what Lamina transforms: the
 * guest may have rewritten its registers after the command, and a part
 * of a request needs its own. */
static void write_taskfile(struct ide_channel *ch, u64 lba, u32 sectors)
{
	struct ata_tf_bytes b;
	u16 p = ch->cmd_port;

	ata_tf_encode(&ch->cmd_tf, ch->lba48, lba, sectors, &b);
	if (ch->lba48)
		outb(p + ATA_REG_COUNT, b.count[0]);
	outb(p + ATA_REG_COUNT, b.count[1]);
	for (unsigned i = 0; i < 3; i++) {
		if (ch->lba48)
			outb(p + ATA_REG_LBA_LOW + i, b.lba[i][0]);
		outb(p + ATA_REG_LBA_LOW + i, b.lba[i][1]);
	}
	outb(p + ATA_REG_DEVICE, b.device);
}

/* The next chunk's data in the shadow (encrypted, for a write) and
 * Lamina's table over it in the engine. */
static void load_chunk(struct ide_channel *ch, struct vcpu *v)
{
	u32 n = MIN(ch->sectors - ch->done, ch->shadow_sectors);

	ch->chunk = n;
	if (ch->write) {
		sg_copy(ch, (u64)ch->done * SECTOR, ch->shadow, (u64)n * SECTOR, false);
		disk_crypt_encrypt(v, ch->dc, ch->lba + ch->done, ch->shadow, ch->shadow, n);
	}
	build_shadow_prd(ch, (u64)n * SECTOR);
	engine_table(ch, ch->shadow_prd);
}

/* Sends the next chunk, under engine_hold(). */
static void start_chunk(struct ide_channel *ch, struct vcpu *v)
{
	load_chunk(ch, v);
	write_taskfile(ch, ch->lba + ch->done, ch->chunk);
	clear_bm_status(ch);
	outb(ch->cmd_port + ATA_REG_COMMAND, ch->command);
	ch->state = DMA_RUNNING;
	ch->stats.dma_parts++;
}

/* The guest's mediated DMA command: take its PRD table (once) and send the
 * first chunk. */
static void launch(struct ide_channel *ch, struct vcpu *v)
{
	enum prd_status st = copy_guest_table(ch, (u64)ch->sectors * SECTOR);

	if (st != PRD_OK) {
		refuse(ch, prd_status_names[st]);
		return;
	}
	ch->done = 0;
	ch->stats.dma_requests++;
	if (ch->sectors > ch->shadow_sectors &&
	    !__atomic_exchange_n(&parts_reported, true, __ATOMIC_RELAXED))
		pr_info("ide: ata:%u.%u: first request larger than the shadow buffer: %u sectors "
			"in parts of %u", ch->number, ata_tf_unit(&ch->tf), ch->sectors,
			ch->shadow_sectors);
	start_chunk(ch, v);
}

/* A command Lamina passes on may move data by DMA (the guest's START is
 * not always seen): the engine gets a checked copy of the guest's table,
 * or keeps the sink, where the transfer never completes and the guest's
 * timeout recovers.  Only a DMA command's bad table is worth a report. */
static void load_passthrough_table(struct ide_channel *ch)
{
	bool dma = ata_xfer_is_dma(ata_classify(ch->command).xfer);
	enum prd_status st = copy_guest_table(ch, 0);

	if (st == PRD_OK) {
		engine_table(ch, ch->prd_copy);
		ch->stats.passthrough_dma += dma;
	} else if (dma) {
		log_refusal(ch, "cannot complete", prd_status_names[st]);
	}
}

/* The guest wrote the PRD pointer after its command but before START
 * (SFF-8038i wants it before the command; the engine reads it at START):
 * the command's table is taken again from there.  A transfer already
 * started keeps its table, as on the hardware; after a command the
 * device finished, the pointer is the next command's. */
static void prd_rewritten(struct ide_channel *ch, struct vcpu *v)
{
	bool mediated = ch->state == DMA_RUNNING && !ch->done;

	if ((!mediated && !ch->passthrough_cmd) || engine_started(ch) ||
	    !(inb(ch->ctl_port) & (ATA_STATUS_BSY | ATA_STATUS_DRQ)))
		return;
	bool started = engine_hold(ch); /* (by another CPU, just now) */

	if (!mediated) {
		load_passthrough_table(ch);
	} else {
		enum prd_status st = copy_guest_table(ch, (u64)ch->sectors * SECTOR);

		if (st == PRD_OK) {
			load_chunk(ch, v);
		} else { /* the engine keeps the sink; nothing comes home */
			ch->state = DMA_IDLE;
			log_refusal(ch, "cannot complete", prd_status_names[st]);
		}
	}
	engine_release(ch, started);
}

/* Called before the guest sees any status: when the device has finished
 * the running chunk, bring its data home and send the next one, so the
 * guest sees completion only when its buffers hold the plaintext. */
static void dma_poll(struct ide_channel *ch, struct vcpu *v)
{
	if (ch->state != DMA_RUNNING)
		return;
	u8 bm = inb(ch->bm_port + BM_REG_STATUS);
	u8 alt = inb(ch->ctl_port); /* altstatus: reading it acknowledges nothing */
	bool failed = (bm & BM_STATUS_ERROR) || (!(alt & ATA_STATUS_BSY) && (alt & ATA_STATUS_ERR));

	if (!failed && !(bm & BM_STATUS_IRQ) && (alt & (ATA_STATUS_BSY | ATA_STATUS_DRQ)))
		return;
	if (failed) {
		ch->state = DMA_IDLE; /* the guest sees the device's error */
		return;
	}
	if (!ch->write) {
		disk_crypt_decrypt(v, ch->dc, ch->lba + ch->done, ch->shadow, ch->shadow, ch->chunk);
		sg_copy(ch, (u64)ch->done * SECTOR, ch->shadow, (u64)ch->chunk * SECTOR, true);
	}
	ch->done += ch->chunk;
	if (ch->done == ch->sectors) {
		ch->state = DMA_IDLE; /* START stays as the guest set it */
		return;
	}
	bool started = engine_hold(ch);

	start_chunk(ch, v);
	engine_release(ch, started);
}

/* A status register as the guest may see it: the device can finish
 * between Lamina's look and the guest's read, so while a request is still
 * Lamina's the value never shows completion (the guest would take buffers
 * Lamina has not filled, or end a request with parts still to go). */
static u8 status_read(struct ide_channel *ch, struct vcpu *v, u16 port, bool bus_master)
{
	u8 val = 0;

	for (unsigned tries = 0; tries < 2; tries++) {
		dma_poll(ch, v);
		val = inb(port);
		if (ch->state != DMA_RUNNING)
			return val;
	}
	return bus_master ? (val & ~BM_STATUS_IRQ) | BM_STATUS_ACTIVE : val | ATA_STATUS_BSY;
}

/* ------------------------------------------------------------ commands */

/* The count and LBA registers as the guest left them in the device (its
 * writes are not trapped): LBA48's earlier bytes come back with HOB set
 * in the device control register.  The command write cleared HOB on the
 * device, which is how the register is left. */
static void read_back_taskfile(struct ide_channel *ch, bool lba48)
{
	u16 p = ch->cmd_port;

	if (ch->lba_trapped)
		return;
	for (unsigned r = ATA_REG_COUNT; r <= ATA_REG_LBA_HIGH; r++)
		ch->tf.reg[r] = inb(p + r);
	if (!lba48)
		return;
	outb(ch->ctl_port, ch->guest_ctl | ATA_CTL_HOB);
	for (unsigned r = ATA_REG_COUNT; r <= ATA_REG_LBA_HIGH; r++)
		ch->tf.prev[r] = inb(p + r);
	outb(ch->ctl_port, ch->guest_ctl);
}

/* The guest's trapped task-file writes that were kept from the device
 * while a mediated request ran, for a command Lamina passes on. */
static void flush_held_taskfile(struct ide_channel *ch)
{
	u16 p = ch->cmd_port;

	if (!ch->tf_held)
		return;
	ch->tf_held = false;
	for (unsigned r = ATA_REG_COUNT; r <= ATA_REG_LBA_HIGH && ch->lba_trapped; r++) {
		outb(p + r, ch->tf.prev[r]);
		outb(p + r, ch->tf.reg[r]);
	}
	if (ch->device_trapped)
		outb(p + ATA_REG_DEVICE, ch->tf.reg[ATA_REG_DEVICE]);
}

static void issue_command(struct ide_channel *ch, struct vcpu *v, u8 cmd)
{
	if (!ch->device_trapped)
		ch->tf.reg[ATA_REG_DEVICE] = inb(ch->cmd_port + ATA_REG_DEVICE);

	const struct disk_crypt *dc = ch->crypt[ata_tf_unit(&ch->tf)];
	struct ata_cmd_kind k = ata_classify(cmd);
	u64 lba;
	u32 sectors;

	ch->command = cmd;
	if (!dc || k.xfer == ATA_XFER_NONE) {
		flush_held_taskfile(ch);
		if (ch->bm_port)
			load_passthrough_table(ch);
		outb(ch->cmd_port + ATA_REG_COMMAND, cmd);
		ch->passthrough_cmd = true;
		return;
	}
	if (k.xfer == ATA_XFER_REFUSED) {
		refuse(ch, "moves sectors in a way Lamina does not mediate");
		return;
	}
	read_back_taskfile(ch, k.lba48);
	if (!ata_tf_range(&ch->tf, k.lba48, &lba, &sectors)) {
		refuse(ch, "CHS addressing");
		return;
	}
	if (ata_xfer_is_dma(k.xfer)) {
		if (!ch->bm_port || !ch->shadow) {
			refuse(ch, "no bus master or shadow buffer");
			return;
		}
		ch->dc = dc;
		ch->cmd_tf = ch->tf;
		ch->write = ata_xfer_writes(k.xfer);
		ch->lba48 = k.lba48;
		ch->lba = lba;
		ch->sectors = sectors;
		launch(ch, v);
		return;
	}
	ch->pio_dc = dc;
	ch->pio_write = ata_xfer_writes(k.xfer);
	ch->pio_lba = lba;
	ch->pio_left = sectors;
	ch->pio_pos = 0;
	flush_held_taskfile(ch);
	outb(ch->cmd_port + ATA_REG_COMMAND, cmd);
}

/* A device with BSY or DRQ set ignores commands (but DEVICE RESET), and its
 * registers cannot be read back then: the command is dropped as the
 * device would drop it, and whatever it runs stays Lamina's. */
static bool device_takes(struct ide_channel *ch, u8 cmd)
{
	return cmd == ATA_CMD_DEVICE_RESET ||
	       !(inb(ch->ctl_port) & (ATA_STATUS_BSY | ATA_STATUS_DRQ));
}

static void command_written(struct ide_channel *ch, struct vcpu *v, u8 cmd)
{
	if (!device_takes(ch, cmd))
		return;
	drop_requests(ch);
	if (!ch->bm_port) {
		issue_command(ch, v, cmd);
		return;
	}
	/* (the guest may have set START before its command) */
	bool started = engine_hold(ch);

	issue_command(ch, v, cmd);
	engine_release(ch, started);
}

/* ----------------------------------------------------------- PIO path */

static void pio_sector_done(struct ide_channel *ch)
{
	ch->pio_pos = 0;
	ch->pio_lba++;
	ch->stats.pio_sectors++;
	if (!--ch->pio_left)
		ch->pio_dc = NULL;
}

static u64 data_read(struct ide_channel *ch, struct vcpu *v, u16 port, unsigned size)
{
	u64 val = 0;

	if (!ch->pio_dc || ch->pio_write)
		return port_read(port, size);
	if (!ch->pio_pos) {
		for (unsigned i = 0; i < SECTOR; i += 2)
			*(u16 *)&ch->sector[i] = inw(port);
		disk_crypt_decrypt(v, ch->pio_dc, ch->pio_lba, ch->sector, ch->sector, 1);
	}
	/* (an access across the sector's end gets its last bytes only) */
	size = MIN(size, SECTOR - ch->pio_pos);
	memcpy(&val, &ch->sector[ch->pio_pos], size);
	ch->pio_pos += size;
	if (ch->pio_pos == SECTOR)
		pio_sector_done(ch);
	return val;
}

static void data_write(struct ide_channel *ch, struct vcpu *v, u16 port, unsigned size, u64 val)
{
	if (!ch->pio_dc || !ch->pio_write) {
		port_write(port, size, val);
		return;
	}
	size = MIN(size, SECTOR - ch->pio_pos);
	memcpy(&ch->sector[ch->pio_pos], &val, size);
	ch->pio_pos += size;
	if (ch->pio_pos < SECTOR)
		return;
	disk_crypt_encrypt(v, ch->pio_dc, ch->pio_lba, ch->sector, ch->sector, 1);
	for (unsigned i = 0; i < SECTOR; i += 2)
		outw(port, *(u16 *)&ch->sector[i]);
	pio_sector_done(ch);
}

/* ------------------------------------------------------- trap handlers */

static u64 cmd_block_read(struct vcpu *v, void *ctx, u64 port, unsigned size)
{
	struct ide_channel *ch = ctx;
	u64 val;

	spin_lock(&ch->lock);
	if (port == ch->cmd_port) {
		val = data_read(ch, v, port, size);
	} else if (port == (u64)ch->cmd_port + ATA_REG_STATUS && size == 1) {
		val = status_read(ch, v, port, false);
	} else {
		if (port + size > (u64)ch->cmd_port + ATA_REG_STATUS)
			dma_poll(ch, v);
		val = port_read(port, size);
	}
	spin_unlock(&ch->lock);
	return val;
}

static void cmd_block_write(struct vcpu *v, void *ctx, u64 port, unsigned size, u64 val)
{
	struct ide_channel *ch = ctx;

	spin_lock(&ch->lock);
	if (port == ch->cmd_port) {
		data_write(ch, v, port, size, val);
	} else {
		for (unsigned i = 0; i < size; i++) {
			unsigned reg = port + i - ch->cmd_port;
			u8 b = val >> (8 * i);

			if (reg == ATA_REG_COMMAND) {
				command_written(ch, v, b);
				continue;
			}
			ata_tf_write(&ch->tf, reg, b);
			/* A device ignores them while it runs a command (BSY or
			 * DRQ); QEMU's would move Lamina's transfer elsewhere. */
			if (ch->state == DMA_RUNNING || ch->pio_dc)
				ch->tf_held = true;
			else
				outb(port + i, b);
		}
	}
	spin_unlock(&ch->lock);
}

static u64 ctl_read(struct vcpu *v, void *ctx, u64 port, unsigned size)
{
	struct ide_channel *ch = ctx;
	u64 val;

	spin_lock(&ch->lock);
	val = size == 1 ? status_read(ch, v, port, false) : port_read(port, size);
	spin_unlock(&ch->lock);
	return val;
}

static void ctl_write(struct vcpu *v, void *ctx, u64 port, unsigned size, u64 val)
{
	struct ide_channel *ch = ctx;

	(void)v;
	spin_lock(&ch->lock);
	ch->guest_ctl = val & ~ATA_CTL_HOB;
	if (val & ATA_CTL_SRST)
		drop_requests(ch);
	port_write(port, size, val);
	spin_unlock(&ch->lock);
}

static u8 bm_read_byte(struct ide_channel *ch, struct vcpu *v, unsigned off)
{
	switch (off) {
	case BM_REG_STATUS:
		return status_read(ch, v, ch->bm_port + off, true);
	case BM_REG_PRD ... BM_REG_PRD + 3:
		return ch->guest_prd >> (8 * (off - BM_REG_PRD));
	default: /* (not trapped: bytes of an access across the edge) */
		return inb(ch->bm_port + off);
	}
}

static u64 bm_read(struct vcpu *v, void *ctx, u64 port, unsigned size)
{
	struct ide_channel *ch = ctx;
	u64 val = 0;

	spin_lock(&ch->lock);
	for (unsigned i = 0; i < size; i++)
		val |= (u64)bm_read_byte(ch, v, (port + i - ch->bm_port) & 7) << (8 * i);
	spin_unlock(&ch->lock);
	return val;
}

static void bm_write(struct vcpu *v, void *ctx, u64 port, unsigned size, u64 val)
{
	struct ide_channel *ch = ctx;
	bool prd = false;

	spin_lock(&ch->lock);
	for (unsigned i = 0; i < size; i++) {
		unsigned off = (port + i - ch->bm_port) & 7;
		u8 b = val >> (8 * i);

		if (off >= BM_REG_PRD) {
			unsigned shift = 8 * (off - BM_REG_PRD);

			ch->guest_prd = (ch->guest_prd & ~(0xffu << shift)) | (u32)b << shift;
			prd = true;
		} else { /* status (write 1 to clear) */
			outb(ch->bm_port + off, b);
		}
	}
	if (prd)
		prd_rewritten(ch, v);
	spin_unlock(&ch->lock);
}

/* An instruction the emulator cannot perform must never reach these
 * ports unmediated: the guest gets #UD instead (no pass-through). */
static const struct emul_handler data_handler = {
	.name = "ide data", .read = cmd_block_read, .write = cmd_block_write,
	.whole_access = true,
};
static const struct emul_handler cmd_block_handler = {
	.name = "ide command block", .read = cmd_block_read, .write = cmd_block_write,
};
static const struct emul_handler ctl_handler = {
	.name = "ide control", .read = ctl_read, .write = ctl_write,
};
static const struct emul_handler bm_handler = {
	.name = "ide bus master", .read = bm_read, .write = bm_write,
};

/* -------------------------------------------------------------- set-up */

/* The shadow buffer: as large as fits up to disk_shadow_size(), the PRD
 * copy in one 64 KiB-aligned block (the controller reads it for
 * pass-through DMA, and a table must not cross 64 KiB), and one page
 * holding the sink's table and its two bytes. */
static int alloc_buffers(struct ide_channel *ch)
{
	const size_t copy_pages = 0x10000 / PAGE_SIZE, spare = copy_pages - 1;
	u8 *block = page_alloc(copy_pages + spare);

	if (!block)
		return -1;
	u8 *aligned = (u8 *)ALIGN_UP((u64)block, 0x10000);
	size_t head = (aligned - block) / PAGE_SIZE;

	if (head)
		page_free(block, head);
	if (spare - head)
		page_free(aligned + copy_pages * PAGE_SIZE, spare - head);
	ch->prd_copy = (struct prd *)aligned;
	ch->shadow_prd = page_alloc(1);
	ch->sink_prd = page_alloc(1);
	/* (at most 16 MiB: Lamina's table over it fits in its one page) */
	for (u64 size = disk_shadow_size(); size >= SHADOW_MIN && !ch->shadow;
	     size = ALIGN_DOWN(size / 2, PAGE_SIZE)) {
		ch->shadow = page_alloc(size / PAGE_SIZE);
		ch->shadow_sectors = size / SECTOR;
	}
	if (!ch->shadow || !ch->shadow_prd || !ch->sink_prd)
		return -1;
	ch->sink_prd[0] = (struct prd){ (u32)virt_to_phys(ch->sink_prd) + SINK_OFFSET,
					2 | PRD_EOT };
	return 0;
}

static u16 bar_port(const struct pci_dev *d, unsigned bar)
{
	u64 a = pci_bar_decoded(d, bar);

	return d->bar[bar].kind == PCI_BAR_IO && a != PCI_BAR_UNMAPPED && a < 0x10000 ? a : 0;
}

/* A disk the user asked to encrypt must never run unmediated: without
 * its traps Lamina stops before the guest starts. */
static void __noreturn cannot_mediate(const struct pci_dev *d, unsigned number, const char *why)
{
	char addr[16];

	pci_addr_format(d->addr, addr, sizeof(addr));
	pr_err("ide %s: ata:%u cannot be mediated: %s; Lamina cannot continue, halting", addr,
	       number, why);
	cpu_halt_forever();
}

static void trap_ports(struct ide_channel *ch, u16 port, unsigned count,
		       const struct emul_handler *h)
{
	if (io_register(port, count, h, ch))
		cannot_mediate(ch->dev, ch->number, "its ports cannot be trapped");
}

/* Whether the device gives LBA48's earlier register bytes back with HOB
 * set (ATA-6 and later, QEMU; Bochs 2.7 does not): only then can the task
 * file be read back instead of trapped.  Before the guest runs; leaves
 * the device's interrupt disabled (nIEN), as the OS expects to set it. */
static bool hob_reads_back(struct ide_channel *ch)
{
	u16 lba_low = ch->cmd_port + ATA_REG_LBA_LOW;
	u8 high, low;

	if (inb(ch->ctl_port) & (ATA_STATUS_BSY | ATA_STATUS_DRQ))
		return false;
	outb(lba_low, 0x5a);
	outb(lba_low, 0xa5);
	outb(ch->ctl_port, ATA_CTL_NIEN | ATA_CTL_HOB);
	high = inb(lba_low);
	outb(ch->ctl_port, ATA_CTL_NIEN);
	low = inb(lba_low);
	ch->guest_ctl = ATA_CTL_NIEN;
	return high == 0x5a && low == 0xa5;
}

/* The ports trapped on every machine; the rest (ide_cpus_started) only
 * where reading back is not safe. */
static void setup_channel(struct pci_dev *d, unsigned c, unsigned number)
{
	static const u16 legacy_cmd[2] = { 0x1f0, 0x170 }, legacy_ctl[2] = { 0x3f6, 0x376 };
	struct ide_channel *ch = &channels[nr_channels];
	bool native = d->progif & (1u << (2 * c));
	char addr[16];

	if (nr_channels == MAX_IDE_CHANNELS)
		cannot_mediate(d, number, "too many channels");
	ch->dev = d;
	ch->channel = c;
	ch->number = number;
	ch->crypt[0] = disk_crypt_find(DISK_BUS_ATA, number, 0);
	ch->crypt[1] = disk_crypt_find(DISK_BUS_ATA, number, 1);
	ch->cmd_port = native ? bar_port(d, 2 * c) : legacy_cmd[c];
	ch->ctl_port = native ? bar_port(d, 2 * c + 1) + 2 : legacy_ctl[c];
	ch->bm_port = (d->progif & 0x80) && bar_port(d, 4) ? bar_port(d, 4) + 8 * c : 0;
	if (!ch->cmd_port || ch->ctl_port == 2)
		cannot_mediate(d, number, "the channel has no I/O ports");
	if (alloc_buffers(ch))
		cannot_mediate(d, number, "out of memory for the shadow buffer (memory=)");
	trap_ports(ch, ch->cmd_port + ATA_REG_DATA, 1, &data_handler);
	trap_ports(ch, ch->cmd_port + ATA_REG_STATUS, 1, &cmd_block_handler);
	trap_ports(ch, ch->ctl_port, 1, &ctl_handler);
	if (ch->bm_port) {
		trap_ports(ch, ch->bm_port + BM_REG_STATUS, 1, &bm_handler);
		trap_ports(ch, ch->bm_port + BM_REG_PRD, 4, &bm_handler);
		engine_hold(ch);
	}
	/* Read back, the task file could name other sectors than Lamina
	 * transformed (another CPU, or QEMU, which takes the LBA when the
	 * transfer starts): only ciphertext still lands on a whole disk, but a
	 * range's edge could be crossed. */
	bool hob = hob_reads_back(ch);

	ch->lba_trapped = !hob || (ch->crypt[0] && !disk_crypt_whole_disk(ch->crypt[0])) ||
			  (ch->crypt[1] && !disk_crypt_whole_disk(ch->crypt[1]));
	if (ch->lba_trapped)
		trap_ports(ch, ch->cmd_port + ATA_REG_COUNT, 4, &cmd_block_handler);
	nr_channels++;
	pci_addr_format(d->addr, addr, sizeof(addr));
	pr_info("ide %s: ata:%u mediated (ports 0x%x/0x%x, bus master 0x%x, shadow %u KiB)", addr,
		number, ch->cmd_port, ch->ctl_port, ch->bm_port,
		(unsigned)(ch->shadow_sectors * SECTOR / KiB));
}

void ide_cpus_started(unsigned nr_cpus)
{
	for (unsigned i = 0; i < nr_channels; i++) {
		struct ide_channel *ch = &channels[i];

		/* Another CPU could select the other unit between Lamina's
		 * look and the command (plaintext to a named unit, ciphertext
		 * to the guest): with several CPUs the device register traps
		 * too, so its writes wait for the channel's lock. */
		if (nr_cpus > 1) {
			ch->device_trapped = true;
			trap_ports(ch, ch->cmd_port + ATA_REG_DEVICE, 1, &cmd_block_handler);
		}
		pr_info("ide: ata:%u: count and LBA registers %s, device register %s", ch->number,
			ch->lba_trapped ? "trapped" : "read back",
			ch->device_trapped ? "trapped" : "read back");
	}
}

/* Channels are numbered across controllers in probe order: 0/1 on the
 * first, 2/3 on the next... */
static int ide_probe(struct pci_dev *d)
{
	unsigned first = 2 * nr_controllers++;
	bool taken = false;

	for (unsigned c = 0; c < 2; c++) {
		if (disk_crypt_find(DISK_BUS_ATA, first + c, 0) ||
		    disk_crypt_find(DISK_BUS_ATA, first + c, 1)) {
			setup_channel(d, c, first + c);
			taken = true;
		}
	}
	return taken ? 0 : -PCI_ENODEV;
}

/* A run of trapped ports in a register block, as registered. */
struct span {
	u8 offset, count;
	bool trapped;
};

/* The guest moved one of the channel's register blocks (its BAR): the
 * traps follow, then the channel's idea of where the block is.  Ports
 * Lamina cannot trap there (taken by another trap) stay trapped where
 * they were, which is logged. */
static void follow_block(struct ide_channel *ch, u16 *base, u64 to, const struct span *s,
			 unsigned n)
{
	u16 from = *base;

	if (to == from || to >= 0x10000)
		return;
	for (unsigned i = 0; i < n; i++) {
		if (s[i].trapped && io_move(from + s[i].offset, to + s[i].offset)) {
			pr_err("ide: ata:%u: cannot trap ports 0x%llx+%u where the guest moved them",
			       ch->number, (unsigned long long)to + s[i].offset, s[i].count);
			return;
		}
	}
	spin_lock(&ch->lock);
	*base = to;
	spin_unlock(&ch->lock);
}

/* Native-mode channels have their command and control blocks in BARs
 * 0-3; every channel's bus master is in BAR4 (8 ports each). */
static void ide_bar_moved(struct pci_dev *d, unsigned bar, u64 from, u64 to)
{
	(void)from;
	if (to == PCI_BAR_UNMAPPED)
		return; /* decode off: the traps stay until it is on again */
	for (unsigned i = 0; i < nr_channels; i++) {
		struct ide_channel *ch = &channels[i];
		bool native = d->progif & (1u << (2 * ch->channel));
		const struct span cmd[] = {
			{ ATA_REG_DATA, 1, true },
			{ ATA_REG_STATUS, 1, true },
			{ ATA_REG_COUNT, 4, ch->lba_trapped },
			{ ATA_REG_DEVICE, 1, ch->device_trapped },
		};
		const struct span ctl[] = { { 0, 1, true } };
		const struct span bm[] = { { BM_REG_STATUS, 1, true }, { BM_REG_PRD, 4, true } };

		if (ch->dev != d)
			continue;
		if (bar == 4 && ch->bm_port)
			follow_block(ch, &ch->bm_port, to + 8 * ch->channel, bm, ARRAY_SIZE(bm));
		else if (native && bar == 2 * ch->channel)
			follow_block(ch, &ch->cmd_port, to, cmd, ARRAY_SIZE(cmd));
		else if (native && bar == 2 * ch->channel + 1)
			follow_block(ch, &ch->ctl_port, to + 2, ctl, ARRAY_SIZE(ctl));
	}
}

static const struct pci_match ide_match[] = {
	PCI_MATCH_CLASS2(0x01, 0x01), /* IDE controller */
	PCI_MATCH_END,
};

static const struct pci_mediator ide_mediator = {
	.name = "ide",
	.match = ide_match,
	.probe = ide_probe,
	.bar_moved = ide_bar_moved,
};
PCI_MEDIATOR(ide_mediator);

void ide_status(struct textbuf *tb)
{
	for (unsigned i = 0; i < nr_channels; i++) {
		struct ide_channel *ch = &channels[i];
		struct ide_stats st;

		spin_lock(&ch->lock);
		st = ch->stats;
		spin_unlock(&ch->lock);
		textbuf_printf(tb, "ide_ata%u: %llu dma requests, %llu parts, %llu pio sectors, "
			       "%llu refused, %llu pass-through dma\n", ch->number,
			       (unsigned long long)st.dma_requests, (unsigned long long)st.dma_parts,
			       (unsigned long long)st.pio_sectors, (unsigned long long)st.refused,
			       (unsigned long long)st.passthrough_dma);
	}
}
