/* Lamina's command-line options (the words after lamina.elf in GRUB). */
#ifndef CORE_OPTIONS_H
#define CORE_OPTIONS_H

#include "core/log.h"
#include "core/types.h"

/* boot=: how the guest starts. */
enum boot_mode {
	BOOT_AUTO,  /* linux with a guest kernel module, chain without */
	BOOT_CHAIN, /* the BIOS boots a drive's boot sector (arch/x86/chain.c) */
	BOOT_LINUX, /* Lamina loads the Linux bzImage module itself */
};

#define OPT_CHAIN_DRIVE_AUTO 0x100 /* boot=chain without a drive number */
#define OPT_MAX_TRAPS 4

/* trap=mmio:<addr>[+<size>] / trap=io:<port>[-<last>]: a range whose every
 * guest access Lamina traps, emulates against the device and counts;
 * trap=mmio-writes:... traps the writes only. */
struct opt_trap {
	bool io, writes_only;
	u64 base, size;
};

struct options {
	u64 region_size;           /* memory=<MiB>M: Lamina's own region */
	enum boot_mode boot;       /* boot=chain[:<BIOS drive>]|linux */
	u16 chain_drive;           /* BIOS drive of boot=chain:<drive>, or _AUTO */
	u16 serial_port;           /* serial=<port>|off */
	enum log_level console_level; /* loglevel=err|warn|info|debug, quiet */
	bool selftest_fault;       /* selftest=fault: crash on purpose (checks the report) */
	struct opt_trap traps[OPT_MAX_TRAPS]; /* trap= (diagnostics, repeatable) */
	unsigned nr_traps;
	u32 pci_watch;             /* pciwatch=<vendor>:<device> (vendor << 16 | device), 0: none */
	char taken[256];           /* the options as understood, for the banner */
};

#define OPT_REGION_DEFAULT (32 * MiB)
#define OPT_REGION_MIN (8 * MiB)
#define OPT_REGION_MAX (1024 * MiB)

/* Parses cmdline into opts.  Unknown options are reported and skipped;
 * a known option with a bad value is an error (returns -EINVAL). */
int options_parse(const char *cmdline, struct options *opts);

#endif
