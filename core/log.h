/* Lamina's log: every line goes to the in-memory ring and, by level, to
 * the serial console.  Lines carry the "lamina: " prefix on the console. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include "core/types.h"

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#define LOG_RING_SIZE (64 * KiB)

void log_write(enum log_level level, const char *fmt, ...) __printf(2, 3);
void log_vwrite(enum log_level level, const char *fmt, va_list ap);
void log_set_console_level(enum log_level level);
/* Copies the ring, oldest byte first; returns the bytes copied. */
size_t log_snapshot(char *dst, size_t size);

#define pr_err(...) log_write(LOG_ERR, "error: " __VA_ARGS__)
#define pr_warn(...) log_write(LOG_WARN, "warning: " __VA_ARGS__)
#define pr_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)

/* Allows a burst of messages per interval, then counts what it drops. */
struct ratelimit {
	u64 window_start_ns;
	u32 printed;
	u32 suppressed;
};

bool ratelimit_allow(struct ratelimit *rl);

/* The console sink, provided by the platform (serial port). */
void console_write(const char *s, size_t len);

#endif
