#ifndef CORE_TIME_H
#define CORE_TIME_H

#include "core/types.h"

/* Nanoseconds since Lamina started (0 before calibration). */
u64 time_ns(void);
void time_init(void);

#endif
