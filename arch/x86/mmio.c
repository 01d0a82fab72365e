/*
 * The trap registry and the emulation of trapped guest accesses (see
 * mmio.h).  The exit path allocates nothing and logs only unusual cases,
 * rate-limited.  The instruction is copied into Lamina once and only the
 * copy is decoded; guest memory is read through guest_mem.c, which never
 * touches Lamina's region or a trapped device page.
 */
#include "arch/x86/mmio.h"
#include "arch/x86/cpu.h"
#include "arch/x86/decode.h"
#include "arch/x86/emulate.h"
#include "arch/x86/guest_mem.h"
#include "arch/x86/insn_cache.h"
#include "arch/x86/nested.h"
#include "arch/x86/smp.h"
#include "arch/x86/pagetable.h"
#include "arch/x86/paging.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/options.h"
#include "core/spinlock.h"
#include "core/string.h"

#define ENOMEM 12
#define ENOSPC 28
#define EINVAL 22
#define EBUSY 16
#define ENOENT 2

#define IO_BITMAP_PAGES 3

struct range {
	u64 base, size;
	bool io;
	const struct emul_handler *h;
	void *ctx;
};

struct emul_stats emul_stats;
static struct range ranges[EMUL_MAX_RANGES];
static unsigned nr_ranges;
static spinlock_t ranges_lock; /* writers of ranges[]; exits read without it */
static u8 *io_bitmap;
static struct ratelimit emul_log_limit;

/* A pass-through fallback in progress on a vCPU: the page mapped or the
 * ports opened for one single-stepped instruction. */
static struct {
	struct range *range;
	u64 page;
} pending[MAX_CPUS];

/* Each vCPU's memo of the instructions it decoded (arch/x86/insn_cache.h). */
static struct insn_cache decode_cache[MAX_CPUS];

static int decode(struct vcpu *v, const u8 *insn, size_t n, const struct guest_sysregs *s,
		  struct decoded_insn *d)
{
	bool hit;
	int err = insn_decode_cached(&decode_cache[v->id % MAX_CPUS], v->regs.rip, insn, n,
				     gm_code_mode(s), d, &hit);

	if (hit)
		__atomic_fetch_add(&emul_stats.decodes_remembered, 1, __ATOMIC_RELAXED);
	return err;
}

u8 *io_intercept_bitmap(void)
{
	if (!io_bitmap)
		io_bitmap = page_alloc(IO_BITMAP_PAGES);
	return io_bitmap;
}

static void set_io_bits(u64 port, u64 count, bool on)
{
	for (u64 p = port; p < port + count && p < 0x10000; p++) {
		if (on)
			io_bitmap[p / 8] |= 1 << (p % 8);
		else
			io_bitmap[p / 8] &= ~(1 << (p % 8));
	}
}

static struct range *find(u64 addr, bool io)
{
	for (unsigned i = 0; i < nr_ranges; i++)
		if (ranges[i].io == io && addr - ranges[i].base < ranges[i].size)
			return &ranges[i];
	return NULL;
}

static int add_range(u64 base, u64 size, bool io, const struct emul_handler *h, void *ctx)
{
	int err = 0;

	if (!size || !h || !h->read || !h->write)
		return -EINVAL;
	spin_lock(&ranges_lock);
	for (unsigned i = 0; i < nr_ranges && !err; i++)
		if (ranges[i].io == io && ranges_overlap(base, size, ranges[i].base, ranges[i].size))
			err = -EBUSY;
	if (!err && nr_ranges == EMUL_MAX_RANGES)
		err = -ENOSPC;
	if (!err)
		ranges[nr_ranges++] = (struct range){ base, size, io, h, ctx };
	spin_unlock(&ranges_lock);
	return err;
}

/* Not present, or read-only for a writes-only handler. */
static int trap_page(u64 pa, const struct emul_handler *h)
{
	return h->writes_only ? nested_map_page(pa, pa, PERM_R | PERM_X) : nested_map_page(pa, 0, 0);
}

int mmio_register(u64 base, u64 size, const struct emul_handler *h, void *ctx)
{
	int err;

	if (!IS_ALIGNED(base | size, PAGE_SIZE) ||
	    ranges_overlap(base, size, hv_region.base, hv_region.size))
		return -EINVAL;
	err = add_range(base, size, false, h, ctx);
	for (u64 pa = base; !err && pa < base + size; pa += PAGE_SIZE)
		err = trap_page(pa, h);
	if (err)
		return err;
	pr_info("trapping guest MMIO %s0x%llx-0x%llx (%s)", h->writes_only ? "writes " : "",
		(unsigned long long)base, (unsigned long long)(base + size - 1), h->name);
	return 0;
}

