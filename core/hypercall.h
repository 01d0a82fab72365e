#ifndef CORE_HYPERCALL_H
#define CORE_HYPERCALL_H

#include "core/vcpu.h"

/* Serves one guest hypercall; arguments and results are in regs. */
void hypercall_dispatch(struct guest_regs *regs);
/* Fills the status text ("key: value" lines); returns its length. */
size_t status_format(char *buf, size_t size);

#endif
