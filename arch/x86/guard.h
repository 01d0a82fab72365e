/* Protection of Lamina's region against the guest. */
#ifndef ARCH_X86_GUARD_H
#define ARCH_X86_GUARD_H

#include "core/vcpu.h"

struct guard_stats {
	u64 reads, writes, fetches;
};
extern struct guard_stats guard_stats;

int guard_init(void);
/* Handles a nested fault inside Lamina's region; false if not ours. */
bool guard_handle_fault(struct vcpu *v, const struct vcpu_exit *e);
/* Handles the single-step trap after a dropped write; false if none. */
bool guard_handle_debug_trap(struct vcpu *v);

#endif