int mmio_take_over(u64 base, u64 size, const struct emul_handler *h, void *ctx)
{
	struct range *r = find(base, false);

	if (!r || r->base != base || r->size != size || !h->read || !h->write)
		return -EBUSY;
	r->h = h;
	r->ctx = ctx;
	pr_info("guest MMIO 0x%llx-0x%llx now handled by %s", (unsigned long long)base,
		(unsigned long long)(base + size - 1), h->name);
	return 0;
}

int mmio_move(u64 old_base, u64 new_base)
{
	struct range *r;
	int err = 0;

	spin_lock(&ranges_lock);
	r = find(old_base, false);
	if (!r || r->base != old_base) {
		err = -ENOENT;
	} else if (!IS_ALIGNED(new_base, PAGE_SIZE) ||
		   ranges_overlap(new_base, r->size, hv_region.base, hv_region.size)) {
		err = -EINVAL;
	} else {
		for (unsigned i = 0; i < nr_ranges && !err; i++)
			if (&ranges[i] != r && !ranges[i].io &&
			    ranges_overlap(new_base, r->size, ranges[i].base, ranges[i].size))
				err = -EBUSY;
	}
	for (u64 off = 0; !err && off < r->size; off += PAGE_SIZE)
		err = trap_page(new_base + off, r->h);
	if (!err) {
		__atomic_store_n(&r->base, new_base, __ATOMIC_RELEASE);
		for (u64 off = 0; off < r->size; off += PAGE_SIZE)
			nested_map_page(old_base + off, old_base + off, PERM_RWX);
		pr_info("trapped guest MMIO moved 0x%llx -> 0x%llx (%s)",
			(unsigned long long)old_base, (unsigned long long)new_base, r->h->name);
	}
	spin_unlock(&ranges_lock);
	/* Other CPUs may still reach the new pages through cached entries. */
	struct vcpu *self = err ? NULL : vcpu_current();

	if (self)
		smp_flush_guest_tlbs(self);
	return err;
}

int io_register(u16 port, unsigned count, const struct emul_handler *h, void *ctx)
{
	int err;

	if (port + count > 0x10000)
		return -EINVAL;
	if (!io_intercept_bitmap())
		return -ENOMEM;
	err = add_range(port, count, true, h, ctx);
	if (err)
		return err;
	set_io_bits(port, count, true);
	pr_info("trapping guest I/O ports 0x%x-0x%x (%s)", port, port + count - 1, h->name);
	return 0;
}

int io_move(u16 old_port, u16 new_port)
{
	struct range *r;
	int err = 0;

	spin_lock(&ranges_lock);
	r = find(old_port, true);
	if (!r || r->base != old_port)
		err = -ENOENT;
	else if ((u64)new_port + r->size > 0x10000)
		err = -EINVAL;
	for (unsigned i = 0; i < nr_ranges && !err; i++)
		if (&ranges[i] != r && ranges[i].io &&
		    ranges_overlap(new_port, r->size, ranges[i].base, ranges[i].size))
			err = -EBUSY;
	if (!err) {
		/* Trapped at both places for a moment, never at neither. */
		set_io_bits(new_port, r->size, true);
		__atomic_store_n(&r->base, new_port, __ATOMIC_RELEASE);
		set_io_bits(old_port, r->size, false);
		set_io_bits(new_port, r->size, true); /* where old and new overlap */
		pr_info("trapped guest I/O ports moved 0x%x -> 0x%x (%s)", old_port, new_port,
			r->h->name);
	}
	spin_unlock(&ranges_lock);
	/* The other CPUs leave the guest once, so none keeps using a view of
	 * the bitmap from before. */
	struct vcpu *self = err ? NULL : vcpu_current();

	if (self)
		smp_flush_guest_tlbs(self);
	return err;
}

bool mmio_claims(u64 gpa)
{
	return nr_ranges && find(gpa, false);
}

/* ------------------------------------------------ guest memory for emulation */

static int host_read_phys(void *ctx, u64 gpa, void *dst, size_t len)
{
	(void)ctx;
	if (!len || gpa + len > paging_identity_limit() || gpa + len < gpa ||
	    ranges_overlap(gpa, len, hv_region.base, hv_region.size) || find(gpa, false) ||
	    find(gpa + len - 1, false))
		return -1;
	/* Page-table entries and instruction bytes: a few bytes, faster as
	 * plain loads than as a string copy (one element per step in an
	 * emulator such as QEMU's TCG). */
	const u8 *src = phys_to_virt(gpa);

	for (size_t i = 0; i < len; i++)
		((u8 *)dst)[i] = src[i];
	return 0;
}

