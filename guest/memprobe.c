/*
 * memprobe - try to see and change Lamina's memory from its guest.
 *
 *   memprobe [START END]
 *
 * Takes Lamina's region from `laminactl status` (`memory: 0xSTART-0xEND`,
 * END exclusive) unless given, maps it through /dev/mem (the guest boots
 * with iomem=relaxed) and
 *   1. reads every byte, looking for Lamina's strings and signature;
 *   2. writes 0xCC patterns with 8-byte stores over the first, a middle
 *      and the last 4 KiB page, and reads them back;
 *   3. asks Lamina for its status again: it must still answer.
 * Exit status 0 only when nothing of Lamina was visible and Lamina still
 * answers afterwards.  A page that faults counts as not visible.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul
#define PATTERN 0xccccccccccccccccull

/* What Lamina's memory would give away if the guest could read it. */
static const char *const needles[] = {
	"Lamina",               /* banner: "lamina: Lamina v..." */
	"lamina: ",             /* every log line */
	"LAMINA",               /* the PROBE signature, little-endian */
	"exits_total",          /* the status stream */
};
#define NNEEDLES (sizeof(needles) / sizeof(needles[0]))
#define OVERLAP 16              /* > longest needle */

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	if (fault_armed)
		siglongjmp(fault_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Copies one page with 8-byte loads.  Returns -1 if the access faulted. */
static int read_page(const volatile uint64_t *src, uint64_t *dst)
{
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		return -1;
	}
	fault_armed = 1;
	for (size_t i = 0; i < PAGE / 8; i++)
		dst[i] = src[i];
	fault_armed = 0;
	return 0;
}

static int write_page(volatile uint64_t *dst, uint64_t v)
{
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		return -1;
	}
	fault_armed = 1;
	for (size_t i = 0; i < PAGE / 8; i++)
		dst[i] = v;
	fault_armed = 0;
	return 0;
}

/* Runs `laminactl status`; fills start and end from its memory line.
 * With show set, echoes Lamina's guard counters (guard_* lines). */
static int lamina_status(unsigned long long *start, unsigned long long *end, int show)
{
	char line[256];
	int found = 0, rc;
	FILE *p = popen("laminactl status", "r");

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		unsigned long long s, e;

		if (sscanf(line, "memory: %llx-%llx", &s, &e) == 2) {
			if (start)
				*start = s;
			if (end)
				*end = e;
			found = 1;
		}
		if (show && !strncmp(line, "guard_", 6))
			printf("memprobe: lamina %s", line);
	}
	rc = pclose(p);
	if (rc != 0)
		return -1;
	return found ? 0 : -2;
}

/* Prints how the guest kernel's /proc/iomem describes the region. */
static void show_iomem(unsigned long long start, unsigned long long end)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		/* Top-level entries only: nested ones are indented. */
		if (line[0] == ' ' || sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		if (s < end && e >= start)
			printf("memprobe: guest iomem %s", line);
	}
	fclose(f);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long start, end;
	struct sigaction sa;
	static uint64_t window[(OVERLAP + PAGE) / 8];
	unsigned char *carry = (unsigned char *)window;
	uint64_t *buf = window + OVERLAP / 8;
	size_t carried = 0;
	unsigned long found = 0, nonzero = 0, faulted = 0, pattern_back = 0;
	unsigned long pages_written = 0;
	volatile uint64_t *map;
	size_t len;
	int fd, rc;
	double t0;

	if (argc == 3) {
		start = strtoull(argv[1], NULL, 0);
		end = strtoull(argv[2], NULL, 0);
	} else if ((rc = lamina_status(&start, &end, 0)) < 0) {
		printf("memprobe: %s\n", rc == -1 ? "laminactl status failed"
						  : "no memory: line in laminactl status");
		return 1;
	}
	if (end <= start || (start | end) & (PAGE - 1)) {
		printf("memprobe: bad region 0x%llx-0x%llx\n", start, end);
		return 1;
	}
	len = (size_t)(end - start);
	printf("memprobe: region 0x%llx-0x%llx (%zu KiB)\n", start, end, len >> 10);
	show_iomem(start, end);
	/* Lamina logs the blocked reads below on the same serial port: let
	 * these lines leave first, or the two interleave. */
	fflush(stdout);
	tcdrain(STDOUT_FILENO);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		printf("memprobe: open /dev/mem: %s\n", strerror(errno));
		return 1;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
	if (map == MAP_FAILED) {
		printf("memprobe: mmap /dev/mem at 0x%llx: %s\n", start, strerror(errno));
		return 1;
	}

	/* 1. Read everything. */
	t0 = now();
	for (size_t off = 0; off < len; off += PAGE) {
		unsigned char *scan;
		size_t scan_len;

		if (read_page(map + off / 8, buf) < 0) {
			faulted++;
			carried = 0;
			continue;
		}
		/* Keep the tail of the previous page so strings across the
		 * boundary are found too. */
		scan = carry + OVERLAP - carried;
		scan_len = carried + PAGE;
		for (size_t i = 0; i < PAGE; i++)
			nonzero += ((unsigned char *)buf)[i] != 0;
		for (size_t n = 0; n < NNEEDLES; n++) {
			const char *s = needles[n];
			size_t sl = strlen(s);
			unsigned char *p = scan, *q;

			while ((q = memmem(p, scan_len - (size_t)(p - scan), s, sl))) {
				/* Count each hit once: skip ones wholly inside the carry. */
				if (q + sl > carry + OVERLAP) {
					if (found < 5)
						printf("memprobe: found \"%s\" at 0x%llx\n", s,
						       start + off + (unsigned long long)(q - carry) - OVERLAP);
					found++;
				}
				p = q + 1;
			}
		}
		memmove(carry, carry + PAGE, OVERLAP);
		carried = OVERLAP;
	}
	printf("memprobe: read %zu bytes in %.1f s, nonzero=%lu faulted_pages=%lu\n",
	       len, now() - t0, nonzero, faulted);
	printf("memprobe: read %zu bytes, found_lamina_strings=%lu\n", len, found);

	/* 2. Write the first, a middle and the last page, read them back. */
	size_t targets[3] = { 0, (len / 2) & ~(PAGE - 1), len - PAGE };

	for (int i = 0; i < 3; i++) {
		size_t off = targets[i];

		if (write_page(map + off / 8, PATTERN) < 0) {
			printf("memprobe: write at 0x%llx faulted\n", start + off);
			continue;
		}
		pages_written++;
		if (read_page(map + off / 8, buf) < 0) {
			printf("memprobe: read-back at 0x%llx faulted\n", start + off);
			continue;
		}
		for (size_t k = 0; k < PAGE / 8; k++)
			pattern_back += buf[k] == PATTERN;
		for (size_t n = 0; n < NNEEDLES; n++)
			if (memmem(buf, PAGE, needles[n], strlen(needles[n])))
				found++;
	}
	printf("memprobe: wrote %lu pages, pattern words read back=%lu of %lu\n",
	       pages_written, pattern_back, 3 * PAGE / 8);
	munmap((void *)map, len);
	close(fd);

	/* 3. Lamina must still answer. */
	rc = lamina_status(NULL, NULL, 1);
	printf("memprobe: laminactl status after writes: %s\n", rc == 0 ? "ok" : "FAILED");
	printf("memprobe: found_lamina_strings=%lu\n", found);
	if (found == 0 && rc == 0) {
		printf("memprobe: PASS nothing of Lamina visible\n");
		return 0;
	}
	printf("memprobe: FAIL\n");
	return 1;
}
