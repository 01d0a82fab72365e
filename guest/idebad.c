/*
 * idebad: drives one IDE channel's task file and bus master itself (the
 * kernel's driver unbound first) with hostile DMA set-ups aimed at
 * Lamina's region; each must fail with an ATA error, and an honest
 * transfer before and after must still work.  The bus master's START
 * reaches the controller without Lamina seeing it, so also: START set
 * before the command, and the PRD pointer moved after the command (to an
 * honest table: the data lands there; to one in Lamina's region: nothing
 * lands anywhere).
 *
 *   idebad PCI_ADDR CHANNEL UNIT HIDDEN_ADDR LBA [BM_PORT]
 *
 * PCI_ADDR is the controller (0000:00:01.1), CHANNEL 0/1 (legacy ports),
 * UNIT 0/1, HIDDEN_ADDR Lamina's region (laminactl status), LBA where the
 * honest reads start (the hostile writes aim 16 and 32 sectors further;
 * they must never happen).  The honest reads print what they read.
 * With BM_PORT, last, the bus master's BAR4 moves there (as an OS may
 * move it) and DMA into Lamina's region is tried again at the new ports:
 * Lamina's traps must have followed.
 * Exit status 0 when every case behaved.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CMD_READ_DMA 0xc8
#define CMD_WRITE_DMA 0xca
#define ST_BSY 0x80
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define ERR_ABRT 0x04

static uint16_t cmd_port, ctl_port, bm_port;
static unsigned unit;

struct prd {
	uint32_t addr, count;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t phys_of(void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, 8, (uintptr_t)p / 4096 * 8) != 8 || !(e >> 63)) {
		fprintf(stderr, "idebad: no physical address from pagemap\n");
		exit(1);
	}
	close(fd);
	return (e & ((1ull << 55) - 1)) * 4096;
}

static int config_fd(const char *pci)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", pci);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		perror("idebad: config");
		exit(1);
	}
	return fd;
}

/* BAR4 (the bus master's ports) as the device decodes it now, from
 * config space: the test moves it behind the kernel's back. */
static uint16_t bar4(const char *pci)
{
	int fd = config_fd(pci);
	uint32_t bar = 0;

	if (pread(fd, &bar, 4, 0x20) != 4)
		bar = 0;
	close(fd);
	return bar & 0xfff0;
}

/* Sets bits in the command register and clears others. */
static void command_bits(int fd, uint16_t set, uint16_t clear)
{
	uint16_t cmd;

	if (pread(fd, &cmd, 2, 4) != 2 || (cmd = (cmd | set) & ~clear, pwrite(fd, &cmd, 2, 4)) != 2)
		perror("idebad: config write");
}

/* I/O decode and bus mastering on, in case unbinding turned them off. */
static void enable_device(const char *pci)
{
	int fd = config_fd(pci);

	command_bits(fd, 0x5, 0);
	close(fd);
}

/* Moves BAR4 the way an OS would: I/O decode off, the BAR, decode on. */
static int move_bar4(const char *pci, uint16_t to)
{
	int fd = config_fd(pci);
	uint32_t bar = to | 1;

	command_bits(fd, 0, 0x1);
	if (pwrite(fd, &bar, 4, 0x20) != 4)
		perror("idebad: BAR4 write");
	command_bits(fd, 0x1, 0);
	close(fd);
	return bar4(pci) == to ? 0 : -1;
}

static int wait_idle(double seconds)
{
	double end = now() + seconds;
	uint8_t st;

	do {
		st = inb(ctl_port);
		if (!(st & (ST_BSY | ST_DRQ)))
			return 0;
	} while (now() < end);
	return -1;
}

/* One LBA28 DMA command over the table at prd_pa; the engine started
 * before the command with start_first, the pointer moved to late_prd
 * after it (0: not).  Returns the status register (error register in
 * bits 8-15), or -1 on a timeout. */
