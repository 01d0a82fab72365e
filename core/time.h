#ifndef CORE_TIME_H
#define CORE_TIME_H

#include "core/types.h"

/* Nanoseconds since Lamina started (0 before calibration). */
u64 time_ns(void);
/* A TSC interval in nanoseconds. */
u64 tsc_to_ns(u64 ticks);
void time_init(void);

#endif
