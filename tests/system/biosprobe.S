/*
 * biosprobe: a boot sector that reports the BIOS's memory view on COM1,
 * for tests/system/chain.sh (booted bare and chain-booted under Lamina):
 *
 *   probe: drive 00000081                      DL at entry
 *   probe: int12 0000027c                      INT 12h, KiB
 *   probe: ivt15 9f00:01ab                     INT 15h vector
 *   probe: e820 BASE SIZE TYPE                 one line per INT 15h E820 entry
 *   probe: e801 AX BX CX DX                    INT 15h AX=E801h
 *   probe: ext88 AX                            INT 15h AH=88h
 *   probe: ivt HEX...                          the 1 KiB interrupt vector table
 *   probe: bda HEX...                          the 256-byte BIOS data area
 *   probe: ebda HEX...                         the first 1 KiB of the EBDA
 *   probe: ports P21 PA1 P92 IER LCR MCR SCR DLL DLM IIR PIT2
 *          (PIC masks, A20 port, COM1's registers, PIT channel 2's
 *          read-back status)
 *   probe: end
 *
 * Numbers are hex; memory dumps are bytes in address order.  The first
 * sector loads the next three (INT 13h AH=02h from the boot drive) to
 * 0:7E00.  Built with `ld -Ttext 0x7c00 --oformat binary`.
 */
#define SMAP 0x534d4150
#define COM1 0x3f8

	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
	ljmp $0, $1f
1:	sti
	cld
	mov %dl, drive
	mov $0x0203, %ax		/* three sectors */
	mov $0x0002, %cx		/* cylinder 0, sector 2 */
	xor %dh, %dh
	mov $0x7e00, %bx
	int $0x13
	jc halt
	jmp sector2
drive:	.byte 0

	.org 510
	.word 0xaa55

sector2:
	movzbl drive, %eax
	mov $m_drive, %si
	call field
	call nl

	int $0x12
	movzwl %ax, %eax
	mov $m_int12, %si
	call field
	call nl

	mov $m_ivt15, %si
	call puts
	mov 0x56, %ax
	call hex16
	mov $':', %al
	call putc
	mov 0x54, %ax
	call hex16
	call nl

	xor %ebx, %ebx
e820:	mov $0xe820, %eax
	mov $SMAP, %edx
	mov $24, %ecx
	mov $buf, %di
	movl $1, buf + 20
	int $0x15
	jc e820_done
	cmp $SMAP, %eax
	jne e820_done
	mov $m_e820, %si
	call puts
	mov buf + 4, %eax
	call hex32
	mov buf, %eax
	call hex32
	mov buf + 12, %eax
	call space_hex32
	mov buf + 8, %eax
	call hex32
	mov buf + 16, %eax
	call space_hex32
	call nl
	test %ebx, %ebx
	jnz e820
e820_done:

	mov $0xe801, %ax
	xor %bx, %bx
	xor %cx, %cx
	xor %dx, %dx
	int $0x15
	jc 2f
	push %dx
	push %cx
	push %bx
	movzwl %ax, %eax
	mov $m_e801, %si
	call field
	pop %ax
	call space_hex16
	pop %ax
	call space_hex16
	pop %ax
	call space_hex16
	call nl

2:	mov $0x88, %ah
	int $0x15
	jc 3f
	movzwl %ax, %eax
	mov $m_ext88, %si
	call field
	call nl

3:	mov $m_ivt, %si
	xor %bx, %bx
	mov $1024, %cx
	call dump
	mov $m_bda, %si
	mov $0x400, %bx
	mov $256, %cx
	call dump
	mov $m_ebda, %si
	mov 0x40e, %ax
	push %ds
	mov %ax, %ds
	xor %bx, %bx
	mov $1024, %cx
	call dump
	pop %ds

	mov $m_ports, %si
	call puts
	in $0x21, %al
	call space_hex8
	in $0xa1, %al
	call space_hex8
	in $0x92, %al
	call space_hex8
	mov $COM1 + 1, %dx		/* IER */
	call space_in
	add $2, %dx			/* LCR */
	call space_in
	inc %dx				/* MCR */
	call space_in
	add $3, %dx			/* SCR */
	call space_in
	mov $COM1 + 3, %dx		/* the divisor: nothing printed */
	in %dx, %al			/* while the latch is on */
	mov %al, %bl
	or $0x80, %al
	out %al, %dx
	mov $COM1, %dx
	in %dx, %al			/* DLL */
	mov %al, %cl
	inc %dx
	in %dx, %al			/* DLM */
	mov %al, %ch
	mov $COM1 + 3, %dx
	mov %bl, %al
	out %al, %dx
	mov %cl, %al
	call space_hex8
	mov %ch, %al
	call space_hex8
	dec %dx				/* IIR */
	call space_in
	mov $0xe8, %al			/* read-back: channel 2 status */
	out %al, $0x43
	in $0x42, %al
	call space_hex8
	call nl

	mov $m_end, %si
	call puts
	call nl
halt:	hlt
	jmp halt

/* "probe: <SI label>" then CX bytes at DS:BX in hex (DS may be anything;
 * labels are read before DS changes). */
dump:	push %ds
	push %ax
	xor %ax, %ax
	mov %ax, %ds
	call puts
	pop %ax
	pop %ds
1:	mov (%bx), %al
	inc %bx
	call hex8
	loop 1b
	jmp nl

space_in:
	in %dx, %al
space_hex8:
	push %ax
	mov $' ', %al
	call putc
	pop %ax
hex8:	push %eax
	push %cx
	shl $24, %eax
	mov $2, %cx
	jmp 4f

/* SI = label, EAX = value: "probe: <label> <eax>" */
field:	call puts
	jmp hex32

space_hex16:
	movzwl %ax, %eax
space_hex32:
	push %eax
	mov $' ', %al
	call putc
	pop %eax
	jmp hex32

hex16:	push %eax
	push %cx
	shl $16, %eax
	mov $4, %cx
	jmp 4f
hex32:	push %eax
	push %cx
	mov $8, %cx
4:	rol $4, %eax
	push %eax
	and $0x0f, %al
	add $'0', %al
	cmp $'9', %al
	jbe 5f
	add $('a' - '9' - 1), %al
5:	call putc
	pop %eax
	loop 4b
	pop %cx
	pop %eax
	ret

nl:	mov $'\n', %al
putc:	push %dx
	push %ax
	mov $COM1 + 5, %dx
6:	in %dx, %al
	test $0x20, %al
	jz 6b
	pop %ax
	mov $COM1, %dx
	out %al, %dx
	pop %dx
	ret

puts:	push %ax
	mov $m_probe, %ax
	xchg %ax, %si
	call 7f
	mov %ax, %si
	call 7f
	pop %ax
	ret
7:	push %ax
8:	lodsb
	test %al, %al
	jz 9f
	call putc
	jmp 8b
9:	pop %ax
	ret

m_probe: .asciz "probe: "
m_drive: .asciz "drive "
m_int12: .asciz "int12 "
m_ivt15: .asciz "ivt15 "
m_e820:	.asciz "e820 "
m_e801:	.asciz "e801 "
m_ext88: .asciz "ext88 "
m_end:	.asciz "end"
m_ivt:	.asciz "ivt "
m_bda:	.asciz "bda "
m_ebda:	.asciz "ebda "
m_ports: .asciz "ports"

	.org 4 * 512
buf:
