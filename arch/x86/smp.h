#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include "core/types.h"

/* Until every CPU runs under Lamina, a CPU the guest started itself would
 * run outside Lamina, unprotected.  This marks all but the boot CPU
 * disabled in the ACPI MADT, so the OS does not start them.  Returns the
 * number of CPUs the firmware listed as usable. */
unsigned smp_hide_secondary_cpus(u64 loader_rsdp);

struct vcpu;

/* v's CPU got INIT (VT-x: an INIT exit; SVM: the guest's INIT IPI,
 * emulated): it waits for a startup IPI, as on bare metal. */
void vcpu_receive_init(struct vcpu *v);
/* A startup IPI for v: starts it at vector << 12 when it waits for one;
 * ignored otherwise, as by the hardware. */
void vcpu_receive_sipi(struct vcpu *v, u8 vector);

#endif
