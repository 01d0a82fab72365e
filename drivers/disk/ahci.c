/*
 * The AHCI mediator: transparent encryption of the disks on the ports of
 * the first AHCI controller that encrypt=ahci:<port> names (docs/ahci.md).
 *
 * Lamina traps the controller's register page (ABAR, BAR5).  Registers of
 * ports not named go to the device unchanged.  A named port runs on
 * Lamina's own command list: the guest's PxCLB is recorded and read back,
 * the device gets the shadow list.  When the guest issues a slot (PxCI),
 * Lamina copies its command header, command table and PRDT once, checks
 * the copy and builds its own command over a shadow buffer of the port's
 * pool: written sectors are encrypted into the shadow before the command
 * reaches the device; read sectors are decrypted from the shadow into the
 * guest's buffers when the slot completes, which Lamina notices whenever
 * the guest looks (reads IS, PxIS, PxCI, PxSACT or PxTFD), before the
 * guest can see the completion.  A command larger than the shadow is
 * split into pieces run one after the other; commands wait (in order)
 * while the pool is full.  A command Lamina refuses is replaced by one
 * the device fails, so the guest sees an ordinary ATA error.
 *
 * Each port's state is under its own lock; any CPU may trap.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/mmio.h"
#include "arch/x86/paging.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "drivers/disk/ahci.h"
#include "drivers/disk/ahci_cmd.h"
#include "drivers/disk/diskcrypt.h"
#include "drivers/registry.h"

/* Generic host control registers. */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_IS 0x08
#define HBA_PI 0x0c
#define CAP_NCS(cap) ((((cap) >> 8) & 0x1f) + 1)
#define CAP_FBSS BIT(16)
#define GHC_HR BIT(0)

/* Port registers, at 0x100 + port * 0x80. */
#define PORT_REGS 0x100
#define PORT_STRIDE 0x80
#define PX_CLB 0x00
#define PX_CLBU 0x04
#define PX_FB 0x08
#define PX_FBU 0x0c
#define PX_IS 0x10
#define PX_CMD 0x18
#define PX_TFD 0x20
#define PX_SACT 0x34
#define PX_CI 0x38
#define PXCMD_ST BIT(0)
#define PXCMD_FRE BIT(4)
#define PXCMD_CR BIT(15)
#define TFD_ERR BIT(0)

#define ABAR_BAR 5
#define ABAR_SIZE PAGE_SIZE
#define MAX_PORTS 32

/* The shadow pool: units of 64 KiB.  One piece of a command is at most
 * a 32nd of the pool (so every slot can have one on the device at once)
 * and at most 4 MiB (64 units, one PRD's limit). */
#define UNIT (64 * KiB)
#define PIECE_MAX (4 * MiB)
#define PIECE_RUNS (PIECE_MAX / UNIT)
#define POOL_MIN (1 * MiB)
#define POOL_MAX (32 * MiB)
#define TABLE_SIZE ALIGN_UP(AHCI_TABLE_HEAD + PIECE_RUNS * sizeof(struct ahci_prd), 128)
#define FIS_AREA_MAX (4 * KiB)

enum slot_state { SLOT_IDLE, SLOT_WAITING, SLOT_ACTIVE };

struct slot {
	enum slot_state state;
	struct ahci_op op;
	u32 flags;                  /* the guest's header DW0 */
	u64 header_gpa;             /* where the guest's header is (PRDBC) */
	u8 head[AHCI_TABLE_HEAD];   /* copy of the guest's CFIS and ACMD */
	struct ahci_seg *segs;      /* the guest's buffers (port->segs) */
	unsigned nr_segs;
	u64 done;                   /* bytes of finished pieces */
	u64 piece;                  /* bytes of the piece on the device */
	u32 prdbc;                  /* the device's byte counts, summed */
	unsigned nr_runs;
	struct ahci_run runs[PIECE_RUNS];
};

