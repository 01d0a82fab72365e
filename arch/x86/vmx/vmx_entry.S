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
#define R_RAX 0
#define R_RBX 8
#define R_RCX 16
#define R_RDX 24
#define R_RSI 32
#define R_RDI 40
#define R_RBP 48
#define R_R8 64
#define R_R9 72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120

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
	movq R_RBX(%rax), %rbx
	movq R_RCX(%rax), %rcx
	movq R_RDX(%rax), %rdx
	movq R_RSI(%rax), %rsi
	movq R_RDI(%rax), %rdi
	movq R_RBP(%rax), %rbp
	movq R_R8(%rax), %r8
	movq R_R9(%rax), %r9
	movq R_R10(%rax), %r10
	movq R_R11(%rax), %r11
	movq R_R12(%rax), %r12
	movq R_R13(%rax), %r13
	movq R_R14(%rax), %r14
	movq R_R15(%rax), %r15
	movq R_RAX(%rax), %rax
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
	movq %rbx, R_RBX(%rax)
	movq %rcx, R_RCX(%rax)
	movq %rdx, R_RDX(%rax)
	movq %rsi, R_RSI(%rax)
	movq %rdi, R_RDI(%rax)
	movq %rbp, R_RBP(%rax)
	movq %r8, R_R8(%rax)
	movq %r9, R_R9(%rax)
	movq %r10, R_R10(%rax)
	movq %r11, R_R11(%rax)
	movq %r12, R_R12(%rax)
	movq %r13, R_R13(%rax)
	movq %r14, R_R14(%rax)
	movq %r15, R_R15(%rax)
	popq R_RAX(%rax)
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
