/* Leaving the machine: reset through the chipset, else the keyboard
 * controller, else a triple fault; or halt forever. */
#include "arch/x86/cpu.h"

void cpu_halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

void machine_reset(void)
{
	static const u64 null_idt[2];

	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06); /* PCI reset control: hard reset */
	for (volatile int i = 0; i < 100000; i++)
		;
	outb(0x64, 0xfe); /* 8042 pulse reset line */
	for (volatile int i = 0; i < 100000; i++)
		;
	asm volatile("lidt %0; int3" : : "m"(null_idt));
	cpu_halt_forever();
}
