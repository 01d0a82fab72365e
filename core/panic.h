/* Lamina's own broken invariants: report on serial, then reset. */
#ifndef CORE_PANIC_H
#define CORE_PANIC_H

#include "core/types.h"

void __noreturn panic(const char *fmt, ...) __printf(1, 2);
void print_backtrace(u64 rip, u64 rbp);

#define BUG_ON(cond)                                                           \
	do {                                                                   \
		if (unlikely(cond))                                            \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);  \
	} while (0)

#endif
