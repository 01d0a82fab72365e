#include "core/panic.h"
#include "core/format.h"
#include "core/log.h"
#include "arch/x86/cpu.h"

#define MAX_FRAMES 16

static bool frame_pointer_ok(u64 rbp)
{
	/* Lamina's stacks all live in its higher-half image or identity-mapped heap. */
	return rbp && IS_ALIGNED(rbp, 8) &&
	       (rbp >= 0xffffffff80000000ull || (rbp >= 0x1000 && rbp < 0x100000000ull));
}

void print_backtrace(u64 rip, u64 rbp)
{
	log_write(LOG_ERR, "  backtrace: %016llx", (unsigned long long)rip);
	for (int i = 0; i < MAX_FRAMES && frame_pointer_ok(rbp); i++) {
		const u64 *frame = (const u64 *)rbp;

		if (!frame[1])
			break;
		log_write(LOG_ERR, "             %016llx", (unsigned long long)frame[1]);
		rbp = frame[0];
	}
	log_write(LOG_ERR, "  (decode with: addr2line -fe lamina.elf ADDRESS)");
}

void panic(const char *fmt, ...)
{
	va_list ap;
	char msg[192];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_write(LOG_ERR, "PANIC: %s", msg);
	print_backtrace((u64)__builtin_return_address(0), (u64)__builtin_frame_address(0));
	log_write(LOG_ERR, "resetting the machine");
	machine_reset();
}
