/* A ticket-free test-and-set spinlock; Lamina never sleeps. */
#ifndef CORE_SPINLOCK_H
#define CORE_SPINLOCK_H

#include "core/types.h"

typedef struct {
	volatile u32 locked;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			asm volatile("pause");
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