static int dma_ex(uint8_t command, uint32_t lba, uint8_t sectors, uint32_t prd_pa,
		  int start_first, uint32_t late_prd)
{
	uint8_t dir = command == CMD_READ_DMA ? 0x08 : 0;
	int st, err;

	if (wait_idle(2))
		return -1;
	outb(0xe0 | unit << 4 | ((lba >> 24) & 0xf), cmd_port + 6);
	outb(0x02, ctl_port); /* nIEN: no interrupt, the status is polled */
	outb(0, cmd_port + 1);
	outb(sectors, cmd_port + 2);
	outb(lba, cmd_port + 3);
	outb(lba >> 8, cmd_port + 4);
	outb(lba >> 16, cmd_port + 5);
	outb(0x06, bm_port + 2);          /* clear interrupt and error */
	outl(prd_pa, bm_port + 4);
	outb(dir | !!start_first, bm_port);
	outb(command, cmd_port + 7);
	if (late_prd)
		outl(late_prd, bm_port + 4);
	outb(dir | 1, bm_port);
	if (wait_idle(5)) {
		outb(dir, bm_port);
		return -1;
	}
	st = inb(cmd_port + 7);
	err = inb(cmd_port + 1);
	outb(dir, bm_port);
	outb(0x06, bm_port + 2);
	return st | err << 8;
}

static int dma(uint8_t command, uint32_t lba, uint8_t sectors, uint32_t prd_pa)
{
	return dma_ex(command, lba, sectors, prd_pa, 0, 0);
}

/* Software reset of the channel: ends a transfer that cannot complete. */
static void reset_channel(void)
{
	outb(0x06, ctl_port); /* SRST, nIEN */
	usleep(10000);
	outb(0x02, ctl_port);
	usleep(10000);
	wait_idle(5);
}

static int failures;

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static void expect_error(const char *what, int r)
{
	if (r >= 0 && (r & ST_ERR) && (r >> 8) & ERR_ABRT) {
		printf("idebad: %s: failed with ERR/ABRT (status 0x%02x) as it must\n", what, r & 0xff);
	} else {
		printf("idebad: FAIL %s: status %d, expected ERR with ABRT\n", what, r);
		failures++;
	}
}

static void expect_ok(const char *what, int r)
{
	if (r >= 0 && !(r & ST_ERR)) {
		printf("idebad: %s: ok (status 0x%02x)\n", what, r & 0xff);
	} else {
		printf("idebad: FAIL %s: status %d\n", what, r);
		failures++;
	}
}