struct port {
	spinlock_t lock;
	struct hba *hba;
	unsigned no;
	u64 regs;                   /* physical address of the port's registers */
	const struct disk_crypt *dc;
	u32 guest_clb, guest_clbu, guest_fb, guest_fbu;
	u32 busy;                   /* slots issued by the guest, not completed */
	u32 ncq;                    /* of those, the queued ones */
	u32 waiting;                /* of those, waiting for shadow */
	u32 active;                 /* of those, a piece on the device */
	u8 queue[AHCI_SLOTS];       /* waiting slots, oldest first */
	unsigned queue_len;
	struct ahci_cmd_header *cl; /* the device's command list */
	u8 *tables;                 /* AHCI_SLOTS command tables of TABLE_SIZE */
	u8 *pool_mem;
	u64 pool_bytes;
	u64 piece_max;              /* bytes of one piece */
	struct ahci_pool pool;
	u8 *scratch;                /* FIS area for a refused PxFB; failing reads */
	struct ahci_prd *prd_copy;  /* the PRDT being checked */
	struct ahci_seg *segs;      /* AHCI_SLOTS * AHCI_MAX_GUEST_PRDS */
	struct slot slots[AHCI_SLOTS];
	struct ratelimit rl;
	struct ahci_port_stats stats;
};

struct hba {
	struct pci_dev *pci;
	u64 abar;
	u32 cap;
	unsigned slots;             /* command slots per port (CAP.NCS) */
	u32 mediated;               /* ports with a struct port */
	struct port *ports[MAX_PORTS];
};

static struct hba *the_hba;

/* ---------------------------------------------------------- registers */

static u32 rd(const struct port *p, unsigned reg)
{
	return phys_read(p->regs + reg, 4);
}

static void wr(const struct port *p, unsigned reg, u32 val)
{
	phys_write(p->regs + reg, 4, val);
}

static u64 phys_of(const void *p)
{
	return virt_to_phys(p);
}

static void guest_error(struct port *p, const char *what)
{
	p->stats.refused++;
	if (ratelimit_allow(&p->rl))
		pr_warn("ahci port %u: guest command refused: %s", p->no, what);
}

/* --------------------------------------------------------- slot queue */

static void enqueue(struct port *p, unsigned slot, bool front)
{
	if (front) {
		memmove(p->queue + 1, p->queue, p->queue_len);
		p->queue[0] = slot;
	} else {
		p->queue[p->queue_len] = slot;
	}
	p->queue_len++;
	p->slots[slot].state = SLOT_WAITING;
	p->waiting |= BIT(slot);
}

static void dequeue_head(struct port *p)
{
	p->queue_len--;
	memmove(p->queue, p->queue + 1, p->queue_len);
}

/* Forgets every command (the engine stopped or the HBA was reset): the
 * device no longer works on any of them. */
static void abort_all(struct port *p)
{
	for (unsigned i = 0; i < AHCI_SLOTS; i++) {
		struct slot *s = &p->slots[i];

		if (s->state == SLOT_ACTIVE)
			ahci_pool_free(&p->pool, s->runs, s->nr_runs);
		s->state = SLOT_IDLE;
		s->nr_runs = 0;
	}
	p->busy = p->ncq = p->waiting = p->active = 0;
	p->queue_len = 0;
}

/* ------------------------------------------------- guest data copies */

/* Copies len bytes between buf and the slot's guest buffers, starting
 * `off` bytes into them.  False if a buffer is no longer guest RAM. */
static bool copy_guest(const struct slot *s, u64 off, u8 *buf, u64 len, bool to_guest)
{
	for (unsigned i = 0; i < s->nr_segs && len; i++) {
		const struct ahci_seg *g = &s->segs[i];
		u64 n;
		int err;

		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		n = MIN(g->len - off, len);
		err = to_guest ? guest_phys_copy_out(g->addr + off, buf, n)
			       : guest_phys_copy_in(buf, g->addr + off, n);
		if (err)
			return false;
		buf += n;
		len -= n;
		off = 0;
	}
	return true;
}

static u8 *run_mem(const struct port *p, struct ahci_run r)
{
	return p->pool_mem + (u64)r.first * UNIT;
}

/* The bytes of run i of the slot's piece (the last one may be short). */
static u64 run_len(const struct slot *s, unsigned i)
{
	u64 before = 0;

	for (unsigned j = 0; j < i; j++)
		before += (u64)s->runs[j].count * UNIT;
	return MIN((u64)s->runs[i].count * UNIT, s->piece - before);
}

static bool is_disk(const struct ahci_op *op)
{
	return op->kind == AHCI_OP_DISK_READ || op->kind == AHCI_OP_DISK_WRITE;
}

