/* What the boot loader told us, in a loader-neutral form. */
#ifndef BOOT_BOOTINFO_H
#define BOOT_BOOTINFO_H

#include "core/types.h"

#define MAX_MEM_RANGES 128
#define MAX_MODULES 8

enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_range {
	u64 base;
	u64 size;
	u32 type; /* enum mem_type, E820 numbering */
};

struct boot_module {
	u64 start;
	u64 size;
	const char *cmdline;
};

#define BIOS_DRIVE_NONE 0xffffffffu

struct boot_info {
	const char *cmdline;
	struct boot_module modules[MAX_MODULES];
	unsigned nr_modules;
	struct mem_range mem[MAX_MEM_RANGES];
	unsigned nr_mem;
	u64 acpi_rsdp; /* physical address of a copy of the RSDP, or 0 */
	u32 bios_drive; /* BIOS drive the loader booted from, or BIOS_DRIVE_NONE */
	u64 info_start, info_size; /* the loader's own structure */
};

/* Parses a multiboot2 information structure; returns 0 or -errno. */
int multiboot2_parse(u32 magic, u64 info_phys, struct boot_info *bi);

#endif
