/*
 * The application processors' way into Lamina.  The boot CPU copies the
 * trampoline (ap_trampoline .. ap_trampoline_end, position-independent
 * 16-bit code) to a page below 1 MiB, fills in its parameter block and
 * sends INIT-SIPI-SIPI with that page's vector.  The AP starts in real mode
 * at CS:0 = page:0, enters long mode at once on transition page tables
 * (the trampoline page executable, Lamina's higher half), jumps to
 * ap_entry64 in Lamina's image, switches to Lamina's own page tables and
 * stack and calls ap_main(arg).  See arch/x86/smp.c.
 */
#define TR(sym) ((sym) - ap_trampoline)

	.section .rodata, "a"
	.balign 16
	.globl ap_trampoline, ap_trampoline_end, ap_trampoline_params
	.code16
ap_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx                   /* ebx = the page's physical address */
	leal TR(tr_gdt)(%ebx), %eax
	movl %eax, TR(tr_gdt_ptr) + 2
	leal TR(tr_long)(%ebx), %eax
	movl %eax, TR(tr_far_long)
	lgdtl TR(tr_gdt_ptr)
	movl %cr4, %eax
	orl $0x20, %eax                 /* PAE */
	movl %eax, %cr4
	movl TR(ap_trampoline_params), %eax   /* transition CR3 (below 4 GiB) */
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x900, %eax                /* EFER.LME | EFER.NXE */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax           /* PG | PE: long mode, no 32-bit stop */
	movl %eax, %cr0
	ljmpl *TR(tr_far_long)

	.code64
tr_long:
	movl %ebx, %ebx                 /* upper half undefined after the switch */
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq TR(ap_trampoline_params) + 8(%rbx), %rax
	jmpq *%rax                      /* ap_entry64, rbx = the page */

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
tr_gdt_ptr:
	.word 23
	.long 0
tr_far_long:
	.long 0
	.word 0x08
	.balign 8
/* struct ap_trampoline_params (arch/x86/smp.c) */
ap_trampoline_params:
	.quad 0                         /* transition CR3 */
	.quad 0                         /* ap_entry64 */
	.quad 0                         /* Lamina's CR3 */
	.quad 0                         /* stack top */
	.quad 0                         /* argument of ap_main */
ap_trampoline_end:

	.text
	.globl ap_entry64
ap_entry64:
	movq TR(ap_trampoline_params) + 16(%rbx), %rax
	movq %rax, %cr3
	movq TR(ap_trampoline_params) + 24(%rbx), %rsp
	movq TR(ap_trampoline_params) + 32(%rbx), %rdi
	xorl %ebp, %ebp
	call ap_main                    /* does not return */
1:	cli
	hlt
	jmp 1b
