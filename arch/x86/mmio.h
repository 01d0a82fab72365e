/*
 * Trapping the guest's accesses to chosen device registers: a registry of
 * guest-physical ranges (MMIO: their pages are made not-present in the
 * nested tables) and I/O-port ranges (intercepted through the backends'
 * I/O bitmaps), each with read/write handlers.  On a trap Lamina copies
 * the guest's instruction once, decodes it (arch/x86/decode.c), performs
 * the access through the handler, updates registers and flags as the CPU
 * would, and moves RIP on.
 */
#ifndef ARCH_X86_MMIO_H
#define ARCH_X86_MMIO_H

#include "core/vcpu.h"

struct emul_handler {
	const char *name;
	/* Reads `size` (1, 2, 4, 8) bytes at addr: a guest-physical address
	 * or a port number.  v is the vCPU whose access trapped (handlers
	 * run on its CPU, e.g. for simd_begin(v)). */
	u64 (*read)(struct vcpu *v, void *ctx, u64 addr, unsigned size);
	void (*write)(struct vcpu *v, void *ctx, u64 addr, unsigned size, u64 value);
	/* An instruction Lamina cannot emulate reaches the device itself:
	 * the page is mapped (the port opened) for one single-stepped
	 * instruction.  Otherwise the guest gets #UD. */
	bool passthrough;
	/* MMIO: the pages stay mapped read-only, so only writes trap (the
	 * guest's reads reach the device directly). */
	bool writes_only;
	/* I/O: an access that starts in the range reaches the handler
	 * whole, even where it runs past the range's end (a register wider
	 * than the one port trapped, like an IDE data register, whose 16- and
	 * 32-bit accesses cover the next ports' addresses). */
	bool whole_access;
};

#define EMUL_MAX_RANGES 64

/* Registers [base, base + size): page-aligned for MMIO.  0 or -errno.
 * Meant for start-up, before the guest runs (later, the caller must call
 * smp_flush_guest_tlbs(), arch/x86/smp.h; the registry takes no lock). */
int mmio_register(u64 base, u64 size, const struct emul_handler *h, void *ctx);
/* A mediator takes over a range the trap= diagnostics registered with
 * exactly these bounds: its handler gets the accesses, trapped as the
 * diagnostics chose (reads too, or writes only).  0 or -EBUSY. */
int mmio_take_over(u64 base, u64 size, const struct emul_handler *h, void *ctx);
int io_register(u16 port, unsigned count, const struct emul_handler *h, void *ctx);
/* Moves the MMIO range registered at old_base to new_base (a device BAR
 * the guest moved): the new pages are trapped, the old ones mapped 1:1
 * again.  0 or -errno.  Callable at run time from a vCPU (the registry's
 * writers take a lock); every CPU then drops cached translations of the
 * new pages (smp_flush_guest_tlbs). */
int mmio_move(u64 old_base, u64 new_base);
/* The same for the I/O-port range registered at old_port (an I/O BAR
 * moved): the new ports are trapped, the old ones no longer. */
int io_move(u16 old_port, u16 new_port);

/* Registers the pass-through traps of the `trap=` options (diagnostics:
 * every access is trapped, emulated against the real device, counted). */
struct options;
int emul_apply_options(const struct options *o);

/* The nested fault at gpa hits a registered MMIO range. */
bool mmio_claims(u64 gpa);
void mmio_handle_exit(struct vcpu *v, const struct vcpu_exit *e);
void io_handle_exit(struct vcpu *v, const struct vcpu_exit *e);
/* The single-step after a pass-through fallback; false if none pending. */
bool emul_handle_debug_trap(struct vcpu *v);

/* One bit per port, 1 = intercepted, 64 Ki bits plus a page of padding
 * (the layout of both the SVM IOPM and VMX I/O bitmaps A and B); three
 * contiguous pages, allocated on first use; NULL without memory. */
u8 *io_intercept_bitmap(void);

struct emul_stats {
	u64 mmio_reads, mmio_writes, io_reads, io_writes;
	u64 unsupported, fallbacks;
	u64 decodes_remembered; /* instructions the per-vCPU memo answered */
	u64 operand_walks;      /* MMIO operands checked through the guest's tables */
};
extern struct emul_stats emul_stats;

#endif