/* Moves the piece between the shadow runs and the guest's buffers, through
 * the cipher for disk sectors.  False if the guest's memory went away. */
static bool transfer_piece(struct vcpu *v, struct port *p, struct slot *s, bool to_guest)
{
	u64 off = 0;

	for (unsigned i = 0; i < s->nr_runs; i++) {
		u8 *mem = run_mem(p, s->runs[i]);
		u64 len = run_len(s, i);
		u64 lba = s->op.lba + (s->done + off) / AHCI_SECTOR;

		if (to_guest && is_disk(&s->op))
			disk_crypt_decrypt(v, p->dc, lba, mem, mem, len / AHCI_SECTOR);
		if (!copy_guest(s, s->done + off, mem, len, to_guest))
			return false;
		if (!to_guest && is_disk(&s->op))
			disk_crypt_encrypt(v, p->dc, lba, mem, mem, len / AHCI_SECTOR);
		off += len;
	}
	return true;
}

/* ------------------------------------------------------ issuing pieces */

static void set_prd(struct ahci_prd *prd, u64 addr, u64 len)
{
	*prd = (struct ahci_prd){ .dba = (u32)addr, .dbau = addr >> 32, .dbc = len - 1 };
}

/* Shadow for the slot's next piece; false when the pool has too little
 * free now (the slot waits). */
static bool take_shadow(struct port *p, struct slot *s)
{
	u64 left = s->op.bytes - s->done;

	/* Only sectors can be split; other data goes in one piece (at most
	 * AHCI_PLAIN_MAX, which the pool and a table hold). */
	s->piece = is_disk(&s->op) ? MIN(left, p->piece_max) : left;
	s->nr_runs = ahci_pool_alloc(&p->pool, ALIGN_UP(s->piece, UNIT) / UNIT, s->runs,
				     PIECE_RUNS);
	return s->nr_runs != 0;
}

/* Builds the device's command for the slot's next piece in the shadow
 * list and table.  False: it must wait for shadow. */
static bool prepare_piece(struct vcpu *v, struct port *p, unsigned slot)
{
	struct slot *s = &p->slots[slot];
	struct ahci_cmd_header *h = &p->cl[slot];
	u8 *table = p->tables + slot * TABLE_SIZE;
	struct ahci_prd *prd = (struct ahci_prd *)(table + AHCI_TABLE_HEAD);
	u32 flags = s->flags & AHCI_HDR_KEEP, nr_prds = 0;

	memcpy(table, s->head, AHCI_TABLE_HEAD);
	switch (s->op.kind) {
	case AHCI_OP_NODATA:
		break;
	case AHCI_OP_REJECT:
		ahci_cfis_failing(table, s->op.ncq, slot);
		flags = 5; /* a five-dword FIS, read direction */
		set_prd(&prd[nr_prds++], phys_of(p->scratch), AHCI_SECTOR);
		break;
	default:
		if (!take_shadow(p, s))
			return false;
		if (s->op.kind == AHCI_OP_DISK_WRITE || s->op.kind == AHCI_OP_PLAIN_OUT) {
			if (!transfer_piece(v, p, s, false)) {
				/* The buffers were checked; they can only vanish
				 * if the guest's RAM map lied.  Fail it. */
				ahci_pool_free(&p->pool, s->runs, s->nr_runs);
				s->nr_runs = 0;
				s->op.kind = AHCI_OP_REJECT;
				guest_error(p, "buffer unreadable");
				return prepare_piece(v, p, slot);
			}
		}
		if (is_disk(&s->op)) {
			ahci_cfis_set_range(table, s->op.form, s->op.lba + s->done / AHCI_SECTOR,
					    s->piece / AHCI_SECTOR);
			flags &= ~AHCI_HDR_WRITE;
			if (s->op.kind == AHCI_OP_DISK_WRITE)
				flags |= AHCI_HDR_WRITE;
		}
		for (unsigned i = 0; i < s->nr_runs; i++)
			set_prd(&prd[nr_prds++], phys_of(run_mem(p, s->runs[i])), run_len(s, i));
		p->stats.pieces++;
		break;
	}
	h->flags = flags | nr_prds << AHCI_HDR_PRDTL_SHIFT;
	h->prdbc = 0;
	h->ctba = (u32)phys_of(table);
	h->ctbau = phys_of(table) >> 32;
	s->state = SLOT_ACTIVE;
	p->waiting &= ~BIT(slot);
	p->active |= BIT(slot);
	return true;
}

/* Starts waiting slots, oldest first, as long as shadow lasts. */
static void run_queue(struct vcpu *v, struct port *p)
{
	u32 issue = 0;

	while (p->queue_len) {
		unsigned slot = p->queue[0];

		if (!prepare_piece(v, p, slot)) {
			p->stats.waits++;
			break;
		}
		dequeue_head(p);
		issue |= BIT(slot);
	}
	if (!issue)
		return;
	/* The shadow list and tables are written before the device is told. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (issue & p->ncq)
		wr(p, PX_SACT, issue & p->ncq);
	wr(p, PX_CI, issue);
}

/* Copies the guest's command in slot `slot` once and decides what it is. */
static void accept(struct port *p, unsigned slot)
{
	struct slot *s = &p->slots[slot];
	u64 clb = (u64)p->guest_clbu << 32 | p->guest_clb;
	struct ahci_cmd_header h;
	const char *why = NULL;
	u64 table, total = 0;
	unsigned prdtl = 0;

	memset(&s->op, 0, sizeof(s->op));
	s->header_gpa = (clb & ~0x3ffull) + slot * sizeof(h);
	s->segs = p->segs + slot * AHCI_MAX_GUEST_PRDS;
	s->nr_segs = 0;
	s->done = s->piece = 0;
	s->prdbc = 0;
	s->nr_runs = 0;
	if (guest_phys_copy_in(&h, s->header_gpa, sizeof(h))) {
		why = "command list outside guest RAM or inside Lamina";
	} else {
		s->flags = h.flags;
		prdtl = h.flags >> AHCI_HDR_PRDTL_SHIFT;
		table = ((u64)h.ctbau << 32 | h.ctba) & ~0x7full;
		if (prdtl > AHCI_MAX_GUEST_PRDS)
			why = "PRDT longer than Lamina accepts";
		else if (guest_phys_copy_in(s->head, table, AHCI_TABLE_HEAD) ||
			 (prdtl && guest_phys_copy_in(p->prd_copy, table + AHCI_TABLE_HEAD,
						      prdtl * sizeof(struct ahci_prd))))
			why = "command table outside guest RAM or inside Lamina";
		else
			why = ahci_prdt_parse(p->prd_copy, prdtl, disk_dma_range_ok, s->segs, &total);
	}
	if (why) {
		s->op.kind = AHCI_OP_REJECT;
		s->op.why = why;
		/* The guest's own PxSACT bit says whether it queued it. */
		s->op.ncq = rd(p, PX_SACT) & BIT(slot);
	} else {
		s->nr_segs = prdtl;
		ahci_classify(h.flags, s->head, total, &s->op);
		if (!is_disk(&s->op) && s->op.bytes > MIN(p->pool_bytes, PIECE_MAX)) {
			s->op.kind = AHCI_OP_REJECT; /* cannot be split */
			s->op.why = "non-sector transfer larger than the shadow pool";
		}
	}
	if (s->op.kind == AHCI_OP_REJECT)
		guest_error(p, s->op.why);
	p->stats.commands++;
	p->stats.largest = MAX(p->stats.largest, s->op.bytes);
	p->busy |= BIT(slot);
	if (s->op.ncq)
		p->ncq |= BIT(slot);
}

/* ---------------------------------------------------------- completion */

static void complete(struct port *p, unsigned slot)
{
	struct slot *s = &p->slots[slot];

	/* The guest's header gets the byte count before the guest can see
	 * the slot done (a bad header address was refused at issue). */
	if (s->op.kind != AHCI_OP_REJECT)
		guest_phys_copy_out(s->header_gpa + offsetof(struct ahci_cmd_header, prdbc),
				    &s->prdbc, sizeof(s->prdbc));
	s->state = SLOT_IDLE;
	p->busy &= ~BIT(slot);
	p->ncq &= ~BIT(slot);
}

/* The device finished the slot's piece (failed: with an error status). */
static void piece_done(struct vcpu *v, struct port *p, unsigned slot, bool failed)
{
	struct slot *s = &p->slots[slot];
	u32 count = __atomic_load_n(&p->cl[slot].prdbc, __ATOMIC_ACQUIRE);

	p->active &= ~BIT(slot);
	if (!failed && (s->op.kind == AHCI_OP_DISK_READ || s->op.kind == AHCI_OP_PLAIN_IN)) {
		if (s->op.kind == AHCI_OP_PLAIN_IN)
			s->piece = MIN(s->piece, count); /* only what the device sent */
		if (!transfer_piece(v, p, s, true))
			guest_error(p, "buffer unwritable");
	}
	if (s->nr_runs)
		ahci_pool_free(&p->pool, s->runs, s->nr_runs);
	s->nr_runs = 0;
	s->prdbc += count;
	s->done += s->piece;
	if (!failed && is_disk(&s->op) && s->done < s->op.bytes)
		enqueue(p, slot, true); /* the next piece goes first */
	else
		complete(p, slot);
}

/* Notices the pieces the device finished, finishes them and starts what
 * waits.  Called with the port lock held whenever the guest may look. */
static void poll_port(struct vcpu *v, struct port *p)
{
	u32 ci, sact, done;
	bool error = false;

	if (!p->active)
		return;
	/* A queued command is done when its PxSACT bit clears (a failed one
	 * keeps it; its PxCI bit cleared before, when the device took the
	 * FIS); another when its PxCI bit clears, which some HBAs also do on
	 * an error, so the status decides.  Only the registers that can
	 * tell are read (each read is a device access). */
	ci = p->active & ~p->ncq ? rd(p, PX_CI) : 0;
	sact = p->active & p->ncq ? rd(p, PX_SACT) : 0;
	done = p->active & ~ci & ~(sact & p->ncq);
	if (done & ~p->ncq)
		error = rd(p, PX_TFD) & TFD_ERR;
	for (unsigned slot = 0; done; slot++, done >>= 1)
		if (done & 1)
			piece_done(v, p, slot, !(p->ncq & BIT(slot)) && error);
	run_queue(v, p);
}

static void poll_all(struct vcpu *v, struct hba *h)
{
	for (unsigned i = 0; i < MAX_PORTS; i++) {
		struct port *p = h->ports[i];

		if (p && __atomic_load_n(&p->active, __ATOMIC_RELAXED)) {
			spin_lock(&p->lock);
			poll_port(v, p);
			spin_unlock(&p->lock);
		}
	}
}

/* ------------------------------------------------ the guest's accesses */

/* PxFB: the guest's, unless it is not guest RAM (or is Lamina's): then
 * the device writes its FISes to Lamina's scratch page.  Logged when the
 * guest turns FIS receive on (the halves are written one at a time). */
static void program_fis_base(struct port *p, bool log)
{
	u64 fb = (u64)p->guest_fbu << 32 | p->guest_fb;
	u64 size = p->hba->cap & CAP_FBSS ? FIS_AREA_MAX : 256;

	if (!disk_dma_range_ok(fb & ~0xffull, size)) {
		if (log)
			guest_error(p, "FIS area outside guest RAM or inside Lamina");
		fb = phys_of(p->scratch);
	}
	wr(p, PX_FB, (u32)fb);
	wr(p, PX_FBU, fb >> 32);
}

static void program_command_list(struct port *p)
{
	wr(p, PX_CLB, (u32)phys_of(p->cl));
	wr(p, PX_CLBU, phys_of(p->cl) >> 32);
}

static u32 ahci_port_read(struct vcpu *v, struct port *p, unsigned reg)
{
	u32 val;

	switch (reg) {
	case PX_CLB: return p->guest_clb;
	case PX_CLBU: return p->guest_clbu;
	case PX_FB: return p->guest_fb;
	case PX_FBU: return p->guest_fbu;
	}
	spin_lock(&p->lock);
	poll_port(v, p);
	switch (reg) {
	case PX_CI:
		/* Slots Lamina still works on look busy; a queued one shows its
		 * PxCI bit as long as the FIS has not gone out. */
		val = (p->busy & ~p->ncq) | (p->ncq & (p->waiting | rd(p, PX_CI)));
		break;
	case PX_SACT:
		val = rd(p, PX_SACT) | p->ncq;
		break;
	default:
		val = rd(p, reg);
		break;
	}
	spin_unlock(&p->lock);
	return val;
}

static void write_cmd(struct port *p, u32 val)
{
	u32 cur = rd(p, PX_CMD);
	bool running = cur & PXCMD_ST;

	if ((val & PXCMD_FRE) && !(cur & PXCMD_FRE))
		program_fis_base(p, true);
	if ((val & PXCMD_ST) && !running) {
		/* Starting: the device must fetch from Lamina's list (it
		 * takes PxCLB only while stopped). */
		abort_all(p);
		program_command_list(p);
	}
	wr(p, PX_CMD, val);
	if (!(val & PXCMD_ST) && running)
		abort_all(p); /* stopping clears PxCI and PxSACT */
}

static void ahci_port_write(struct vcpu *v, struct port *p, unsigned reg, u32 val)
{
	spin_lock(&p->lock);
	switch (reg) {
	case PX_CLB:
		p->guest_clb = val;
		break;
	case PX_CLBU:
		p->guest_clbu = val;
		break;
	case PX_FB:
		p->guest_fb = val;
		program_fis_base(p, false);
		break;
	case PX_FBU:
		p->guest_fbu = val;
		program_fis_base(p, false);
		break;
	case PX_CMD:
		write_cmd(p, val);
		break;
	case PX_CI:
		poll_port(v, p);
		val &= ~p->busy & (u32)(BIT(p->hba->slots) - 1);
		for (unsigned slot = 0; slot < AHCI_SLOTS; slot++) {
			if (val & BIT(slot)) {
				accept(p, slot);
				enqueue(p, slot, false);
			}
		}
		run_queue(v, p);
		break;
	default:
		wr(p, reg, val);
		break;
	}
	spin_unlock(&p->lock);
}

static struct port *port_at(struct hba *h, u64 off, unsigned *reg)
{
	unsigned no = (off - PORT_REGS) / PORT_STRIDE;

	if (off < PORT_REGS || no >= MAX_PORTS)
		return NULL;
	*reg = (off - PORT_REGS) % PORT_STRIDE;
	return h->ports[no];
}

/* An HBA reset stops every port. */
static void hba_reset_seen(struct hba *h)
{
	for (unsigned i = 0; i < MAX_PORTS; i++) {
		struct port *p = h->ports[i];

		if (p) {
			spin_lock(&p->lock);
			abort_all(p);
			spin_unlock(&p->lock);
		}
	}
}

static u32 reg_read(struct vcpu *v, struct hba *h, u64 off)
{
	struct port *p;
	unsigned reg;

	if (off == HBA_IS)
		poll_all(v, h);
	else if ((p = port_at(h, off, &reg)))
		return ahci_port_read(v, p, reg);
	return phys_read(h->abar + off, 4);
}

static void reg_write(struct vcpu *v, struct hba *h, u64 off, u32 val)
{
	struct port *p;
	unsigned reg;

	if ((p = port_at(h, off, &reg))) {
		ahci_port_write(v, p, reg, val);
		return;
	}
	phys_write(h->abar + off, 4, val);
	if (off == HBA_GHC && (val & GHC_HR))
		hba_reset_seen(h);
}

/* Registers whose writes set or clear only the bits written as 1. */
static bool write_ones_only(unsigned reg)
{
	return reg == PX_IS || reg == PX_CI || reg == PX_SACT || reg == 0x30 /* PxSERR */ ||
	       reg == 0x3c /* PxSNTF */;
}

static u64 abar_read(struct vcpu *v, void *ctx, u64 addr, unsigned size)
{
	struct hba *h = ctx;
	u64 off = addr - h->abar;

	if (size == 8)
		return reg_read(v, h, off) | (u64)reg_read(v, h, off + 4) << 32;
	return reg_read(v, h, off & ~3ull) >> (8 * (off & 3));
}

static void abar_write(struct vcpu *v, void *ctx, u64 addr, unsigned size, u64 val)
{
	struct hba *h = ctx;
	u64 off = addr - h->abar, dword = off & ~3ull;
	unsigned reg, shift = 8 * (off & 3);
	struct port *p = port_at(h, dword, &reg);
	u32 mask = (u32)((1ull << (8 * size)) - 1) << shift;

	if (size == 8) {
		reg_write(v, h, off, (u32)val);
		reg_write(v, h, off + 4, val >> 32);
	} else if (size == 4) {
		reg_write(v, h, off, val);
	} else if (!p) {
		/* A host register or an unmediated port: as the guest wrote it. */
		phys_write(addr, size, val);
		if (dword == HBA_GHC && ((val << shift) & GHC_HR))
			hba_reset_seen(h);
	} else if (write_ones_only(reg)) {
		reg_write(v, h, dword, (u32)(val << shift));
	} else {
		/* Part of a mediated register: merge with what the guest sees. */
		u32 cur = ahci_port_read(v, p, reg);

		reg_write(v, h, dword, (cur & ~mask) | ((u32)(val << shift) & mask));
	}
}

static const struct emul_handler abar_handler = {
	.name = "ahci",
	.read = abar_read,
	.write = abar_write,
	/* An access Lamina cannot emulate must not reach the registers of a
	 * mediated port: the guest gets #UD instead. */
	.passthrough = false,
};

/* ------------------------------------------------------------- set-up */

static unsigned mediated_count(u32 pi)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAX_PORTS; i++)
		if ((pi & BIT(i)) && disk_crypt_find(DISK_BUS_AHCI, i, 0))
			n++;
	return n;
}

