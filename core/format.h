/* printf-style formatting into bounded buffers. */
#ifndef CORE_FORMAT_H
#define CORE_FORMAT_H

#include "core/types.h"

/* Supports %d %i %u %x %X %p %s %c %%, flags '-' and '0', a width, a
 * precision for %s (also .*), and the length modifiers l, ll, z.  Always NUL-terminates; returns the
 * length the full output would have had. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* A growing text in a fixed buffer; output past the end is dropped. */
struct textbuf {
	char *buf;
	size_t size;
	size_t len;
};

void textbuf_printf(struct textbuf *tb, const char *fmt, ...) __printf(2, 3);

#endif
