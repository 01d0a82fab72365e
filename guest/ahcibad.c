/*
 * ahcibad - hostile AHCI commands from the guest: a one-sector read whose
 * PRD points into Lamina's region, then one whose command table is there,
 * then a good read with the port's FIS receive area in Lamina's region.
 *
 *   ahcibad PCI-ADDRESS PORT HIDDEN-BASE [large SEED OFFSET_MIB SIZE_MIB]
 *           [move ADDRESS]
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
 *
 * With `large`, then one large transfer each way: SIZE_MIB of ahciio's
 * pattern (pattern.h) written at OFFSET_MIB with a single WRITE DMA EXT,
 * read back with a single READ DMA EXT into another buffer and checked.
 * The buffers are described with PRDs of many sizes the HBA allows: odd
 * byte counts that split sectors, a few bytes, single pages, and
 * physically contiguous runs of up to 4 MiB (transparent huge pages).
 * Prints "ahcibad: large write|read of N KiB in P PRDs: ok" or why not.
 *
 * With `move`, last, ABAR (BAR5) moves to ADDRESS, as an OS may move it
 * (decode off, BAR, decode on), and the hostile commands run again there:
 * Lamina's mediator must have followed the registers.
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

#include "pattern.h"

#define PORT_REGS(p) (0x100 + (p) * 0x80)
enum { CLB = 0x00, CLBU = 0x04, FB = 0x08, FBU = 0x0c, IS = 0x10, CMD = 0x18, TFD = 0x20,
       SERR = 0x30, CI = 0x38 };
#define CMD_ST 0x1
#define CMD_FRE 0x10
#define CMD_FR 0x4000
#define CMD_CR 0x8000
#define IS_TFES (1u << 30)
#define PRD_MAX (4u << 20) /* bytes one PRD can describe */
#define TABLE_HEAD 0x80

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

/* Issues slot 0 (header flags, table address) and waits up to `ms` for it
 * to finish or fail; *is and *tfd: PxIS and PxTFD then. */
static void run_slot0(uint32_t *cl, uint32_t flags, uint64_t table, unsigned ms, uint32_t *is,
		      uint32_t *tfd)
{
	memset(cl, 0, 32);
	cl[0] = flags;
	cl[2] = (uint32_t)table;
	cl[3] = table >> 32;
	__sync_synchronize();
	wr(CI, 1);
	for (unsigned i = 0; i < ms && (rd(CI) & 1) && !(rd(IS) & IS_TFES); i++)
		sleep_ms(1);
	*is = rd(IS);
	*tfd = rd(TFD);
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
	run_slot0(cl, 5 | 1 << 16 /* a five-dword FIS, one PRD */, table, 1000, &is, &tfd);
	if ((is & IS_TFES) || (tfd & 1)) {
		printf("ahcibad: %s: failed with an error status (PxIS %#x, PxTFD %#x)\n", name,
		       is, tfd);
		return 0;
	}
	printf("ahcibad: %s: %s (PxIS %#x, PxTFD %#x, PxCI %#x)\n", name,
	       rd(CI) & 1 ? "no answer" : "completed", is, tfd, rd(CI));
	return rd(CI) & 1 ? 2 : 1;
}

/* Memory locked in place, backed by huge pages where the kernel can, so
 * runs of it are physically contiguous. */
