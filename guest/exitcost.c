/*
 * exitcost - what one exit to Lamina costs the guest, per kind:
 *
 *   exitcost cpuid N          N CPUID instructions (always intercepted)
 *   exitcost in PORT N        N byte reads of an I/O port (trap=io:PORT)
 *   exitcost mmio ADDR N      N 32-bit reads of a physical address through
 *                             /dev/mem (trap=mmio:ADDR)
 *
 * Prints "exitcost: KIND N ops, X ns/op".  Bare, the same loops show what
 * the instruction costs without Lamina.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void cpuid_loop(long n)
{
	for (long i = 0; i < n; i++) {
		uint32_t a = 0, b, c = 0, d;
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	}
}

static int in_loop(unsigned port, long n)
{
	if (ioperm(port, 1, 1)) {
		perror("exitcost: ioperm");
		return -1;
	}
	for (long i = 0; i < n; i++)
		(void)inb(port);
	return 0;
}

static int mmio_loop(unsigned long addr, long n)
{
	int fd = open("/dev/mem", O_RDONLY | O_SYNC);
	long page = sysconf(_SC_PAGESIZE);

	if (fd < 0) {
		perror("exitcost: /dev/mem");
		return -1;
	}
	volatile uint8_t *p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, addr & ~(page - 1));
	if (p == MAP_FAILED) {
		perror("exitcost: mmap");
		return -1;
	}
	volatile uint32_t *r = (volatile uint32_t *)(p + (addr & (page - 1)));
	for (long i = 0; i < n; i++)
		(void)*r;
	return 0;
}

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "";
	int rc = 0;

	if (argc < 3 || (strcmp(kind, "cpuid") && argc < 4)) {
		fprintf(stderr, "usage: exitcost cpuid N | in PORT N | mmio ADDR N\n");
		return 2;
	}
	long n = strtol(argv[argc - 1], NULL, 0);
	double t0 = now();
	if (!strcmp(kind, "cpuid"))
		cpuid_loop(n);
	else if (!strcmp(kind, "in"))
		rc = in_loop(strtoul(argv[2], NULL, 0), n);
	else if (!strcmp(kind, "mmio"))
		rc = mmio_loop(strtoul(argv[2], NULL, 0), n);
	else
		rc = -1;
	if (rc)
		return 1;
	printf("exitcost: %s %ld ops, %.0f ns/op\n", kind, n, (now() - t0) * 1e9 / n);
	return 0;
}
