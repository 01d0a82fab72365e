/* The guest-physical address space: identity-mapped onto host memory with
 * nested paging (NPT or EPT), except Lamina's region. */
#ifndef ARCH_X86_NESTED_H
#define ARCH_X86_NESTED_H

#include "core/types.h"

struct pt_format;

int nested_init(const struct pt_format *fmt, u64 identity_limit);
u64 nested_root_pa(void);
/* Maps one guest page; perms 0 unmaps it. */
int nested_map_page(u64 gpa, u64 hpa, unsigned perms);
/* A fault outside Lamina's region beyond the initial identity map (a
 * device BAR high up, say): map it 1:1 and return true. */
bool nested_map_on_demand(u64 gpa);
/* Under the map's lock: apply(ctx) changes what the entry format encodes
 * (EPT memory types), then every leaf is encoded again and split where it
 * no longer fits, keeping a reserve of Lamina's free pages.  The caller
 * flushes the CPUs' nested TLBs.  Returns what pt_refresh returns. */
long nested_refresh(void (*apply)(void *ctx), void *ctx);

#endif
