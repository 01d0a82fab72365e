/* Multiboot2 boot information parsing (the loader's data is trusted no
 * more than it must be: every tag is bounds-checked). */
#include "boot/bootinfo.h"
#include "core/log.h"
#include "core/string.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_BOOTDEV 5
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

struct mb2_tag {
	u32 type;
	u32 size;
};

struct mb2_module {
	struct mb2_tag tag;
	u32 mod_start;
	u32 mod_end;
	char cmdline[];
};

struct mb2_bootdev {
	struct mb2_tag tag;
	u32 biosdev;
	u32 partition;
	u32 sub_partition;
};

struct mb2_mmap {
	struct mb2_tag tag;
	u32 entry_size;
	u32 entry_version;
};

/* Packed: entry_size comes from the loader and need not keep alignment. */
struct mb2_mmap_entry {
	u64 base;
	u64 len;
	u32 type;
	u32 reserved;
} __packed;

/* Strings must end inside their tag. */
static const char *tag_string(const struct mb2_tag *tag, size_t offset)
{
	const char *s = (const char *)tag + offset;

	if (tag->size <= offset || strnlen(s, tag->size - offset) == tag->size - offset)
		return "";
	return s;
}

static void parse_module(const struct mb2_tag *tag, struct boot_info *bi)
{
	const struct mb2_module *m = (const void *)tag;

	if (tag->size < sizeof(*m) || m->mod_end < m->mod_start) {
		pr_warn("ignoring malformed multiboot2 module tag");
		return;
	}
	if (bi->nr_modules == MAX_MODULES) {
		pr_warn("more than %u modules; ignoring the rest", MAX_MODULES);
		return;
	}
	bi->modules[bi->nr_modules++] = (struct boot_module){
		.start = m->mod_start,
		.size = m->mod_end - m->mod_start,
		.cmdline = tag_string(tag, sizeof(*m)),
	};
}

static void parse_mmap(const struct mb2_tag *tag, struct boot_info *bi)
{
	const struct mb2_mmap *mm = (const void *)tag;

	if (tag->size < sizeof(*mm) || mm->entry_size < sizeof(struct mb2_mmap_entry)) {
		pr_warn("ignoring malformed multiboot2 memory map");
		return;
	}
	for (u64 off = sizeof(*mm); off + mm->entry_size <= tag->size; off += mm->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)((const u8 *)tag + off);

		if (bi->nr_mem == MAX_MEM_RANGES) {
			pr_warn("memory map has more than %u entries", MAX_MEM_RANGES);
			return;
		}
		if (e->len)
			bi->mem[bi->nr_mem++] = (struct mem_range){ e->base, e->len, e->type };
	}
}

int multiboot2_parse(u32 magic, u64 info_phys, struct boot_info *bi)
{
	const u8 *info = (const u8 *)info_phys;
	u32 total;

	memset(bi, 0, sizeof(*bi));
	bi->cmdline = "";
	bi->bios_drive = BIOS_DRIVE_NONE;
	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("not started by a multiboot2 loader (magic %x)", magic);
		return -22;
	}
	total = *(const u32 *)info;
	bi->info_start = info_phys;
	bi->info_size = total;

	for (u64 off = 8; off + sizeof(struct mb2_tag) <= total;) {
		const struct mb2_tag *tag = (const void *)(info + off);

		/* Compare sizes, never sums: a huge size must not wrap around. */
		if (tag->size < sizeof(*tag) || tag->size > total - off) {
			pr_err("malformed multiboot2 tag at offset %llu", (unsigned long long)off);
			return -22;
		}
		switch (tag->type) {
		case MB2_TAG_END:
			return 0;
		case MB2_TAG_CMDLINE:
			bi->cmdline = tag_string(tag, sizeof(*tag));
			break;
		case MB2_TAG_MODULE:
			parse_module(tag, bi);
			break;
		case MB2_TAG_MMAP:
			parse_mmap(tag, bi);
			break;
		case MB2_TAG_BOOTDEV:
			if (tag->size >= sizeof(struct mb2_bootdev) &&
			    ((const struct mb2_bootdev *)tag)->biosdev <= 0xff)
				bi->bios_drive = ((const struct mb2_bootdev *)tag)->biosdev;
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			bi->acpi_rsdp = info_phys + off + sizeof(*tag);
			break;
		}
		off += ALIGN_UP((u64)tag->size, 8);
	}
	return 0;
}
