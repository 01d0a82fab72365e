#ifndef ARCH_X86_TRAPS_H
#define ARCH_X86_TRAPS_H

#include "core/types.h"

/* Loads Lamina's GDT (with a TSS for emergency stacks) and IDT on the boot
 * CPU.  Every NMI the CPU takes in Lamina increments *nmi_counter. */
void traps_init(volatile u32 *nmi_counter);
/* The same on another CPU, with tables of its own; 0 or -ENOMEM. */
int traps_init_cpu(volatile u32 *nmi_counter);

/* Waits until *word is non-zero, halted between NMIs (the only wake-up
 * Lamina uses: its IF stays clear).  NMIs must be deliverable (on SVM,
 * GIF set). */
void nmi_wait_nonzero(volatile u32 *word);

#endif