static u64 phys_addr_mask(void)
{
	static u64 mask;

	if (!mask) {
		u32 bits = cpuid(0x80000000, 0).eax >= 0x80000008
				   ? cpuid(0x80000008, 0).eax & 0xff : 36;
		mask = (1ull << bits) - 1;
	}
	return mask;
}

static const struct gm_phys host_phys = { host_read_phys, NULL, 0 };

static struct gm_phys guest_phys(void)
{
	struct gm_phys ph = host_phys;

	ph.addr_mask = phys_addr_mask();
	return ph;
}

/* Where a guest write of len bytes at a linear address lands, with the
 * guest's write permission checks; false if it crosses a page or Lamina
 * cannot or may not write there. */
static bool writable_gpa(const struct guest_sysregs *s, u64 la, size_t len, u64 *gpa)
{
	struct gm_phys ph = guest_phys();
	u32 pf;

	return (la & (PAGE_SIZE - 1)) + len <= PAGE_SIZE &&
	       gm_translate(s, &ph, la, GM_WRITE | (s->cpl == 3 ? GM_USER : 0), gpa, &pf) ==
		       GM_OK &&
	       *gpa + len <= paging_identity_limit() &&
	       !ranges_overlap(*gpa, len, hv_region.base, hv_region.size) && !find(*gpa, false) &&
	       !find(*gpa + len - 1, false);
}

/* ------------------------------------------------------------ fallbacks */

static void log_unsupported(struct vcpu *v, const char *what, const u8 *insn, size_t len,
			    u64 addr)
{
	__atomic_fetch_add(&emul_stats.unsupported, 1, __ATOMIC_RELAXED);
	if (!ratelimit_allow(&emul_log_limit))
		return;
	pr_warn("cannot emulate the guest's %s at %llx (rip %llx, bytes %02x %02x %02x %02x "
		"%02x %02x, %zu fetched)", what, (unsigned long long)addr,
		(unsigned long long)v->regs.rip, len > 0 ? insn[0] : 0, len > 1 ? insn[1] : 0,
		len > 2 ? insn[2] : 0, len > 3 ? insn[3] : 0, len > 4 ? insn[4] : 0,
		len > 5 ? insn[5] : 0, len);
}

/* Lets one instruction reach the device itself (single-stepped), or #UD
 * when the handler does not pass through. */
static void fallback(struct vcpu *v, struct range *r, u64 addr)
{
	unsigned cpu = v->id % MAX_CPUS;

	if (!r->h->passthrough || pending[cpu].range) {
		v->backend->inject_exception(v, VEC_UD, false, 0);
		return;
	}
	__atomic_fetch_add(&emul_stats.fallbacks, 1, __ATOMIC_RELAXED);
	if (r->io) {
		set_io_bits(r->base, r->size, false);
	} else {
		pending[cpu].page = ALIGN_DOWN(addr, PAGE_SIZE);
		if (nested_map_page(pending[cpu].page, pending[cpu].page, PERM_R | PERM_W)) {
			v->backend->inject_exception(v, VEC_UD, false, 0);
			return;
		}
		v->backend->flush_guest_tlb(v);
	}
	pending[cpu].range = r;
	v->backend->set_single_step(v, true);
}

bool emul_handle_debug_trap(struct vcpu *v)
{
	unsigned cpu = v->id % MAX_CPUS;
	struct range *r = pending[cpu].range;

	if (!r)
		return false;
	if (r->io) {
		set_io_bits(r->base, r->size, true);
	} else {
		trap_page(pending[cpu].page, r->h);
		smp_flush_guest_tlbs(v); /* others may have cached the mapping */
	}
	pending[cpu].range = NULL;
	v->backend->set_single_step(v, false);
	return true;
}

/* ----------------------------------------------------------------- MMIO */

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static u64 dev_read(struct vcpu *v, struct range *r, u64 addr, unsigned size)
{
	if (r->io)
		__atomic_fetch_add(&emul_stats.io_reads, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&emul_stats.mmio_reads, 1, __ATOMIC_RELAXED);
	return r->h->read(v, r->ctx, addr, size) & size_mask(size);
}

