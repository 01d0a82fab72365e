#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include "core/types.h"

/* Until every CPU runs under Lamina, a CPU the guest started itself would
 * run outside Lamina, unprotected.  This marks all but the boot CPU
 * disabled in the ACPI MADT, so the OS does not start them.  Returns the
 * number of CPUs the firmware listed as usable. */
unsigned smp_hide_secondary_cpus(u64 loader_rsdp);

#endif
