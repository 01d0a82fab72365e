/*
 * Interprocessor interrupts as the local APIC's ICR describes them, and
 * which CPUs one reaches.  Pure logic (unit-tested on the host): Lamina
 * uses it to emulate the guest's INIT and startup IPIs on SVM, where they
 * must never reach a CPU (arch/x86/apic.c).
 */
#ifndef ARCH_X86_IPI_H
#define ARCH_X86_IPI_H

#include "core/types.h"

/* ICR delivery modes (bits 10:8). */
enum ipi_mode {
	IPI_FIXED = 0,
	IPI_LOWEST = 1,
	IPI_SMI = 2,
	IPI_NMI = 4,
	IPI_INIT = 5,
	IPI_STARTUP = 6,
};

/* ICR destination shorthands (bits 19:18). */
enum ipi_shorthand {
	IPI_DEST_FIELD = 0,
	IPI_SELF = 1,
	IPI_ALL = 2,
	IPI_ALL_BUT_SELF = 3,
};

#define ICR_VECTOR_MASK 0xffu
#define ICR_MODE_SHIFT 8
#define ICR_LOGICAL BIT(11)
#define ICR_BUSY BIT(12)       /* xAPIC delivery status */
#define ICR_ASSERT BIT(14)
#define ICR_LEVEL BIT(15)
#define ICR_SHORTHAND_SHIFT 18

struct ipi {
	enum ipi_mode mode;
	enum ipi_shorthand shorthand;
	u8 vector;
	bool logical;
	bool assert;   /* level: assert (1) or de-assert (0) */
	bool level;    /* trigger mode */
	u32 dest;      /* xAPIC: ICR bits 63:56; x2APIC: bits 63:32 */
	bool x2apic;
};

/* The IPI of a full ICR value (xAPIC: the high register in bits 63:32). */
struct ipi ipi_decode(u64 icr, bool x2apic);

/* One CPU's identity for destination matching: its APIC ID and its
 * logical destination and format registers (as the guest set them). */
struct ipi_cpu {
	u32 apic_id;
	u32 ldr, dfr;
};

/* Whether the IPI, sent by the CPU with APIC ID sender, reaches cpu. */
bool ipi_reaches(const struct ipi *i, u32 sender, const struct ipi_cpu *cpu);

/* INIT level de-assert: no effect on any CPU since the Pentium 4. */
static inline bool ipi_is_init_deassert(const struct ipi *i)
{
	return i->mode == IPI_INIT && i->level && !i->assert;
}

#endif
