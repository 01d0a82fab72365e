/*
 * NMIs in Lamina.  Lamina keeps IF clear, so an NMI is the only event that
 * interrupts it: another CPU's wake-up kick, or an NMI meant for the guest
 * that arrived while this CPU ran Lamina (on SVM it is held from #VMEXIT
 * to the STGI after it).  The handler only counts the NMI; common code
 * decides after the exit what it was (arch/x86/exit.c).  The counter's
 * address sits 8 bytes above the top of the NMI stack (arch/x86/traps.c).
 */
	.text
	.globl nmi_entry
nmi_entry:
	pushq %rax                      /* rsp = top - 48: frame of 5 + rax */
	movq 56(%rsp), %rax             /* the counter at top + 8 */
	lock incl (%rax)
	/* Interrupted between nmi_wait_nonzero's check and its HLT: check
	 * again, or the CPU would halt with the awaited word already set. */
	leaq nmi_wait_check(%rip), %rax
	cmpq %rax, 8(%rsp)
	jb 1f
	leaq nmi_wait_hlt(%rip), %rax
	cmpq %rax, 8(%rsp)
	ja 1f
	leaq nmi_wait_check(%rip), %rax
	movq %rax, 8(%rsp)
1:	popq %rax
	iretq

/* void nmi_wait_nonzero(volatile u32 *word) */
	.globl nmi_wait_nonzero
nmi_wait_nonzero:
nmi_wait_check:
	cmpl $0, (%rdi)
	jne 2f
nmi_wait_hlt:
	hlt
	jmp nmi_wait_check
2:	ret
