/*
 * int vmx_enter(struct guest_regs *regs, int launched)
 *
 * Loads the guest's general registers and enters the guest with VMLAUNCH
 * (first entry) or VMRESUME.  RSP, RIP and RFLAGS travel in the VMCS.  A
 * VM exit arrives at vmx_exit with the stack as it was at entry (HOST_RSP
 * is written here each time), the guest's registers still in the CPU:
 * they are stored back into *regs and 0 is returned.  When the entry
 * instruction itself fails, the guest state never loaded: 1 is returned
 * for VMfailValid (see the VM-instruction error field), 2 for VMfailInvalid.
 */
#include "arch/x86/guest_regs.h"

#define VMCS_HOST_RSP 0x6c14

	.text
	.globl vmx_enter
vmx_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi                      /* regs, found again at vmx_exit */

	movl $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jna entry_failed

	cmpl $0, %esi                   /* flags survive the movs below */
	movq %rdi, %rax
	GUEST_GPRS load, rax, none
	movq GR_RAX(%rax), %rax
	je 1f
	vmresume
	jmp entry_failed
1:	vmlaunch

entry_failed:
	movl $1, %eax
	jnc 2f
	movl $2, %eax
2:	addq $8, %rsp                   /* regs */
	jmp restore_host

	.globl vmx_exit
vmx_exit:
	pushq %rax                      /* guest RAX */
	movq 8(%rsp), %rax              /* regs */
	GUEST_GPRS store, rax, none
	popq GR_RAX(%rax)
	addq $8, %rsp                   /* regs */
	xorl %eax, %eax

restore_host:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
