/*
 * The chain-boot stub: real-mode code Lamina copies to the top of
 * conventional memory (the BIOS data area's base-memory size is lowered
 * so that INT 12h and E820 keep the OS off it).  The guest starts here.
 *
 * Entry (chain_stub_entry): CS = DS = ES = SS = the stub's segment.
 * It tries the drives of the parameter block in order: INT 13h AH=08h
 * (does the drive exist?), AH=41h/42h (extended read of LBA 0) with a
 * fallback to AH=02h (CHS 0/0/1), then the 55 AA signature; the first
 * boot sector that passes runs at 0:7C00 with DL = drive, SS:SP = 0:7C00,
 * interrupts on.  Each failure is reported through INT 10h teletype and,
 * when Lamina has a serial console, on that UART; when no drive is left,
 * the stub says so and halts.
 *
 * INT 15h (chain_stub_int15), installed in the IVT by Lamina:
 *   EAX=E820h      answered from the map in the stub (Lamina's region and
 *                  the stub reserved)
 *   AX=E801h/E881h the BIOS's answer, clamped below Lamina's region
 *   AH=88h         the BIOS's answer, clamped likewise
 *   anything else  goes to the BIOS's handler unchanged
 * All addresses are offsets from the stub's start (its segment base).
 */
#include "arch/x86/chain.h"

#define OFF(x) ((x) - chain_stub_start)
#define SMAP 0x534d4150

	.section .rodata.chain_stub, "a"
	.code16
	.globl chain_stub_start, chain_stub_end, chain_stub_entry, chain_stub_int15

chain_stub_start:
	.fill CP_SIZE, 1, 0		/* struct chain_params */
	.balign 4
dap:					/* INT 13h AH=42h disk address packet */
	.byte 16, 0
	.word 1				/* sectors */
	.word 0x7c00, 0			/* buffer offset, segment */
	.long 0, 0			/* LBA 0 */
status:	.byte 0

chain_stub_entry:
	cli
	mov %cs, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov CP_STACK_TOP, %sp
	sti
	cld
	xor %bx, %bx
1:	cmp CP_NR_DRIVES, %bl
	jae no_drive_left
	mov CP_DRIVES(%bx), %dl
	push %bx
	call try_drive
	pop %bx
	jnc boot
	inc %bx
	jmp 1b

no_drive_left:
	mov $OFF(msg_none), %si
	call print
halt:	cli
	hlt
	jmp halt

boot:	mov $OFF(msg_boot), %si
	call print
	mov %dl, %al
	call print_hex
	mov $OFF(msg_boot2), %si
	call print
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
	xor %bx, %bx
	xor %cx, %cx
	xor %dh, %dh
	xor %si, %si
	xor %di, %di
	xor %bp, %bp
	sti
	ljmp $0, $0x7c00

/* DL = drive.  CF clear when 0:7C00 holds its boot sector; DL kept. */
try_drive:
	push %dx
	push %es
	xor %di, %di			/* ES:DI = 0:0 (some BIOSes want it) */
	mov %di, %es
	mov $0x08, %ah
	int $0x13
	pop %es
	pop %dx
	jnc 1f
	mov %ah, OFF(status)
	mov $OFF(msg_nodrive), %si
	mov $OFF(msg_nodrive2), %di
	jmp drive_failed

1:	push %es			/* no stale signature may pass */
	xor %ax, %ax
	mov %ax, %es
	movw $0, %es:0x7dfe
	pop %es

	push %dx
	mov $0x41, %ah
	mov $0x55aa, %bx
	int $0x13
	pop %dx
	jc chs
	cmp $0xaa55, %bx
	jne chs
	test $1, %cl			/* fixed disk access subset */
	jz chs
	mov $OFF(dap), %si		/* the BIOS may have changed it */
	movw $16, (%si)			/* size, reserved */
	movw $1, 2(%si)			/* one sector */
	movl $0x7c00, 4(%si)		/* to 0:7C00 */
	movl $0, 8(%si)			/* LBA 0 */
	movl $0, 12(%si)
	push %dx
	mov $0x42, %ah
	int $0x13
	pop %dx
	jnc check_signature

chs:	mov $3, %bp			/* tries */
2:	push %dx
	push %es
	xor %ax, %ax
	mov %ax, %es
	mov $0x7c00, %bx
	mov $0x0201, %ax		/* read one sector */
	mov $0x0001, %cx		/* cylinder 0, sector 1 */
	xor %dh, %dh			/* head 0 */
	int $0x13
	pop %es
	pop %dx
	jnc check_signature
	mov %ah, OFF(status)
	push %dx
	xor %ah, %ah			/* reset the drive, try again */
	int $0x13
	pop %dx
	dec %bp
	jnz 2b
	mov $OFF(msg_readerr), %si
	mov $OFF(msg_readerr2), %di
	jmp drive_failed

check_signature:
	push %es
	xor %ax, %ax
	mov %ax, %es
	cmpw $0xaa55, %es:0x7dfe
	pop %es
	jne 3f
	clc
	ret
3:	mov $OFF(msg_nosig), %si
	call print
	mov %dl, %al
	call print_hex
	mov $OFF(msg_nosig2), %si
	call print
	stc
	ret

/* "SI 0x<drive> DI 0x<status>)\r\n", CF set. */
drive_failed:
	call print
	mov %dl, %al
	call print_hex
	mov %di, %si
	call print
	mov OFF(status), %al
	call print_hex
	mov $OFF(msg_close), %si
	call print
	stc
	ret

/* Prints the string at DS:SI. */
print:	push %ax
	push %si
1:	lodsb
	test %al, %al
	jz 2f
	call putc
	jmp 1b
