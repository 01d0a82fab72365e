/* Exception entry stubs: build a struct trap_frame and call trap_handler. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.macro stub vec
	.balign 16
	.if HAS_ERROR_CODE(\vec)
	pushq $\vec
	.else
	pushq $0
	pushq $\vec
	.endif
	jmp trap_common
	.endm

	.text
	.globl trap_stubs
	.balign 16
trap_stubs:
	.set v, 0
	.rept 32
	stub v
	.set v, v + 1
	.endr

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call trap_handler       /* does not return */
1:	cli
	hlt
	jmp 1b
