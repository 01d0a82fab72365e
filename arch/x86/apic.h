/*
 * The local APIC: Lamina's own use of the calling CPU's APIC (its ID,
 * IPIs to start and wake CPUs), and, on backends whose CPUs must never
 * receive the guest's INIT (SVM), the interception of the guest's ICR
 * writes that emulates INIT and startup IPIs (xAPIC page and x2APIC MSR).
 */
#ifndef ARCH_X86_APIC_H
#define ARCH_X86_APIC_H

#include "arch/x86/ipi.h"
#include "core/vcpu.h"

#define MSR_X2APIC_ICR 0x830

/* The calling CPU's APIC ID. */
u32 apic_id(void);
/* Sends an IPI (ICR low word: mode, vector, level) to one APIC ID and
 * waits until the APIC has sent it. */
void apic_send_ipi(u32 dest, u32 icr_low);
/* Puts the calling CPU's APIC into the state INIT leaves it in (LVTs
 * masked, software-disabled, nothing in service) - for emulated INITs. */
void apic_init_reset(void);

/* With more than one CPU: traps the guest's writes to the APIC page
 * (xAPIC) so that its INIT and startup IPIs are emulated (SVM) or INITs
 * to CPUs waiting for a SIPI absorbed (VT-x); 0 or -errno. */
int apic_intercept_init_sipi(void);
/* The guest wrote icr to the x2APIC ICR MSR (intercepted for writes). */
void apic_guest_x2apic_icr(struct vcpu *v, u64 icr);

struct apic_stats {
	u64 inits, sipis, init_deasserts, dropped;
};
extern struct apic_stats apic_stats;

#endif
