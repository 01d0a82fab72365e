#include "core/log.h"
#include "core/format.h"
#include "core/spinlock.h"
#include "core/string.h"
#include "core/time.h"

#define RATELIMIT_BURST 5
#define RATELIMIT_INTERVAL_NS (5ull * 1000 * 1000 * 1000)

static char ring[LOG_RING_SIZE];
static u64 ring_written; /* total bytes ever written; head = written % size */
static spinlock_t log_lock;
static enum log_level console_level = LOG_INFO;

void log_set_console_level(enum log_level level)
{
	console_level = level;
}

static void ring_append(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ring[(ring_written + i) % LOG_RING_SIZE] = s[i];
	ring_written += len;
}

void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char line[256];
	size_t len;
	int n;

	memcpy(line, "lamina: ", 8);
	n = vsnprintf(line + 8, sizeof(line) - 9, fmt, ap);
	len = 8 + MIN((size_t)n, sizeof(line) - 10);
	if (line[len - 1] != '\n')
		line[len++] = '\n';

	spin_lock(&log_lock);
	ring_append(line, len);
	if (level <= console_level)
		console_write(line, len);
	spin_unlock(&log_lock);
}

void log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

size_t log_snapshot(char *dst, size_t size)
{
	size_t n, start;

	spin_lock(&log_lock);
	n = MIN(ring_written, (u64)LOG_RING_SIZE);
	n = MIN(n, size);
	start = ring_written - n;
	for (size_t i = 0; i < n; i++)
		dst[i] = ring[(start + i) % LOG_RING_SIZE];
	spin_unlock(&log_lock);
	return n;
}

bool ratelimit_allow(struct ratelimit *rl)
{
	u64 now = time_ns();

	if (now - rl->window_start_ns > RATELIMIT_INTERVAL_NS) {
		if (rl->suppressed)
			pr_warn("%u similar messages suppressed", rl->suppressed);
		rl->window_start_ns = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < RATELIMIT_BURST) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