/* Each named port's shadow pool: diskbuf= when given (at least one
 * unit); else an equal share of a quarter of Lamina's free memory, 1 to
 * 32 MiB (`memory=` gives more). */
static u64 pool_size(unsigned ports)
{
	u64 share = page_alloc_free_pages() * PAGE_SIZE / 4 / ports;

	if (disk_shadow_size() != DISK_SHADOW_DEFAULT)
		return ALIGN_UP(disk_shadow_size(), UNIT);
	return ALIGN_DOWN(MIN(MAX(share, POOL_MIN), POOL_MAX), UNIT);
}

static void *alloc_bytes(u64 bytes)
{
	return page_alloc(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
}

static struct port *port_create(struct hba *h, unsigned no, const struct disk_crypt *dc,
				u64 pool)
{
	struct port *p = alloc_bytes(sizeof(*p));

	if (!p)
		return NULL;
	p->hba = h;
	p->no = no;
	p->regs = h->abar + PORT_REGS + no * PORT_STRIDE;
	p->dc = dc;
	p->cl = alloc_bytes(AHCI_CMD_LIST_SIZE);
	p->tables = alloc_bytes(AHCI_SLOTS * TABLE_SIZE);
	p->scratch = alloc_bytes(FIS_AREA_MAX);
	p->prd_copy = alloc_bytes(AHCI_MAX_GUEST_PRDS * sizeof(struct ahci_prd));
	p->segs = alloc_bytes(AHCI_SLOTS * AHCI_MAX_GUEST_PRDS * sizeof(struct ahci_seg));
	p->pool_mem = alloc_bytes(pool);
	if (!p->cl || !p->tables || !p->scratch || !p->prd_copy || !p->segs || !p->pool_mem)
		return NULL; /* start-up only: Lamina stops (memory= is too small) */
	p->pool_bytes = pool;
	p->piece_max = MIN(PIECE_MAX, MAX(UNIT, ALIGN_DOWN(pool / AHCI_SLOTS, UNIT)));
	ahci_pool_init(&p->pool, pool / UNIT);
	return p;
}

/* Puts a port that firmware left running onto Lamina's command list:
 * stop it, switch the list, start it again. */
static void take_over(struct port *p)
{
	u32 cmd = rd(p, PX_CMD);

	p->guest_clb = rd(p, PX_CLB);
	p->guest_clbu = rd(p, PX_CLBU);
	p->guest_fb = rd(p, PX_FB);
	p->guest_fbu = rd(p, PX_FBU);
	if (cmd & PXCMD_ST) {
		wr(p, PX_CMD, cmd & ~PXCMD_ST);
		for (unsigned i = 0; i < 1000000 && (rd(p, PX_CMD) & PXCMD_CR); i++)
			cpu_relax();
	}
	program_command_list(p);
	program_fis_base(p, false); /* firmware's area, often not guest RAM */
	if (cmd & PXCMD_ST)
		wr(p, PX_CMD, cmd);
}

static int ahci_probe(struct pci_dev *d)
{
	u64 abar = pci_bar_decoded(d, ABAR_BAR);
	struct hba *h;
	unsigned named;
	u32 pi;
	u64 pool;
	char addr[16];

	if (the_hba || abar == PCI_BAR_UNMAPPED || d->bar[ABAR_BAR].size < ABAR_SIZE ||
	    abar + ABAR_SIZE > paging_identity_limit())
		return -PCI_ENODEV;
	pi = phys_read(abar + HBA_PI, 4);
	named = mediated_count(pi);
	if (!named)
		return -PCI_ENODEV; /* nothing to mediate: the controller stays untouched */
	h = alloc_bytes(sizeof(*h));
	if (!h)
		return -PCI_ENODEV;
	h->pci = d;
	h->abar = abar;
	h->cap = phys_read(abar + HBA_CAP, 4);
	h->slots = CAP_NCS(h->cap);
	pool = pool_size(named);
	pci_addr_format(d->addr, addr, sizeof(addr));
	for (unsigned i = 0; i < MAX_PORTS; i++) {
		const struct disk_crypt *dc = disk_crypt_find(DISK_BUS_AHCI, i, 0);

		if (!(pi & BIT(i)) || !dc)
			continue;
		h->ports[i] = port_create(h, i, dc, pool);
		if (!h->ports[i]) {
			pr_err("ahci %s: no memory for port %u's shadow (raise memory=)", addr, i);
			return -PCI_ENODEV;
		}
		h->mediated |= BIT(i);
		take_over(h->ports[i]);
		pr_info("ahci %s: port %u mediated (%s), shadow pool %llu KiB in pieces of %llu KiB",
			addr, i, disk_crypt_encrypts(dc) ? "encrypted" : "not encrypted",
			(unsigned long long)(pool / KiB),
			(unsigned long long)(h->ports[i]->piece_max / KiB));
	}
	if (mmio_register(abar, ABAR_SIZE, &abar_handler, h)) {
		pr_err("ahci %s: cannot trap its registers at 0x%llx", addr,
		       (unsigned long long)abar);
		return -PCI_ENODEV;
	}
	d->priv = h;
	the_hba = h;
	return 0;
}

/* The guest moved ABAR: the trap follows (decode turned off leaves it
 * where it was; nothing answers there meanwhile). */
static void ahci_bar_moved(struct pci_dev *d, unsigned bar, u64 from, u64 to)
{
	struct hba *h = d->priv;

	(void)from;
	if (!h || bar != ABAR_BAR || to == PCI_BAR_UNMAPPED || to == h->abar)
		return;
	if (to + ABAR_SIZE > paging_identity_limit() || mmio_move(h->abar, to)) {
		pr_err("ahci: cannot follow ABAR to 0x%llx", (unsigned long long)to);
		return;
	}
	h->abar = to;
	for (unsigned i = 0; i < MAX_PORTS; i++)
		if (h->ports[i])
			h->ports[i]->regs = to + PORT_REGS + i * PORT_STRIDE;
}

static const struct pci_match ahci_match[] = {
	PCI_MATCH_CLASS3(0x01, 0x06, 0x01), /* SATA, AHCI 1.0 */
	PCI_MATCH_END,
};

static const struct pci_mediator ahci_mediator = {
	.name = "ahci",
	.match = ahci_match,
	.probe = ahci_probe,
	.bar_moved = ahci_bar_moved,
};
PCI_MEDIATOR(ahci_mediator);

bool ahci_port_stats(unsigned port, struct ahci_port_stats *out)
{
	struct port *p = the_hba && port < MAX_PORTS ? the_hba->ports[port] : NULL;

	if (!p)
		return false;
	spin_lock(&p->lock);
	*out = p->stats;
	spin_unlock(&p->lock);
	return true;
}

void ahci_status(struct textbuf *tb)
{
	struct ahci_port_stats st;

	for (unsigned i = 0; i < MAX_PORTS; i++)
		if (ahci_port_stats(i, &st))
			textbuf_printf(tb, "ahci_port%u: %llu commands, %llu pieces, %llu waits, "
				       "%llu refused, largest %llu KiB\n", i,
				       (unsigned long long)st.commands, (unsigned long long)st.pieces,
				       (unsigned long long)st.waits, (unsigned long long)st.refused,
				       (unsigned long long)(st.largest / KiB));
}
