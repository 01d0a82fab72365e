/* Host-side stand-ins for the few hypervisor services that pure-logic
 * units call (log, page allocator), so the units run unchanged on the host. */
#ifndef TESTS_UNIT_HV_HOST_H
#define TESTS_UNIT_HV_HOST_H

#include <stddef.h>

extern char hv_last_log[512];
extern int hv_log_count;
extern size_t hv_pages_allocated;

void hv_host_reset(void);

#endif
