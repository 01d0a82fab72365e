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

#define OPT_MAX_DISKS 8
#define OPT_KEY_MAX 64        /* bytes of a raw XTS key (XTS-AES-256) */
#define OPT_SECRET_MAX 128    /* characters of a passphrase */
#define OPT_NAME_MAX 64       /* characters of keyfile= and salt= */
#define OPT_KDF_ITERATIONS_DEFAULT 600000u /* as tools/lamina-disk */
#define OPT_KDF_SALT_DEFAULT "lamina-disk"

/* encrypt=ata:<channel>.<unit>[@<first>[+<count>]] or
 * encrypt=ahci:<port>[@...]: a disk (and optionally an LBA range of it)
 * whose sectors Lamina encrypts. */
enum opt_disk_bus { OPT_DISK_ATA, OPT_DISK_AHCI };
struct opt_disk {
	enum opt_disk_bus bus;
	unsigned a, b;        /* ATA: channel, unit; AHCI: port, 0 */
	u64 first_lba, count; /* count 0: to the end of the disk */
};

/* Where the disk key comes from (one for every encrypt= target). */
enum opt_key_source {
	OPT_KEY_UNSET,
	OPT_KEY_RAW,        /* key=<hex>: 32 or 64 bytes */
	OPT_KEY_NONE,       /* key=none: mediate, store sectors unencrypted */
	OPT_KEY_FILE,       /* keyfile=<module>: raw key in a multiboot2 module */
	OPT_KEY_PASSPHRASE, /* passphrase=<text>: PBKDF2-HMAC-SHA256 */
};

struct opt_key {
	enum opt_key_source source;
	u8 raw[OPT_KEY_MAX];
	unsigned raw_len;
	char text[OPT_SECRET_MAX + 1]; /* passphrase, or keyfile module name */
	char salt[OPT_NAME_MAX + 1];   /* salt= */
	u32 iterations;                /* iterations= */
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
	unsigned max_cpus;         /* cpus=<n>: CPUs to run, 0: all */
	u32 pci_watch;             /* pciwatch=<vendor>:<device> (vendor << 16 | device), 0: none */
	struct opt_disk disks[OPT_MAX_DISKS]; /* encrypt= (repeatable) */
	unsigned nr_disks;
	struct opt_key key;        /* key= / keyfile= / passphrase= (masked in `taken`) */
	u64 disk_buffer;           /* diskbuf=<size>: shadow buffer per disk, 0: default */
	char taken[256];           /* the options as understood, for the banner */
};

#define OPT_MAX_CPUS 64 /* MAX_CPUS, core/vcpu.h */
#define OPT_REGION_DEFAULT (32 * MiB)
#define OPT_REGION_MIN (8 * MiB)
#define OPT_REGION_MAX (1024 * MiB)

/* Parses cmdline into opts.  Unknown options are reported and skipped;
 * a known option with a bad value is an error (returns -EINVAL). */
int options_parse(const char *cmdline, struct options *opts);

/* Overwrites the values of key= and passphrase= in a command line with
 * '-' so the text no longer holds the secret (the loader's copy lives in
 * memory the guest gets). */
void options_scrub_secrets(char *cmdline);

#endif