static void dev_write(struct vcpu *v, struct range *r, u64 addr, unsigned size, u64 val)
{
	if (r->io)
		__atomic_fetch_add(&emul_stats.io_writes, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&emul_stats.mmio_writes, 1, __ATOMIC_RELAXED);
	r->h->write(v, r->ctx, addr, size, val & size_mask(size));
}

/* The emulator's view of a range: the range and the vCPU that trapped. */
struct range_access {
	struct range *r;
	struct vcpu *v;
};

static u64 range_read(void *ctx, u64 addr, unsigned size)
{
	struct range_access *a = ctx;

	return dev_read(a->v, a->r, addr, size);
}

static void range_write(void *ctx, u64 addr, unsigned size, u64 val)
{
	struct range_access *a = ctx;

	dev_write(a->v, a->r, addr, size, val);
}

/* The linear address of a string operand: seg:rSI or ES:rDI.  In 64-bit
 * mode only FS and GS have a base. */
static u64 string_addr(const struct guest_sysregs *s, const struct guest_regs *regs,
		       const struct decoded_insn *d, unsigned seg, unsigned reg)
{
	bool long_mode = gm_code_mode(s) == DECODE_64;
	u64 base = long_mode && seg != SEG_FS && seg != SEG_GS ? 0 : s->seg_base[seg];
	u64 la = base + emul_get_reg(regs, reg, false, d->mem.addr_size);

	return long_mode ? la : la & 0xffffffffull;
}

/* The linear address of the instruction's memory operand (for MOVS: the
 * side that faulted, the destination when it was a write). */
static u64 operand_linear(const struct guest_sysregs *s, const struct guest_regs *regs,
			  const struct decoded_insn *d, bool write)
{
	struct decoded_mem m = d->mem;
	bool long_mode = gm_code_mode(s) == DECODE_64;
	u64 ea, la;

	if (d->op == DECODE_MOVS && write) {
		m.seg = SEG_ES;
		m.base = REG_DI;
	}
	ea = m.disp;
	if (m.base != REG_NONE)
		ea += emul_get_reg(regs, m.base, false, 8);
	if (m.index != REG_NONE)
		ea += emul_get_reg(regs, m.index, false, 8) * m.scale;
	if (m.rip_rel)
		ea += regs->rip + d->len;
	if (d->op >= DECODE_BT && d->op <= DECODE_BTC && !d->has_imm) {
		/* A register bit offset picks the operand-sized unit. */
		s64 off = emul_get_reg(regs, d->reg, false, d->size);

		if (d->size == 2)
			off = (s16)off;
		else if (d->size == 4)
			off = (s32)off;
		ea += (off >> (d->size == 2 ? 4 : d->size == 4 ? 5 : 6)) * d->size;
	}
	ea &= size_mask(m.addr_size);
	la = (long_mode && m.seg != SEG_FS && m.seg != SEG_GS ? 0 : s->seg_base[m.seg]) + ea;
	return long_mode ? la : la & 0xffffffffull;
}

/* Whether the fault is the access of the instruction's memory operand: a
 * fault while the CPU walked the guest's tables, delivered an event, or
 * reached another operand is not an access to emulate.  When the
 * hardware vouches for the first two (fault.final), the operand (the
 * instruction's only one on the faulting side) is the access if it
 * begins at the faulting byte's page offset (an operand straddling into
 * the page begins elsewhere); otherwise the guest's own tables must take
 * the operand onto the faulting page. */
static bool fault_is_operand(const struct guest_sysregs *s, const struct guest_regs *regs,
			     const struct decoded_insn *d, const struct vcpu_exit *e)
{
	u64 la = operand_linear(s, regs, d, e->fault.write), gpa;
	struct gm_phys ph = guest_phys();
	u32 pf;

	if (e->fault.final)
		return (la & (PAGE_SIZE - 1)) == (e->fault.gpa & (PAGE_SIZE - 1));
	__atomic_fetch_add(&emul_stats.operand_walks, 1, __ATOMIC_RELAXED);
	return gm_translate(s, &ph, la, 0, &gpa, &pf) == GM_OK &&
	       ALIGN_DOWN(gpa, PAGE_SIZE) == ALIGN_DOWN(e->fault.gpa, PAGE_SIZE);
}

/* One element of MOVS with one side on the trapped page (the side that
 * faulted) and the other in guest RAM.  False: not emulated. */
