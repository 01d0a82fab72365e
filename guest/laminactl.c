/*
 * laminactl - talk to Lamina from inside its guest.
 *
 *   laminactl status    print Lamina's status stream (key: value lines)
 *   laminactl log       print Lamina's log ring
 *   laminactl pci       print the PCI functions Lamina found at start
 *   laminactl version   print this tool's and Lamina's version
 *
 * The ABI is in include/lamina/hypercall.h and docs/hypercalls.md.  The
 * hypercall instruction is VMMCALL on AMD and VMCALL on Intel.  Without
 * Lamina the instruction faults (#UD -> SIGILL) or another hypervisor
 * answers with something that is not Lamina's signature; both are
 * reported as "Lamina is not running" with exit status 1.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cpuid.h>

#include "lamina/hypercall.h"

#define LAMINACTL_VERSION "0.1.0"

/* A stream is never this large; the cap stops a confused reader. */
#define STREAM_MAX (16u << 20)

enum vendor { VENDOR_AMD, VENDOR_INTEL };

static enum vendor vendor;

struct hc {
	uint32_t fn;          /* in: function */
	uint64_t arg[2];      /* in: RBX, RCX */
	int64_t ret;          /* out: RAX, sign-extended from 32 bits */
	uint64_t data[6];     /* out: RBX, RCX, RDX, RSI, RDI, R8 */
};

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	if (fault_armed)
		siglongjmp(fault_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static enum vendor cpu_vendor(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
		return VENDOR_INTEL;
	/* "AuthenticAMD" and "HygonGenuine" use VMMCALL. */
	if ((ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163) ||
	    (ebx == 0x6f677948 && edx == 0x6e65476e && ecx == 0x656e6975))
		return VENDOR_AMD;
	return VENDOR_INTEL;
}

/* The instruction itself; kept out of line, away from sigsetjmp. */
static __attribute__((noinline)) void hc_raw(struct hc *h)
{
	uint64_t rax = LAMINA_HC_MAGIC | h->fn, rbx = h->arg[0], rcx = h->arg[1];
	uint64_t rdx = 0, rsi = 0, rdi = 0;
	register uint64_t r8 __asm__("r8") = 0;

	if (vendor == VENDOR_AMD)
		__asm__ volatile("vmmcall"
				 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx),
				   "+S"(rsi), "+D"(rdi), "+r"(r8)
				 :
				 : "memory", "cc");
	else
		__asm__ volatile("vmcall"
				 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx),
				   "+S"(rsi), "+D"(rdi), "+r"(r8)
				 :
				 : "memory", "cc");
	/* Only the low 32 bits of RAX are defined: sign-extend them. */
	h->ret = (int32_t)(uint32_t)rax;
	h->data[0] = rbx;
	h->data[1] = rcx;
	h->data[2] = rdx;
	h->data[3] = rsi;
	h->data[4] = rdi;
	h->data[5] = r8;
}

/* One hypercall.  Returns 0, or -1 when the instruction faulted. */
static int hypercall(struct hc *h)
{
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		return -1;
	}
	fault_armed = 1;
	hc_raw(h);
	fault_armed = 0;
	return 0;
}

static void not_running(void)
{
	fputs("laminactl: Lamina is not running\n", stderr);
}

/* PROBE.  Returns 0 and fills *version when Lamina answers. */
static int probe(uint32_t *version)
{
	struct hc r = { .fn = LAMINA_HC_PROBE };

	if (hypercall(&r) < 0)
		return -1;
	if (r.ret != 0 || r.data[0] != LAMINA_SIGNATURE ||
	    (r.data[1] >> 24) != 0)
		return -1;
	*version = (uint32_t)r.data[1];
	return 0;
}

static int write_all(const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int dump_stream(uint64_t stream)
{
	uint64_t off = 0;
	int last_nl = 1;

	for (;;) {
		struct hc r = { .fn = LAMINA_HC_READ, .arg = { stream, off } };
		unsigned char buf[LAMINA_HC_READ_MAX];

		if (hypercall(&r) < 0) {
			not_running();
			return 1;
		}
		if (r.ret < 0) {
			fprintf(stderr, "laminactl: READ stream %llu offset %llu failed: error %lld\n",
				(unsigned long long)stream, (unsigned long long)off,
				(long long)-r.ret);
			return 1;
		}
		if (r.ret == 0)
			break;
		if (r.ret > LAMINA_HC_READ_MAX) {
			fprintf(stderr, "laminactl: READ returned %lld bytes (max %d)\n",
				(long long)r.ret, LAMINA_HC_READ_MAX);
			return 1;
		}
		for (int i = 0; i < LAMINA_HC_READ_MAX; i++)
			buf[i] = (unsigned char)(r.data[i / 8] >> (8 * (i % 8)));
		if (write_all(buf, (size_t)r.ret) < 0) {
			perror("laminactl: write");
			return 1;
		}
		last_nl = buf[r.ret - 1] == '\n';
		off += (uint64_t)r.ret;
		if (off > STREAM_MAX) {
			fputs("laminactl: stream does not end, giving up\n", stderr);
			return 1;
		}
	}
	if (!last_nl)
		write_all((const unsigned char *)"\n", 1);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: laminactl COMMAND\n"
	      "Talk to the Lamina hypervisor from its guest.\n"
	      "\n"
	      "commands:\n"
	      "  status    print Lamina's status (key: value lines)\n"
	      "  log       print Lamina's log ring, oldest line first\n"
	      "  pci       print the PCI functions Lamina found, one a line\n"
	      "  version   print the versions of laminactl and Lamina\n"
	      "  --help    show this help\n"
	      "\n"
	      "Exit status: 0 on success, 1 when Lamina is not running or a\n"
	      "call failed, 2 on a usage error.\n", f);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	uint32_t version;
	const char *cmd;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "status") && strcmp(cmd, "log") && strcmp(cmd, "pci") &&
	    strcmp(cmd, "version")) {
		fprintf(stderr, "laminactl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "version"))
		printf("laminactl %s\n", LAMINACTL_VERSION);
	fflush(stdout);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	vendor = cpu_vendor();
	if (probe(&version) < 0) {
		not_running();
		return 1;
	}
	if (!strcmp(cmd, "version")) {
		printf("lamina %u.%u.%u\n", (version >> 16) & 0xff,
		       (version >> 8) & 0xff, version & 0xff);
		return 0;
	}
	return dump_stream(!strcmp(cmd, "status") ? LAMINA_STREAM_STATUS
			   : !strcmp(cmd, "pci")  ? LAMINA_STREAM_PCI
						  : LAMINA_STREAM_LOG);
}