static uint8_t *locked_alloc(size_t len)
{
	size_t huge = 2u << 20, size = (len + huge - 1) / huge * huge;
	uint8_t *raw = mmap(NULL, size + huge, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *p = (uint8_t *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(p, size, MADV_HUGEPAGE);
	memset(p, 0, size);
	return mlock(p, size) ? NULL : p;
}

/* Bytes from p on that are physically contiguous, at most `max`. */
static size_t contiguous(uint8_t *p, size_t max)
{
	uint64_t pa = phys_of(p);
	size_t n = 4096 - (uintptr_t)p % 4096;

	while (n < max && phys_of(p + n) == pa + n)
		n += 4096;
	return n < max ? n : max;
}

/* PRDs for buf[0, len): first a stretch in odd sizes (even byte counts
 * are all the HBA asks for), then contiguous runs as long as allowed.
 * The number of PRDs, 0 when more than `max` were needed. */
static unsigned build_prds(uint32_t *prd, unsigned max, uint8_t *buf, size_t len)
{
	static const size_t odd[] = { 1000, 24, 2, 510, 3584, 4096, 1536, 8192, 65536 };
	size_t off = 0;
	unsigned n = 0;

	while (off < len) {
		size_t want = n < 3 * 9 ? odd[n % 9] : PRD_MAX;
		size_t run = contiguous(buf + off, want < len - off ? want : len - off);
		uint64_t pa = phys_of(buf + off);

		if (n == max || !pa)
			return 0;
		prd[4 * n] = (uint32_t)pa;
		prd[4 * n + 1] = pa >> 32;
		prd[4 * n + 2] = 0;
		prd[4 * n + 3] = run - 1;
		off += run;
		n++;
	}
	return n;
}

/* One READ/WRITE DMA EXT of buf[0, len) at `lba` in slot 0, its table at
 * `table` (contiguous for `table_len` bytes).  0 when it completed. */
static int large_command(int write, uint32_t *cl, uint8_t *table, size_t table_len,
			 uint8_t *buf, size_t len, uint64_t lba)
{
	unsigned max = (table_len - TABLE_HEAD) / 16;
	unsigned n = build_prds((uint32_t *)(table + TABLE_HEAD), max, buf, len);
	uint64_t sectors = len / SECTOR, pa = phys_of(table);
	const char *name = write ? "write" : "read";
	uint32_t is, tfd;

	if (!n || !pa || sectors > 65536) {
		printf("ahcibad: large %s: cannot describe %zu KiB in %u PRDs\n", name, len / 1024,
		       max);
		return 1;
	}
	memset(table, 0, TABLE_HEAD);
	table[0] = 0x27;
	table[1] = 0x80;
	table[2] = write ? 0x35 : 0x25;
	for (int i = 0; i < 3; i++) {
		table[4 + i] = lba >> (8 * i);
		table[8 + i] = lba >> (8 * (i + 3));
	}
	table[7] = 0x40;
	table[12] = sectors;
	table[13] = sectors >> 8;
	run_slot0(cl, 5 | (write ? 1u << 6 : 0) | n << 16, pa, 20000, &is, &tfd);
	if ((rd(CI) & 1) || (is & IS_TFES) || (tfd & 1)) {
		printf("ahcibad: large %s of %zu KiB in %u PRDs: failed (PxIS %#x, PxTFD %#x, "
		       "PxCI %#x)\n", name, len / 1024, n, is, tfd, rd(CI));
		return 1;
	}
	printf("ahcibad: large %s of %zu KiB in %u PRDs: ok\n", name, len / 1024, n);
	return 0;
}

/* The large transfer both ways; 0 when the data read back is the pattern. */
static int large_transfer(uint32_t *cl, uint64_t seed, uint64_t off_mib, uint64_t mib)
{
	size_t len = mib << 20, table_len = 2u << 20;
	uint8_t *out = locked_alloc(len), *in = locked_alloc(len + 4096);
	uint8_t *table = locked_alloc(table_len);
	uint64_t lba = (off_mib << 20) / SECTOR;

	if (!out || !in || !table) {
		printf("ahcibad: large: no memory\n");
		return 1;
	}
	table_len = contiguous(table, table_len);
	for (size_t i = 0; i < len; i += SECTOR)
		fill_sector(out + i, seed, lba + i / SECTOR);
	/* The read's buffer starts off a sector boundary in its page. */
	in += 520;
	if (large_command(1, cl, table, table_len, out, len, lba) ||
	    large_command(0, cl, table, table_len, in, len, lba))
		return 1;
	for (size_t i = 0; i < len; i += SECTOR)
		if (memcmp(in + i, out + i, SECTOR)) {
			printf("ahcibad: large read: sector %llu differs\n",
			       (unsigned long long)(lba + i / SECTOR));
			return 1;
		}
	printf("ahcibad: large: %llu MiB read back right\n", (unsigned long long)mib);
	return 0;
}

/* BAR5 as the device decodes it now (config space, not the kernel's
 * record: the test moves it behind the kernel's back). */
static uint64_t abar_of(int cfg)
{
	uint32_t bar = 0;

	return pread(cfg, &bar, 4, 0x24) == 4 ? bar & ~0xfu : 0;
}

static int map_port(unsigned portno, uint64_t abar)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	uint8_t *regs = fd < 0 ? MAP_FAILED
			       : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, abar);

	if (regs == MAP_FAILED) {
		perror("ahcibad: mmap ABAR");
		return -1;
	}
	close(fd);
	port = (volatile uint32_t *)(regs + PORT_REGS(portno));
	return 0;
}

