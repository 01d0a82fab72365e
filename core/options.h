/* Lamina's command-line options (the words after lamina.elf in GRUB). */
#ifndef CORE_OPTIONS_H
#define CORE_OPTIONS_H

#include "core/log.h"
#include "core/types.h"

struct options {
	u64 region_size;           /* memory=<MiB>M: Lamina's own region */
	u16 serial_port;           /* serial=<port>|off */
	enum log_level console_level; /* loglevel=err|warn|info|debug, quiet */
	char taken[256];           /* the options as understood, for the banner */
};

#define OPT_REGION_DEFAULT (32 * MiB)
#define OPT_REGION_MIN (8 * MiB)
#define OPT_REGION_MAX (1024 * MiB)

/* Parses cmdline into opts.  Unknown options are reported and skipped;
 * a known option with a bad value is an error (returns -EINVAL). */
int options_parse(const char *cmdline, struct options *opts);

#endif
