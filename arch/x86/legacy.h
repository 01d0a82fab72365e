/* Legacy devices Lamina touches while it starts (its serial console, PIT
 * channel 2 for TSC calibration), saved before and put back as they were
 * for a guest that starts where the firmware left off (boot=chain). */
#ifndef ARCH_X86_LEGACY_H
#define ARCH_X86_LEGACY_H

#include "core/types.h"

/* Saves a 16550's registers before Lamina first programs it (up to two
 * ports; 0 is ignored). */
void legacy_save_uart(u16 port);
/* Saves PIT channel 2's mode and count before the TSC calibration. */
void legacy_save_pit(void);
/* Puts back everything saved. */
void legacy_restore(void);

#endif
