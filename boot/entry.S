/*
 * Multiboot2 entry.  GRUB enters _start32 in 32-bit protected mode, paging
 * off, EAX = multiboot2 magic, EBX = physical address of the boot info.
 * We build temporary page tables (identity map of the low 4 GiB, and the
 * top 2 GiB mapped to physical 0), enter long mode, and call
 * boot_main(magic, info) in the higher half.
 */
#define PAGE 4096
#define NR_BOOT_TABLES 7        /* pml4, pdpt low, pdpt high, 4 pds */

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long 0xe85250d6                /* magic */
	.long 0                         /* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(0xe85250d6 + (mb2_header_end - mb2_header))
	.balign 8
	.word 0, 0                      /* end tag */
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	movl $boot_stack32_top, %esp
	pushl %ebx                      /* boot info */
	pushl %eax                      /* magic */

	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode

	movl $boot_pml4, %edi
	movl $(NR_BOOT_TABLES * PAGE / 4), %ecx
	xorl %eax, %eax
	rep stosl

	movl $(boot_pdpt_low + 3), boot_pml4
	movl $(boot_pdpt_high + 3), boot_pml4 + 511 * 8
	movl $(boot_pd + 3), %eax
	movl %eax, boot_pdpt_high + 510 * 8     /* top 2 GiB -> physical 0 */
	movl $boot_pdpt_low, %edi
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $PAGE, %eax
	addl $8, %edi
	loop 1b

	movl $boot_pd, %edi             /* 2048 x 2 MiB = identity 4 GiB */
	movl $0x83, %eax                /* present, writable, large */
	movl $2048, %ecx
2:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 2b

	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax                 /* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax                /* EFER.LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax           /* PG | PE */
	movl %eax, %cr0

	popl %edi                       /* magic */
	popl %esi                       /* boot info */
	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode_low

no_long_mode:
	movl $msg_no_long_mode, %ebx
3:	movb (%ebx), %cl
	testb %cl, %cl
	jz 5f
	movw $0x3fd, %dx
4:	inb %dx, %al
	testb $0x20, %al
	jz 4b
	movw $0x3f8, %dx
	movb %cl, %al
	outb %al, %dx
	incl %ebx
	jmp 3b
5:	cli
	hlt
	jmp 5b

	.code64
long_mode_low:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movl %edi, %edi                 /* zero-extend the C arguments */
	movl %esi, %esi
	movabsq $start64, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt
msg_no_long_mode:
	.asciz "lamina: error: this CPU has no 64-bit long mode; halting\r\n"

	.section .boot.bss, "aw"
	.balign PAGE
boot_pml4:	.skip PAGE
boot_pdpt_low:	.skip PAGE
boot_pdpt_high:	.skip PAGE
boot_pd:	.skip 4 * PAGE
boot_stack32:	.skip 1024
boot_stack32_top:

	.text
	.globl start64
start64:
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call boot_main
6:	cli
	hlt
	jmp 6b

	.bss
	.balign 16
	.globl boot_stack_top
boot_stack:
	.skip 16384
boot_stack_top:
