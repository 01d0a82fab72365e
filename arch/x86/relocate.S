/* void relocate_image(u64 dst, u64 src, u64 len, u64 cr3)
 * Copies the running image and switches to page tables that map the same
 * virtual addresses onto the copy.  Nothing is written to memory between
 * the copy and the switch, so the copy is exactly the state at the call. */
	.text
	.globl relocate_image
relocate_image:
	movq %rcx, %r8
	movq %rdx, %rcx
	cld
	rep movsb
	movq %r8, %cr3
	ret