/* Moves ABAR the way an OS would: memory decode off, the BAR, decode on. */
static int move_abar(int cfg, uint64_t to)
{
	uint16_t command;
	uint32_t bar = (uint32_t)to;

	if (pread(cfg, &command, 2, 4) != 2)
		return -1;
	command &= ~0x2;
	if (pwrite(cfg, &command, 2, 4) != 2 || pwrite(cfg, &bar, 4, 0x24) != 4)
		return -1;
	command |= 0x2;
	if (pwrite(cfg, &command, 2, 4) != 2 || abar_of(cfg) != to)
		return -1;
	printf("ahcibad: ABAR moved to %#llx\n", (unsigned long long)to);
	return 0;
}

/* The three hostile commands; the number that did not end as they must. */
static int hostile(uint8_t *mem, uint64_t hidden)
{
	uint64_t pa0 = phys_of(mem), pa1 = phys_of(mem + 4096);
	int bad = 0;

	restart_port(pa0, pa0 + 2048);
	bad += issue("prd-in-lamina", (uint32_t *)mem, pa1, mem + 4096, hidden + 0x1000) != 0;
	restart_port(pa0, pa0 + 2048);
	bad += issue("table-in-lamina", (uint32_t *)mem, hidden + 0x2000, NULL, pa1) != 0;
	restart_port(pa0, hidden + 0x3000);
	bad += issue("fis-in-lamina", (uint32_t *)mem, pa1, mem + 4096, pa1 + 2048) != 1;
	restart_port(pa0, pa0 + 2048);
	return bad;
}

static int usage(void)
{
	fprintf(stderr, "usage: ahcibad PCI-ADDRESS PORT HIDDEN-BASE [large SEED OFFSET_MIB SIZE_MIB] "
			"[move ADDRESS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	char path[128];
	uint64_t hidden, abar, large[3] = { 0 }, move_to = 0;
	unsigned portno;
	uint8_t *mem;
	uint16_t command;
	int cfg, bad = 0;

	if (argc < 4)
		return usage();
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "large") && i + 3 < argc) {
			for (int k = 0; k < 3; k++)
				large[k] = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "move") && i + 1 < argc) {
			move_to = strtoull(argv[++i], NULL, 0);
		} else {
			return usage();
		}
	}
	portno = strtoul(argv[2], NULL, 0);
	hidden = strtoull(argv[3], NULL, 0);
	/* Bus mastering and memory decode on (the driver's unbind clears them). */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", argv[1]);
	cfg = open(path, O_RDWR);
	if (cfg < 0 || pread(cfg, &command, 2, 4) != 2)
		return 2;
	command |= 0x6;
	if (pwrite(cfg, &command, 2, 4) != 2 || !(abar = abar_of(cfg)) || map_port(portno, abar))
		return 2;
	/* Page 0: command list (1 KiB) and FIS area; page 1: command table. */
	if (posix_memalign((void **)&mem, 4096, 2 * 4096) || mlock(mem, 2 * 4096))
		return 2;
	memset(mem, 0, 2 * 4096);
	if (!phys_of(mem) || !phys_of(mem + 4096))
		return 2;
	bad += hostile(mem, hidden);
	if (large[2])
		bad += large_transfer((uint32_t *)mem, large[0], large[1], large[2]);
	if (move_to) {
		/* The port stops before its registers move; the mediator must
		 * follow them, or the same commands reach the device unchecked. */
		wr(CMD, rd(CMD) & ~(CMD_ST | CMD_FRE));
		wait_reg(CMD, CMD_CR | CMD_FR, 0);
		if (move_abar(cfg, move_to) || map_port(portno, move_to)) {
			printf("ahcibad: cannot move ABAR to %#llx\n", (unsigned long long)move_to);
			return 1;
		}
		bad += hostile(mem, hidden);
	}
	wr(CMD, rd(CMD) & ~(CMD_ST | CMD_FRE));
	return bad ? 1 : 0;
}