static bool emulate_movs(struct vcpu *v, struct range *r, const struct decoded_insn *d,
			 const struct guest_sysregs *s, u64 gpa, bool mmio_is_dst, bool *done)
{
	struct gm_phys ph = guest_phys();
	u64 val = 0, ram;
	u32 pf;

	if (d->rep && emul_count_zero(&v->regs, d)) {
		*done = true;
		return true;
	}
	if (mmio_is_dst) {
		if (gm_read_linear(s, &ph, string_addr(s, &v->regs, d, d->mem.seg, REG_SI), &val,
				   d->size, &pf) != GM_OK)
			return false;
		dev_write(v, r, gpa, d->size, val);
	} else {
		if (!writable_gpa(s, string_addr(s, &v->regs, d, SEG_ES, REG_DI), d->size, &ram))
			return false;
		val = dev_read(v, r, gpa, d->size);
		memcpy(phys_to_virt(ram), &val, d->size);
	}
	*done = emul_string_step(&v->regs, d, true, true);
	return true;
}

void mmio_handle_exit(struct vcpu *v, const struct vcpu_exit *e)
{
	struct range *r = find(e->fault.gpa, false);
	struct range_access access = { r, v };
	const struct emul_dev dev = { range_read, range_write, &access };
	struct guest_sysregs s;
	struct gm_phys ph = guest_phys();
	struct decoded_insn d;
	u8 insn[X86_MAX_INSN_LEN];
	size_t n = 0;
	u64 gpa = e->fault.gpa;
	const char *what = "instruction";

	if (!r)
		return; /* unregistered meanwhile: the guest retries */
	v->backend->get_sysregs(v, &s);
	if (e->fault.exec) {
		what = "instruction fetch from a trapped page";
	} else if (gm_fetch_insn(&s, &ph, v->regs.rip, insn, &n) != GM_OK) {
		what = "instruction (not readable)";
	} else if (decode(v, insn, n, &s, &d)) {
		what = "instruction (not decoded)";
	} else if (!d.has_mem || !fault_is_operand(&s, &v->regs, &d, e)) {
		what = "access (the fault is not on the instruction's operand)";
	} else if (d.op == DECODE_MOVS && gpa + d.size - r->base <= r->size &&
		   (gpa & (PAGE_SIZE - 1)) + d.size <= PAGE_SIZE) {
		bool done;

		if (emulate_movs(v, r, &d, &s, gpa, e->fault.write, &done)) {
			if (done)
				v->backend->skip_insn(v, e, d.len);
			return;
		}
	} else if (gpa + d.size - r->base <= r->size &&
		   (gpa & (PAGE_SIZE - 1)) + d.size <= PAGE_SIZE) {
		/* (an access straddling the range or a page is not emulated) */
		switch (emulate_access(&v->regs, &d, gpa, &dev)) {
		case EMUL_DONE:
			v->backend->skip_insn(v, e, d.len);
			return;
		case EMUL_REPEAT:
			return;
		case EMUL_UNSUPPORTED:
			break;
		}
	}
	log_unsupported(v, what, insn, n, gpa);
	fallback(v, r, gpa);
}

/* ------------------------------------------------------------- I/O ports */

/* IN/OUT not wholly inside one range (e.g. a word at the port just below
 * a trapped one): byte by byte, each byte to its range's handler or to the
 * real port, so no trapped port is reached behind its mediator's back. */
static u64 io_bytewise(struct vcpu *v, u16 port, unsigned size, bool in, u64 val)
{
	u64 result = 0;
	bool any = false;

	for (unsigned b = 0; b < size; b++)
		any |= find((u16)(port + b), true) != NULL;
	if (!any) { /* no trapped port at all: the access as the guest made it */
		if (in)
			return port_read(port, size);
		port_write(port, size, val);
		return 0;
	}
	for (unsigned b = 0; b < size; b++) {
		struct range *r = find((u16)(port + b), true);
		u16 p = port + b;

		if (in)
			result |= (r ? dev_read(v, r, p, 1) : port_read(p, 1)) << (8 * b);
		else if (r)
			dev_write(v, r, p, 1, (val >> (8 * b)) & 0xff);
		else
			port_write(p, 1, (val >> (8 * b)) & 0xff);
	}
	return result;
}

