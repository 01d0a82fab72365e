/* Finding ACPI tables the firmware left in memory (read-only use, plus
 * the MADT edit that keeps CPUs Lamina does not run away from the guest). */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include "core/types.h"

struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

/* Physical address of the RSDP, searched where the firmware puts it
 * (EBDA, 0xe0000-0xfffff), or taken from the loader's copy. */
u64 acpi_find_rsdp(u64 loader_copy);
/* The first table with this signature, checksum verified; NULL if none. */
struct acpi_header *acpi_find_table(u64 rsdp, const char sig[4]);
/* Sum of bytes, 0 for a valid table. */
u8 acpi_checksum(const void *p, size_t len);

struct madt_cpu {
	u32 apic_id;
	bool enabled;        /* present and usable now */
	bool online_capable; /* absent, may be hot-added later */
};

/* Calls fn for each processor entry (local APIC and x2APIC) in the MADT.
 * When fn returns true the entry is marked disabled and the table's
 * checksum is fixed.  Returns the number of entries seen. */
unsigned madt_for_each_cpu(struct acpi_header *madt,
			   bool (*fn)(const struct madt_cpu *cpu, void *ctx), void *ctx);

#endif
