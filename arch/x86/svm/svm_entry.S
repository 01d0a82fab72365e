/*
 * void svm_vmrun(u64 vmcb_pa, struct guest_regs *regs, u64 host_vmcb_pa)
 * Loads the guest's general registers, enters the guest, and stores them
 * back on #VMEXIT.  RAX, RSP, RIP and RFLAGS travel in the VMCB.  VMLOAD
 * and VMSAVE switch the state VMRUN leaves alone (FS, GS, TR, LDTR,
 * syscall MSRs); the host's copy is reloaded from host_vmcb_pa.
 */
#include "arch/x86/guest_regs.h"

	.text
	.globl svm_vmrun
svm_vmrun:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdx                      /* host VMCB */
	pushq %rsi                      /* regs */

	movq %rdi, %rax
	/* No NMI from here to VMRUN: after the VMLOAD the CPU holds the
	 * guest's TR, so an NMI taken in Lamina would run on a stack the
	 * guest's TSS names.  VMRUN sets GIF; the NMI is then the guest's
	 * intercepted exit. */
	clgi
	GUEST_GPRS load, rsi, rax
	movq GR_RSI(%rsi), %rsi

	vmload %rax
	vmrun %rax
	vmsave %rax

	pushq %rsi                      /* guest RSI */
	movq 8(%rsp), %rsi              /* regs */
	GUEST_GPRS store, rsi, rax
	popq GR_RSI(%rsi)
	popq %rsi
	popq %rax                       /* host VMCB */
	vmload %rax
	/* Lamina runs with GIF set (IF stays clear): an NMI held since the
	 * #VMEXIT - a kick or the guest's - is taken now (arch/x86/nmi.S). */
	stgi

	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
