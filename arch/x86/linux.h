/* Starting a Linux bzImage as the guest (Linux x86 boot protocol, 32-bit
 * entry). */
#ifndef ARCH_X86_LINUX_H
#define ARCH_X86_LINUX_H

#include "boot/bootinfo.h"
#include "core/vcpu.h"

/* Places the kernel, initrd, command line and boot_params in guest memory
 * and sets v's start state.  Errors are reported; returns 0 or -errno. */
int linux_load(const struct boot_info *bi, struct vcpu *v);

#endif