void io_handle_exit(struct vcpu *v, const struct vcpu_exit *e)
{
	struct range *r = find(e->io.port, true);
	unsigned size = e->io.size;

	if (!r || (e->io.port + size > r->base + r->size && !r->h->whole_access)) {
		/* Not wholly one range's: a port outside every range (the
		 * real port, as without Lamina) or an access across a range's
		 * edge. */
		if (e->io.string) {
			log_unsupported(v, "string I/O across or outside trapped ports", NULL, 0,
					e->io.port);
			v->backend->inject_exception(v, VEC_UD, false, 0);
			return;
		}
		if (e->io.in)
			emul_set_reg(&v->regs, REG_AX, false, size,
				     io_bytewise(v, e->io.port, size, true, 0));
		else
			io_bytewise(v, e->io.port, size, false,
				    emul_get_reg(&v->regs, REG_AX, false, size));
		v->backend->skip_insn(v, e, e->insn_len);
		return;
	}
	if (!e->io.string) {
		if (e->io.in)
			emul_set_reg(&v->regs, REG_AX, false, size, dev_read(v, r, e->io.port, size));
		else
			dev_write(v, r, e->io.port, size, emul_get_reg(&v->regs, REG_AX, false, size));
		v->backend->skip_insn(v, e, e->insn_len);
		return;
	}

	/* INS/OUTS: one element per exit, through the decoded instruction
	 * (segment override, address size); REP re-executes until rCX is 0. */
	struct guest_sysregs s;
	struct gm_phys ph = guest_phys();
	struct decoded_insn d;
	u8 insn[X86_MAX_INSN_LEN];
	size_t n = 0;

	v->backend->get_sysregs(v, &s);
	if (gm_fetch_insn(&s, &ph, v->regs.rip, insn, &n) == GM_OK && !decode(v, insn, n, &s, &d) &&
	    (d.op == DECODE_INS || d.op == DECODE_OUTS) && d.size == size) {
		bool in = d.op == DECODE_INS;
		u64 la = string_addr(&s, &v->regs, &d, in ? SEG_ES : d.mem.seg,
				     in ? REG_DI : REG_SI);
		u64 val = 0;
		u32 pf;

		if (d.rep && emul_count_zero(&v->regs, &d)) {
			v->backend->skip_insn(v, e, d.len);
			return;
		}
		if (in) {
			u64 gpa;

			if (writable_gpa(&s, la, size, &gpa)) {
				val = dev_read(v, r, e->io.port, size);
				memcpy(phys_to_virt(gpa), &val, size);
				if (emul_string_step(&v->regs, &d, false, true))
					v->backend->skip_insn(v, e, d.len);
				return;
			}
		} else if (gm_read_linear(&s, &ph, la, &val, size, &pf) == GM_OK) {
			dev_write(v, r, e->io.port, size, val);
			if (emul_string_step(&v->regs, &d, true, false))
				v->backend->skip_insn(v, e, d.len);
			return;
		}
	}
	log_unsupported(v, "string I/O", insn, n, e->io.port);
	fallback(v, r, e->io.port);
}

/* ------------------------------------------- trap= pass-through handlers */

static u64 pt_mmio_read(struct vcpu *v, void *ctx, u64 addr, unsigned size)
{
	(void)v;
	(void)ctx;
	return phys_read(addr, size);
}

static void pt_mmio_write(struct vcpu *v, void *ctx, u64 addr, unsigned size, u64 val)
{
	(void)v;
	(void)ctx;
	phys_write(addr, size, val);
}

static u64 pt_io_read(struct vcpu *v, void *ctx, u64 port, unsigned size)
{
	(void)v;
	(void)ctx;
	return port_read(port, size);
}

static void pt_io_write(struct vcpu *v, void *ctx, u64 port, unsigned size, u64 val)
{
	(void)v;
	(void)ctx;
	port_write(port, size, val);
}

static const struct emul_handler pt_mmio = {
	.name = "trap= pass-through", .read = pt_mmio_read, .write = pt_mmio_write,
	.passthrough = true,
};
static const struct emul_handler pt_mmio_writes = {
	.name = "trap= pass-through", .read = pt_mmio_read, .write = pt_mmio_write,
	.passthrough = true, .writes_only = true,
};
static const struct emul_handler pt_io = {
	.name = "trap= pass-through", .read = pt_io_read, .write = pt_io_write,
	.passthrough = true,
};

int emul_apply_options(const struct options *o)
{
	for (unsigned i = 0; i < o->nr_traps; i++) {
		const struct opt_trap *t = &o->traps[i];
		int err = t->io ? io_register(t->base, t->size, &pt_io, NULL)
				: mmio_register(t->base, t->size,
						t->writes_only ? &pt_mmio_writes : &pt_mmio, NULL);

		if (err) {
			pr_err("trap=%s:0x%llx: cannot trap this range (error %d)", t->io ? "io" : "mmio",
			       (unsigned long long)t->base, err);
			return err;
		}
	}
	return 0;
}
