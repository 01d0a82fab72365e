/*
 * Helpers for test_xstate.c: load known values into the vector registers,
 * call xstate_save(), let a callback clobber everything, call
 * xstate_restore(), and dump the registers -- all without C code touching
 * the registers in between.
 *
 * int xstate_roundtrip(struct xstate_area *a, const void *pattern,
 *                      void *out, int mode, void (*clobber)(void *), void *arg)
 * mode 0: xmm0-15 (256 bytes)   mode 1: ymm0-15 (512 bytes)
 * mode 2: zmm0-31 (2048 bytes) then k0-k7 as 16-bit values (16 bytes)
 *
 * void clobber_vector_regs(int mode): overwrite those registers with 0xcc.
 *
 * void call_misaligned(void *fn, a, b, c, d, e): calls fn(a, b, c, d, e)
 * with the stack 8 bytes off the ABI alignment, as hypervisor code built
 * with -mgeneral-regs-only may do.
 */
	.text
	.globl	xstate_roundtrip
	.type	xstate_roundtrip, @function
xstate_roundtrip:
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp			/* 16-byte alignment for calls */
	mov	%rdi, %rbx
	mov	%rdx, %r12
	mov	%ecx, %r13d
	mov	%r8, %r14
	mov	%r9, %r15

	cmp	$1, %r13d
	je	1f
	jg	2f
	movdqu	0x00(%rsi), %xmm0
	movdqu	0x10(%rsi), %xmm1
	movdqu	0x20(%rsi), %xmm2
	movdqu	0x30(%rsi), %xmm3
	movdqu	0x40(%rsi), %xmm4
	movdqu	0x50(%rsi), %xmm5
	movdqu	0x60(%rsi), %xmm6
	movdqu	0x70(%rsi), %xmm7
	movdqu	0x80(%rsi), %xmm8
	movdqu	0x90(%rsi), %xmm9
	movdqu	0xa0(%rsi), %xmm10
	movdqu	0xb0(%rsi), %xmm11
	movdqu	0xc0(%rsi), %xmm12
	movdqu	0xd0(%rsi), %xmm13
	movdqu	0xe0(%rsi), %xmm14
	movdqu	0xf0(%rsi), %xmm15
	jmp	3f
1:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	(\n * 32)(%rsi), %ymm\n
	.endr
	jmp	3f
2:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 (\n * 64)(%rsi), %zmm\n
	.endr
	.irp	n, 0,1,2,3,4,5,6,7
	kmovw	(2048 + \n * 2)(%rsi), %k\n
	.endr
3:
	mov	%rbx, %rdi
	call	xstate_save
	mov	%r15, %rdi
	call	*%r14
	mov	%rbx, %rdi
	call	xstate_restore

	cmp	$1, %r13d
	je	1f
	jg	2f
	movdqu	%xmm0, 0x00(%r12)
	movdqu	%xmm1, 0x10(%r12)
	movdqu	%xmm2, 0x20(%r12)
	movdqu	%xmm3, 0x30(%r12)
	movdqu	%xmm4, 0x40(%r12)
	movdqu	%xmm5, 0x50(%r12)
	movdqu	%xmm6, 0x60(%r12)
	movdqu	%xmm7, 0x70(%r12)
	movdqu	%xmm8, 0x80(%r12)
	movdqu	%xmm9, 0x90(%r12)
	movdqu	%xmm10, 0xa0(%r12)
	movdqu	%xmm11, 0xb0(%r12)
	movdqu	%xmm12, 0xc0(%r12)
	movdqu	%xmm13, 0xd0(%r12)
	movdqu	%xmm14, 0xe0(%r12)
	movdqu	%xmm15, 0xf0(%r12)
	jmp	3f
1:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	%ymm\n, (\n * 32)(%r12)
	.endr
	vzeroupper
	jmp	3f
2:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 %zmm\n, (\n * 64)(%r12)
	.endr
	.irp	n, 0,1,2,3,4,5,6,7
	kmovw	%k\n, (2048 + \n * 2)(%r12)
	.endr
	vzeroupper
3:
	xor	%eax, %eax
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	xstate_roundtrip, . - xstate_roundtrip

	.globl	clobber_vector_regs
	.type	clobber_vector_regs, @function
clobber_vector_regs:
	mov	$0xcccccccc, %eax
	movd	%eax, %xmm0
	pshufd	$0, %xmm0, %xmm0
	cmp	$1, %edi
	je	1f
	jg	2f
	.irp	n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqa	%xmm0, %xmm\n
	.endr
	ret
1:
	vinserti128 $1, %xmm0, %ymm0, %ymm0
	.irp	n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqa	%ymm0, %ymm\n
	.endr
	ret
2:
	vpbroadcastd %eax, %zmm0
	.irp	n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqa64 %zmm0, %zmm\n
	.endr
	kmovw	%eax, %k1
	.irp	n, 0,2,3,4,5,6,7
	kmovw	%k1, %k\n
	.endr
	ret
	.size	clobber_vector_regs, . - clobber_vector_regs

	.globl	call_misaligned
	.type	call_misaligned, @function
call_misaligned:
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	sub	$8, %rsp		/* the call leaves %rsp = 0 mod 16 at entry */
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %rcx
	mov	%r9, %r8
	call	*%rax
	leave
	ret
	.size	call_misaligned, . - call_misaligned

	.section .note.GNU-stack, "", @progbits
