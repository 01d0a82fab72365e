#include "arch/x86/acpi.h"
#include "core/mem.h"
#include "core/string.h"

#define MADT_ENTRIES_OFFSET 44
#define MADT_LOCAL_APIC 0
#define MADT_X2APIC 9
#define MADT_ENABLED BIT(0)
#define MADT_ONLINE_CAPABLE BIT(1)
#define MAX_TABLE_LEN (1u << 20)

struct rsdp {
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt;
	u32 length;
	u64 xsdt;
	u8 ext_checksum;
	u8 reserved[3];
} __packed;

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static bool rsdp_valid(const struct rsdp *r)
{
	if (memcmp(r->signature, "RSD PTR ", 8) || acpi_checksum(r, 20))
		return false;
	return r->revision < 2 || (r->length >= sizeof(*r) && r->length < 4096 &&
				   acpi_checksum(r, r->length) == 0);
}

static u64 scan_rsdp(u64 start, u64 len)
{
	for (u64 a = start; a + sizeof(struct rsdp) <= start + len; a += 16)
		if (rsdp_valid(phys_to_virt(a)))
			return a;
	return 0;
}

/* The BIOS data area word holding the EBDA segment.  The address goes
 * through an empty asm so the compiler does not treat it as a null-page
 * constant. */
static u64 ebda_base(void)
{
	u64 pa = 0x40e;

	asm("" : "+r"(pa));
	return (u64)*(const u16 *)phys_to_virt(pa) << 4;
}

u64 acpi_find_rsdp(u64 loader_copy)
{
	u64 ebda = ebda_base();
	u64 found = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		found = scan_rsdp(ebda, 1024);
	if (!found)
		found = scan_rsdp(0xe0000, 0x20000);
	if (!found && loader_copy && rsdp_valid(phys_to_virt(loader_copy)))
		found = loader_copy;
	return found;
}

static struct acpi_header *table_at(u64 pa)
{
	struct acpi_header *h = phys_to_virt(pa);

	if (!pa || in_hv_region(pa) || h->length < sizeof(*h) || h->length > MAX_TABLE_LEN ||
	    acpi_checksum(h, h->length))
		return NULL;
	return h;
}

struct acpi_header *acpi_find_table(u64 rsdp_pa, const char sig[4])
{
	const struct rsdp *r;
	struct acpi_header *root;
	unsigned entry_size;

	if (!rsdp_pa)
		return NULL;
	r = phys_to_virt(rsdp_pa);
	if (r->revision >= 2 && r->xsdt && (root = table_at(r->xsdt))) {
		entry_size = 8;
	} else if ((root = table_at(r->rsdt))) {
		entry_size = 4;
	} else {
		return NULL;
	}
	for (u32 off = sizeof(*root); off + entry_size <= root->length; off += entry_size) {
		const u8 *p = (const u8 *)root + off;
		u64 pa = entry_size == 8 ? *(const u64 *)p : *(const u32 *)p;
		struct acpi_header *t = table_at(pa);

		if (t && !memcmp(t->signature, sig, 4))
			return t;
	}
	return NULL;
}

unsigned madt_for_each_cpu(struct acpi_header *madt,
			   bool (*fn)(const struct madt_cpu *cpu, void *ctx), void *ctx)
{
	u8 *base = (u8 *)madt;
	unsigned seen = 0;
	bool changed = false;

	for (u32 off = MADT_ENTRIES_OFFSET; off + 2 <= madt->length;) {
		u8 type = base[off], len = base[off + 1];
		struct madt_cpu cpu;
		u32 *flags;

		if (len < 2 || len > madt->length - off)
			break;
		if (type == MADT_LOCAL_APIC && len >= 8) {
			cpu.apic_id = base[off + 3];
			flags = (u32 *)(base + off + 4);
		} else if (type == MADT_X2APIC && len >= 16) {
			cpu.apic_id = *(u32 *)(base + off + 4);
			flags = (u32 *)(base + off + 8);
		} else {
			off += len;
			continue;
		}
		cpu.enabled = *flags & MADT_ENABLED;
		cpu.online_capable = !cpu.enabled && (*flags & MADT_ONLINE_CAPABLE);
		seen++;
		if (fn(&cpu, ctx)) {
			*flags &= ~(MADT_ENABLED | MADT_ONLINE_CAPABLE);
			changed = true;
		}
		off += len;
	}
	if (changed) {
		madt->checksum = 0;
		madt->checksum = -acpi_checksum(madt, madt->length);
	}
	return seen;
}
