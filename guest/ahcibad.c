/*
 * ahcibad - hostile AHCI commands from the guest: a one-sector read whose
 * PRD points into Lamina's region, then one whose command table is there,
 * then a good read with the port's FIS receive area in Lamina's region.
 *
 *   ahcibad PCI-ADDRESS PORT HIDDEN-BASE
 *
 * Run as root after unbinding the kernel's ahci driver from the controller
 * (the program then owns port PORT): it maps ABAR through /dev/mem (boot
 * with iomem=relaxed), turns bus mastering back on, gives the port a
 * command list and FIS area in its own locked memory (physical addresses
 * from /proc/self/pagemap) and issues each command in slot 0.  Prints for
 * each "ahcibad: NAME: failed with an error status ..." when the HBA
 * reports a task-file error, "... completed" when the read went through
 * (what a machine without Lamina's mediator does with the first two: the
 * device writes into the hidden memory).  Exit status 0 when the first two
 * failed and the third completed (Lamina gave the device another FIS
 * area).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PORT_REGS(p) (0x100 + (p) * 0x80)
enum { CLB = 0x00, CLBU = 0x04, FB = 0x08, FBU = 0x0c, IS = 0x10, CMD = 0x18, TFD = 0x20,
       SERR = 0x30, CI = 0x38 };
#define CMD_ST 0x1
#define CMD_FRE 0x10
#define CMD_FR 0x4000
#define CMD_CR 0x8000
#define IS_TFES (1u << 30)

static volatile uint32_t *port;

static uint32_t rd(unsigned reg) { return port[reg / 4]; }
static void wr(unsigned reg, uint32_t v) { port[reg / 4] = v; }

static void sleep_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* Waits up to a second for (reg & mask) == want. */
static int wait_reg(unsigned reg, uint32_t mask, uint32_t want)
{
	for (int i = 0; i < 1000; i++) {
		if ((rd(reg) & mask) == want)
			return 0;
		sleep_ms(1);
	}
	return -1;
}

static uint64_t phys_of(void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &entry, 8, (uintptr_t)p / 4096 * 8) != 8)
		return 0;
	close(fd);
	return entry >> 63 ? (entry & ((1ull << 55) - 1)) * 4096 + (uintptr_t)p % 4096 : 0;
}

static void restart_port(uint64_t clb, uint64_t fb)
{
	wr(CMD, rd(CMD) & ~(CMD_ST | CMD_FRE));
	wait_reg(CMD, CMD_CR | CMD_FR, 0);
	wr(CLB, (uint32_t)clb);
	wr(CLBU, clb >> 32);
	wr(FB, (uint32_t)fb);
	wr(FBU, fb >> 32);
	wr(SERR, 0xffffffff);
	wr(IS, 0xffffffff);
	wr(CMD, rd(CMD) | CMD_FRE);
	wr(CMD, rd(CMD) | CMD_ST);
}

/* Slot 0: READ DMA EXT of LBA 0, one sector into `buf`; the command table
 * at `table`.  0 when the HBA reported an error, 1 when it completed, 2
 * when it did neither within a second. */
static int issue(const char *name, uint32_t *cl, uint64_t table, uint8_t *table_mem,
		 uint64_t buf)
{
	uint32_t is, tfd;

	if (table_mem) {
		memset(table_mem, 0, 0x100);
		table_mem[0] = 0x27;
		table_mem[1] = 0x80;
		table_mem[2] = 0x25;
		table_mem[7] = 0x40;
		table_mem[12] = 1;
		uint32_t *prd = (uint32_t *)(table_mem + 0x80);
		prd[0] = (uint32_t)buf;
		prd[1] = buf >> 32;
		prd[3] = 511;
	}
	memset(cl, 0, 32);
	cl[0] = 5 | 1 << 16; /* a five-dword FIS, one PRD */
	cl[2] = (uint32_t)table;
	cl[3] = table >> 32;
	__sync_synchronize();
	wr(CI, 1);
	for (int i = 0; i < 1000 && (rd(CI) & 1) && !(rd(IS) & IS_TFES); i++)
		sleep_ms(1);
	is = rd(IS);
	tfd = rd(TFD);
	if ((is & IS_TFES) || (tfd & 1)) {
		printf("ahcibad: %s: failed with an error status (PxIS %#x, PxTFD %#x)\n", name,
		       is, tfd);
		return 0;
	}
	printf("ahcibad: %s: %s (PxIS %#x, PxTFD %#x, PxCI %#x)\n", name,
	       rd(CI) & 1 ? "no answer" : "completed", is, tfd, rd(CI));
	return rd(CI) & 1 ? 2 : 1;
}

int main(int argc, char **argv)
{
	char path[128];
	unsigned long long start, end, flags, hidden;
	unsigned portno;
	uint8_t *mem;
	uint16_t command;
	FILE *f;
	int fd, bad = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: ahcibad PCI-ADDRESS PORT HIDDEN-BASE\n");
		return 2;
	}
	portno = strtoul(argv[2], NULL, 0);
	hidden = strtoull(argv[3], NULL, 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", argv[1]);
	f = fopen(path, "r");
	for (int i = 0; f && i <= 5; i++)
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			start = 0;
	if (!f || !start) {
		fprintf(stderr, "ahcibad: no BAR5 in %s\n", path);
		return 2;
	}
	fclose(f);
	/* Bus mastering and memory decode on (the driver's unbind clears them). */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", argv[1]);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &command, 2, 4) != 2)
		return 2;
	command |= 0x6;
	if (pwrite(fd, &command, 2, 4) != 2)
		return 2;
	close(fd);
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0)
		return 2;
	uint8_t *abar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
	if (abar == MAP_FAILED) {
		perror("ahcibad: mmap ABAR");
		return 2;
	}
	port = (volatile uint32_t *)(abar + PORT_REGS(portno));
	/* Page 0: command list (1 KiB) and FIS area; page 1: command table. */
	if (posix_memalign((void **)&mem, 4096, 2 * 4096) || mlock(mem, 2 * 4096))
		return 2;
	memset(mem, 0, 2 * 4096);
	uint64_t pa0 = phys_of(mem), pa1 = phys_of(mem + 4096);
	if (!pa0 || !pa1)
		return 2;
	restart_port(pa0, pa0 + 2048);
	bad += issue("prd-in-lamina", (uint32_t *)mem, pa1, mem + 4096, hidden + 0x1000) != 0;
	restart_port(pa0, pa0 + 2048);
	bad += issue("table-in-lamina", (uint32_t *)mem, hidden + 0x2000, NULL, pa1) != 0;
	restart_port(pa0, hidden + 0x3000);
	bad += issue("fis-in-lamina", (uint32_t *)mem, pa1, mem + 4096, pa1 + 2048) != 1;
	wr(CMD, rd(CMD) & ~(CMD_ST | CMD_FRE));
	return bad ? 1 : 0;
}