int main(int argc, char **argv)
{
	uint8_t *mem;
	struct prd *table;
	uint64_t table_pa, buf_pa, hidden;
	uint32_t lba;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: idebad PCI_ADDR CHANNEL UNIT HIDDEN_ADDR LBA [BM_PORT]\n");
		return 2;
	}
	unsigned ch = atoi(argv[2]);
	unit = atoi(argv[3]) & 1;
	hidden = strtoull(argv[4], NULL, 0);
	lba = strtoul(argv[5], NULL, 0);
	cmd_port = ch ? 0x170 : 0x1f0;
	ctl_port = ch ? 0x376 : 0x3f6;
	bm_port = bar4(argv[1]) + 8 * ch;
	if (bm_port < 8 || iopl(3)) {
		perror("idebad: bus-master ports or iopl");
		return 1;
	}
	enable_device(argv[1]);
	mem = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
	if (mem == MAP_FAILED) {
		perror("idebad: mmap");
		return 1;
	}
	memset(mem, 0, 3 * 4096);
	table = (struct prd *)mem;
	table_pa = phys_of(mem);
	buf_pa = phys_of(mem + 4096);
	/* A second table and buffer, for the moved pointer. */
	struct prd *table2 = (struct prd *)(mem + 2048);
	uint64_t table2_pa = table_pa + 2048, buf2_pa = phys_of(mem + 2 * 4096);
	uint8_t honest[4096];

	/* Honest: 8 sectors into our own page. */
	table[0] = (struct prd){ buf_pa, 4096 | 0x80000000u };
	expect_ok("honest read", dma(CMD_READ_DMA, lba, 8, table_pa));
	printf("idebad: read \"%.24s\"\n", mem + 4096);
	memcpy(honest, mem + 4096, sizeof(honest));

	table[0] = (struct prd){ hidden, 4096 | 0x80000000u };
	expect_error("read DMA into Lamina's region", dma(CMD_READ_DMA, lba, 8, table_pa));
	expect_error("write DMA from Lamina's region", dma(CMD_WRITE_DMA, lba + 16, 8, table_pa));
	table[0] = (struct prd){ buf_pa, 4096 | 0x80000000u };
	expect_error("PRD table in Lamina's region", dma(CMD_READ_DMA, lba, 8, hidden));
	expect_error("PRD table shorter than the transfer", dma(CMD_READ_DMA, lba, 16, table_pa));
	table[0] = (struct prd){ (buf_pa & ~0xffffull) + 0xf000, 0x2000 | 0x80000000u };
	expect_error("PRD region across 64 KiB", dma(CMD_WRITE_DMA, lba + 32, 16, table_pa));
	table[0] = (struct prd){ buf_pa, 4096 | 0x80000000u };
	expect_error("START before the command, PRD table in Lamina's region",
		     dma_ex(CMD_READ_DMA, lba, 8, hidden, 1, 0));

	/* The pointer moved after the command: the controller takes it at
	 * START, so the data belongs where the new table says. */
	memset(mem + 4096, 0, 2 * 4096);
	table2[0] = (struct prd){ buf2_pa, 4096 | 0x80000000u };
	expect_ok("PRD pointer moved after the command",
		  dma_ex(CMD_READ_DMA, lba, 8, table_pa, 0, table2_pa));
	if (all_zero(mem + 4096, 4096) && !memcmp(mem + 2 * 4096, honest, sizeof(honest))) {
		printf("idebad: the data went to the moved table's buffer as it must\n");
	} else {
		printf("idebad: FAIL the moved table's buffer did not get the data alone\n");
		failures++;
	}
	memset(mem + 4096, 0, 2 * 4096);
	table2[0] = (struct prd){ hidden, 4096 | 0x80000000u };
	dma_ex(CMD_READ_DMA, lba, 8, table_pa, 0, table2_pa);
	reset_channel();
	if (all_zero(mem + 4096, 2 * 4096)) {
		printf("idebad: PRD pointer moved to Lamina's region after the command: "
		       "no data anywhere as it must\n");
	} else {
		printf("idebad: FAIL data reached a buffer after the pointer moved to Lamina's region\n");
		failures++;
	}

	table[0] = (struct prd){ buf_pa, 4096 | 0x80000000u };
	memset(mem + 4096, 0, 4096);
	expect_ok("honest read after the hostile ones", dma(CMD_READ_DMA, lba, 8, table_pa));
	printf("idebad: read \"%.24s\"\n", mem + 4096);
	if (argc == 7) {
		uint16_t to = strtoul(argv[6], NULL, 0);

		if (move_bar4(argv[1], to)) {
			printf("idebad: FAIL BAR4 did not move to 0x%x\n", to);
			return 1;
		}
		bm_port = to + 8 * ch;
		printf("idebad: bus master moved to 0x%x\n", to);
		table[0] = (struct prd){ hidden, 4096 | 0x80000000u };
		expect_error("moved bus master, read DMA into Lamina's region",
			     dma(CMD_READ_DMA, lba, 8, table_pa));
		table[0] = (struct prd){ buf_pa, 4096 | 0x80000000u };
		expect_error("moved bus master, PRD table in Lamina's region",
			     dma(CMD_READ_DMA, lba, 8, hidden));
		memset(mem + 4096, 0, 4096);
		expect_ok("moved bus master, honest read", dma(CMD_READ_DMA, lba, 8, table_pa));
		printf("idebad: read \"%.24s\"\n", mem + 4096);
	}
	return failures ? 1 : 0;
}
