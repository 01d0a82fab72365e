#include "tests/unit/hv_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

char hv_last_log[512];
int hv_log_count;
size_t hv_pages_allocated;
struct hv_region hv_region;

void hv_host_reset(void)
{
	hv_last_log[0] = '\0';
	hv_log_count = 0;
}

void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	(void)level;
	vsnprintf(hv_last_log, sizeof(hv_last_log), fmt, ap);
	hv_log_count++;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

void *page_alloc(size_t count)
{
	void *p = aligned_alloc(PAGE_SIZE, count * PAGE_SIZE);

	if (p) {
		memset(p, 0, count * PAGE_SIZE);
		hv_pages_allocated += count;
	}
	return p;
}

void page_free(void *p, size_t count)
{
	hv_pages_allocated -= count;
	free(p);
}

u64 virt_to_phys(const void *p)
{
	return (u64)p;
}