2:	pop %si
	pop %ax
	ret

/* Prints AL as two hex digits. */
print_hex:
	push %ax
	shr $4, %al
	call hex_digit
	pop %ax
	push %ax
	and $0x0f, %al
	call hex_digit
	pop %ax
	ret
hex_digit:
	add $'0', %al
	cmp $'9', %al
	jbe putc
	add $('a' - '9' - 1), %al
	/* fall through */

/* Prints AL on the screen (INT 10h) and on Lamina's serial console. */
putc:	pusha
	mov %al, %cl
	mov $0x0e, %ah
	mov $0x0007, %bx
	int $0x10
	mov CP_SERIAL, %dx
	test %dx, %dx
	jz 2f
	add $5, %dx			/* line status */
	mov $0xffff, %bx		/* bounded wait: no UART, no hang */
1:	in %dx, %al
	test $0x20, %al
	jnz 3f
	dec %bx
	jnz 1b
3:	sub $5, %dx
	mov %cl, %al
	out %al, %dx
2:	popa
	ret

/* ------------------------------------------------------------ INT 15h */
chain_stub_int15:
	cmp $0xe820, %eax
	je e820
	cmp $0xe801, %ax
	je e801
	cmp $0xe881, %ax
	je e881
	cmp $0x88, %ah
	je ext88
	ljmp *%cs:CP_OLD_INT15

/* Calls the BIOS's handler as INT would; its CF is in FLAGS after. */
call_bios:
	pushf
	lcall *%cs:CP_OLD_INT15
	ret

/* Return to the caller with CF clear / set in the flags INT pushed. */
iret_ok:
	push %bp
	mov %sp, %bp
	andw $0xfffe, 6(%bp)
	pop %bp
	iret
iret_cf:
	push %bp
	mov %sp, %bp
	orw $1, 6(%bp)
	pop %bp
	iret

/* EBX = index, ECX = buffer size, EDX = "SMAP", ES:DI = buffer. */
e820:	cmp $SMAP, %edx
	jne e820_bad
	cmp $CHAIN_E820_ENTRY, %ecx
	jb e820_bad
	push %eax
	movzwl %cs:CP_MAP_COUNT, %eax
	cmp %eax, %ebx
	pop %eax
	jae e820_bad
	push %ds
	push %si
	push %di
	push %cx
	mov %cs, %si
	mov %si, %ds
	imul $CHAIN_E820_ENTRY, %bx, %si
	add CP_MAP_OFF, %si
	mov $CHAIN_E820_ENTRY, %cx
	cld
	rep movsb
	pop %cx
	pop %di
	pop %si
	pop %ds
	cmp $24, %ecx			/* ACPI 3.0 extended attributes */
	jb 1f
	movl $1, %es:CHAIN_E820_ENTRY(%di)	/* bit 0: enabled */
	mov $24, %ecx
	jmp 2f
1:	mov $CHAIN_E820_ENTRY, %ecx
2:	inc %ebx
	push %eax
	movzwl %cs:CP_MAP_COUNT, %eax
	cmp %eax, %ebx
	pop %eax
	jb 3f
	xor %ebx, %ebx			/* that was the last entry */
3:	mov $SMAP, %eax
	jmp iret_ok
e820_bad:
	mov $0x86, %ah			/* function not supported */
	jmp iret_cf

/* AX/CX = KiB from 1 to 16 MiB, BX/DX = 64 KiB blocks above 16 MiB. */
e801:	call call_bios
	jc iret_cf
	cmp %cs:CP_E801_AX, %ax
	jbe 1f
	mov %cs:CP_E801_AX, %ax
1:	cmp %cs:CP_E801_AX, %cx
	jbe 2f
	mov %cs:CP_E801_AX, %cx
2:	cmp %cs:CP_E801_BX, %bx
	jbe 3f
	mov %cs:CP_E801_BX, %bx
3:	cmp %cs:CP_E801_BX, %dx
	jbe 4f
	mov %cs:CP_E801_BX, %dx
4:	jmp iret_ok

/* The same in EAX/EBX/ECX/EDX. */
e881:	call call_bios
	jc iret_cf
	push %esi
	movzwl %cs:CP_E801_AX, %esi
	cmp %esi, %eax
	jbe 1f
	mov %esi, %eax
1:	cmp %esi, %ecx
	jbe 2f
	mov %esi, %ecx
2:	movzwl %cs:CP_E801_BX, %esi
	cmp %esi, %ebx
	jbe 3f
	mov %esi, %ebx
3:	cmp %esi, %edx
	jbe 4f
	mov %esi, %edx
4:	pop %esi
	jmp iret_ok

/* AX = KiB above 1 MiB. */
ext88:	call call_bios
	jc iret_cf
	cmp %cs:CP_EXT88, %ax
	jbe 1f
	mov %cs:CP_EXT88, %ax
1:	jmp iret_ok

msg_boot:	.asciz "lamina: chain: booting BIOS drive 0x"
msg_boot2:	.asciz "\r\n"
msg_none:	.asciz "lamina: error: chain boot: no BIOS drive left to boot from; halting\r\n"
msg_nodrive:	.asciz "lamina: chain: BIOS drive 0x"
msg_nodrive2:	.asciz " does not exist (INT 13h AH=08h status 0x"
msg_readerr:	.asciz "lamina: chain: cannot read the boot sector of BIOS drive 0x"
msg_readerr2:	.asciz " (INT 13h status 0x"
msg_nosig:	.asciz "lamina: chain: BIOS drive 0x"
msg_nosig2:	.asciz " has no boot signature (55 AA) in its first sector\r\n"
msg_close:	.asciz ")\r\n"
	.balign 4
chain_stub_end:
