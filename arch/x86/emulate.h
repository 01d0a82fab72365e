/*
 * Performing one decoded guest access (arch/x86/decode.h) on the guest's
 * registers and a device: the register rules of the CPU (8- and 16-bit
 * writes merge, 32-bit writes zero-extend), the flags of its ALU, and the
 * rSI/rDI/rCX updates of string instructions.  No guest memory access and
 * no hypervisor state, so it is unit-tested on the host.
 */
#ifndef ARCH_X86_EMULATE_H
#define ARCH_X86_EMULATE_H

#include "arch/x86/decode.h"
#include "core/vcpu.h"

/* A device register window: reads and writes of 1, 2, 4 or 8 bytes. */
struct emul_dev {
	u64 (*read)(void *ctx, u64 addr, unsigned size);
	void (*write)(void *ctx, u64 addr, unsigned size, u64 value);
	void *ctx;
};

enum emul_result {
	EMUL_DONE,        /* RIP moves past the instruction */
	EMUL_REPEAT,      /* REP string instruction not finished: RIP stays */
	EMUL_UNSUPPORTED, /* nothing was done */
};

/* The memory operand of d is the device address `addr`.  Performs MOV
 * (all forms), MOVZX/MOVSX, the ALU operations, TEST, XCHG, BT/BTS/BTR/BTC,
 * and STOS/LODS
 * (one element; REP repeats through EMUL_REPEAT). */
enum emul_result emulate_access(struct guest_regs *r, const struct decoded_insn *d, u64 addr,
				const struct emul_dev *dev);

/* Register access by encoding number (REG_*), as the CPU does it. */
u64 emul_get_reg(const struct guest_regs *r, unsigned n, bool high8, unsigned size);
void emul_set_reg(struct guest_regs *r, unsigned n, bool high8, unsigned size, u64 val);
/* After one element of a string instruction: rSI and/or rDI move by the
 * element size (down with RFLAGS.DF), rCX counts down under REP.  True
 * when the instruction is complete. */
bool emul_string_step(struct guest_regs *r, const struct decoded_insn *d, bool si, bool di);
/* rCX is zero (as an address of the instruction's address size). */
bool emul_count_zero(const struct guest_regs *r, const struct decoded_insn *d);

#endif
