/*
 * mmioprobe: reads the local APIC's version register through /dev/mem
 * with instructions Lamina emulates when the page is trapped (mov, cmp,
 * or into a register, lods, movs to memory, bt) and one it does not (an SSE movd, which
 * must then pass through to the device), and checks they all see the
 * same value.  A
 * 16-bit read (movzx) is only shown: the APIC defines 32-bit accesses
 * alone, and QEMU's answers 0 to narrower ones.
 * Run by tests/system/emul.sh with trap=mmio:0xfee00000.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define APIC_BASE 0xfee00000u
#define APIC_VERSION 0x30

int main(void)
{
	int fd = open("/dev/mem", O_RDONLY | O_SYNC);
	int bad = 0;

	if (fd < 0) {
		perror("mmioprobe: /dev/mem");
		return 2;
	}
	volatile uint8_t *apic = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, APIC_BASE);

	if (apic == MAP_FAILED) {
		perror("mmioprobe: mmap");
		return 2;
	}
	const volatile void *reg = apic + APIC_VERSION;
	uint32_t mov, zx, orv = 0, lods, sse, movs[2] = { 0, 0x5a5a5a5a };
	uint8_t eq, bit0, bit4;

	mov = *(const volatile uint32_t *)reg;
	asm volatile("movzwl (%1), %0" : "=r"(zx) : "r"(reg) : "memory");
	asm volatile("cmpl %2, (%1); sete %0" : "=q"(eq) : "r"(reg), "r"(mov) : "cc", "memory");
	asm volatile("orl (%1), %0" : "+r"(orv) : "r"(reg) : "cc", "memory");
	{
		const volatile void *si = reg;
		uint64_t cx = 1;

		asm volatile("cld; rep lodsl" : "=a"(lods), "+S"(si), "+c"(cx) : : "memory");
	}
	{
		const volatile void *si = reg;
		void *di = movs;
		uint64_t cx = 1;

		asm volatile("cld; rep movsl" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	}
	asm volatile("btl $0, (%1); setc %0" : "=q"(bit0) : "r"(reg) : "cc", "memory");
	asm volatile("btl $4, (%1); setc %0" : "=q"(bit4) : "r"(reg) : "cc", "memory");

	asm volatile("movd (%1), %%xmm0; movd %%xmm0, %0" : "=r"(sse) : "r"(reg) : "xmm0", "memory");

	printf("mmioprobe: apic version %08x movzx %04x cmp-equal %u or %08x lods %08x movs %08x/%08x "
	       "bt0 %u bt4 %u sse %08x\n", mov, zx, eq, orv, lods, movs[0], movs[1], bit0, bit4, sse);
	if (mov == 0 || mov == 0xffffffffu)
		bad = 1, printf("mmioprobe: FAIL: no APIC version register\n");
	if (!eq || orv != mov || lods != mov || movs[0] != mov || movs[1] != 0x5a5a5a5a)
		bad = 1, printf("mmioprobe: FAIL: emulated reads disagree\n");
	if (bit0 != (mov & 1) || bit4 != ((mov >> 4) & 1))
		bad = 1, printf("mmioprobe: FAIL: emulated bt disagrees\n");
	if (sse != mov)
		bad = 1, printf("mmioprobe: FAIL: the passed-through SSE read disagrees\n");
	if (!bad)
		printf("mmioprobe: PASS\n");
	return bad;
}
