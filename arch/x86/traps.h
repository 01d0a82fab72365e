#ifndef ARCH_X86_TRAPS_H
#define ARCH_X86_TRAPS_H

/* Loads Lamina's GDT (with a TSS for emergency stacks) and IDT. */
void traps_init(void);

#endif
