/*
 * Offsets of struct guest_regs (core/vcpu.h) for the entry code of both
 * backends, and one macro that loads or stores the guest's general
 * registers, so the layout is written down once.
 */
#ifndef ARCH_X86_GUEST_REGS_H
#define ARCH_X86_GUEST_REGS_H

#define GR_RAX 0
#define GR_RBX 8
#define GR_RCX 16
#define GR_RDX 24
#define GR_RSI 32
#define GR_RDI 40
#define GR_RBP 48
#define GR_RSP 56
#define GR_R8 64
#define GR_R9 72
#define GR_R10 80
#define GR_R11 88
#define GR_R12 96
#define GR_R13 104
#define GR_R14 112
#define GR_R15 120

#ifdef __ASSEMBLY__
	.set GR_rax, GR_RAX
	.set GR_rbx, GR_RBX
	.set GR_rcx, GR_RCX
	.set GR_rdx, GR_RDX
	.set GR_rsi, GR_RSI
	.set GR_rdi, GR_RDI
	.set GR_rbp, GR_RBP
	.set GR_r8, GR_R8
	.set GR_r9, GR_R9
	.set GR_r10, GR_R10
	.set GR_r11, GR_R11
	.set GR_r12, GR_R12
	.set GR_r13, GR_R13
	.set GR_r14, GR_R14
	.set GR_r15, GR_R15

/* GUEST_GPRS load|store, base, skip: moves every general register but RSP
 * (which the hardware switches), `base` (it holds the struct's address;
 * the caller moves it last) and `skip` (or `none`) between the CPU and the
 * struct guest_regs at `base`. */
	.macro GUEST_GPRS op, base, skip
	.irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
	.ifnc \r, \base
	.ifnc \r, \skip
	.ifc \op, load
	movq GR_\r(%\base), %\r
	.else
	movq %\r, GR_\r(%\base)
	.endif
	.endif
	.endif
	.endr
	.endm
#endif

#endif
