/*
 * ipiprobe: sends one interprocessor interrupt through the local APIC's
 * ICR (xAPIC page via /dev/mem) from the CPU it runs on, the way a kernel
 * would - for the tests of what Lamina does with odd IPIs (an INIT to a
 * running CPU, a SIPI without INIT, IPIs to CPUs that do not exist).
 *
 *   ipiprobe init APICID | sipi APICID VECTOR | fixed APICID VECTOR |
 *            nmi APICID [COUNT]
 *
 * Pin it with taskset: the ICR belongs to the CPU that writes it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

#define APIC_BASE 0xfee00000u
#define APIC_ICR 0x300
#define APIC_ICR_HIGH 0x310
#define ICR_BUSY (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define MODE_FIXED (0u << 8)
#define MODE_INIT (5u << 8)
#define MODE_NMI (4u << 8)
#define MODE_STARTUP (6u << 8)

static int usage(void)
{
	fprintf(stderr, "usage: ipiprobe init APICID | sipi APICID VECTOR | fixed APICID VECTOR | "
			"nmi APICID [COUNT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint32_t low;
	unsigned count = 1;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "init") && argc == 3)
		low = MODE_INIT | ICR_ASSERT | ICR_LEVEL;
	else if (!strcmp(argv[1], "sipi") && argc == 4)
		low = MODE_STARTUP | (strtoul(argv[3], NULL, 0) & 0xff);
	else if (!strcmp(argv[1], "fixed") && argc == 4)
		low = MODE_FIXED | ICR_ASSERT | (strtoul(argv[3], NULL, 0) & 0xff);
	else if (!strcmp(argv[1], "nmi") && (argc == 3 || argc == 4)) {
		low = MODE_NMI | ICR_ASSERT;
		count = argc == 4 ? strtoul(argv[3], NULL, 0) : 1;
	}
	else
		return usage();
	uint32_t dest = strtoul(argv[2], NULL, 0);
	int fd = open("/dev/mem", O_RDWR | O_SYNC);

	if (fd < 0) {
		perror("ipiprobe: /dev/mem");
		return 1;
	}
	volatile uint32_t *apic = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, APIC_BASE);

	if (apic == MAP_FAILED) {
		perror("ipiprobe: mmap");
		return 1;
	}
	/* Interrupts off around the two ICR writes, as a kernel sends: an
	 * interrupt between them may send an IPI of its own and leave
	 * another destination in the high half. */
	if (iopl(3)) {
		perror("ipiprobe: iopl");
		return 1;
	}
	for (unsigned i = 0; i < count; i++) {
		while (apic[APIC_ICR / 4] & ICR_BUSY)
			;
		__asm__ volatile("cli" ::: "memory");
		apic[APIC_ICR_HIGH / 4] = dest << 24;
		apic[APIC_ICR / 4] = low;
		__asm__ volatile("sti" ::: "memory");
		while (apic[APIC_ICR / 4] & ICR_BUSY)
			;
		usleep(1000); /* one at a time: NMIs pending together are one */
	}
	printf("ipiprobe: sent %u %s to APIC ID %u (icr %08x)\n", count, argv[1], dest, low);
	return 0;
}
