/*
 * Linux x86 boot protocol (Documentation/x86/boot.rst): the protected-mode
 * kernel goes to its preferred address, the initrd as high as allowed,
 * boot_params ("zero page") and the command line in low memory, and the
 * guest starts at the 32-bit entry with ESI pointing at boot_params.
 * The E820 map the guest gets marks Lamina's region reserved.
 */
#include "arch/x86/linux.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/e820.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/string.h"

#define EINVAL 22
#define ENOMEM 12

/* Offsets in the bzImage / boot_params (struct setup_header at 0x1f1). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define MIN_BOOT_PROTOCOL 0x020a /* pref_address and init_size */

/* Low-memory block: boot_params, GDT, command line. */
#define LOW_BLOCK_SIZE (3 * PAGE_SIZE)
#define LOW_GDT_OFFSET PAGE_SIZE
#define LOW_RSDP_OFFSET (PAGE_SIZE + 256)
#define LOW_CMDLINE_OFFSET (2 * PAGE_SIZE)
#define RSDP_MAX_LEN 36
#define CMDLINE_MAX (PAGE_SIZE - 1)

struct e820_entry {
	u64 addr;
	u64 size;
	u32 type;
} __packed;

struct placement {
	const struct boot_info *bi;
	struct e820_entry map[BP_E820_MAX];
	unsigned nr_map;
	u64 low_block;
	u64 kernel_addr, kernel_span;
	u64 initrd_addr;
};

static u8 rd8(const u8 *p, unsigned off) { return p[off]; }
static u16 rd16(const u8 *p, unsigned off) { return *(const u16 *)(p + off); }
static u32 rd32(const u8 *p, unsigned off) { return *(const u32 *)(p + off); }
static u64 rd64(const u8 *p, unsigned off) { return *(const u64 *)(p + off); }

static void add_e820(struct placement *pl, u64 addr, u64 size, u32 type)
{
	if (size && pl->nr_map < BP_E820_MAX)
		pl->map[pl->nr_map++] = (struct e820_entry){ addr, size, type };
}

/* The firmware's map with Lamina's region cut out and marked reserved. */
static void build_guest_map(struct placement *pl)
{
	static struct mem_range map[BP_E820_MAX];
	unsigned n = e820_set_range(pl->bi->mem, pl->bi->nr_mem, map, BP_E820_MAX,
				    hv_region.base, hv_region.size, MEM_RESERVED);

	for (unsigned i = 0; i < MIN(n, (unsigned)BP_E820_MAX); i++)
		add_e820(pl, map[i].base, map[i].size, map[i].type);
}

static bool is_guest_ram(const struct placement *pl, u64 addr, u64 size)
{
	for (unsigned i = 0; i < pl->nr_map; i++) {
		const struct e820_entry *e = &pl->map[i];

		if (e->type == MEM_USABLE && addr >= e->addr && addr + size <= e->addr + e->size)
			return true;
	}
	return false;
}

/* Free for a destination: guest RAM and clear of everything still needed. */
static bool is_free(const struct placement *pl, u64 addr, u64 size, bool check_initrd_src)
{
	const struct boot_info *bi = pl->bi;

	if (!is_guest_ram(pl, addr, size) ||
	    ranges_overlap(addr, size, bi->info_start, bi->info_size) ||
	    ranges_overlap(addr, size, bi->modules[0].start, bi->modules[0].size))
		return false;
	if (pl->low_block && ranges_overlap(addr, size, pl->low_block, LOW_BLOCK_SIZE))
		return false;
	if (pl->kernel_span && ranges_overlap(addr, size, pl->kernel_addr, pl->kernel_span))
		return false;
	if (check_initrd_src && bi->nr_modules > 1 &&
	    ranges_overlap(addr, size, bi->modules[1].start, bi->modules[1].size))
		return false;
	return true;
}

static int check_bzimage(const struct boot_module *m)
{
	const u8 *k = phys_to_virt(m->start);

	if (m->size < 0x1000 || rd16(k, HDR_BOOT_FLAG) != 0xaa55 ||
	    rd32(k, HDR_MAGIC) != 0x53726448 /* "HdrS" */) {
		pr_err("module 1 is not a Linux bzImage (no boot header)");
		return -EINVAL;
	}
	if (rd16(k, HDR_VERSION) < MIN_BOOT_PROTOCOL) {
		pr_err("Linux boot protocol %x is too old (need 2.10 or later)",
		       rd16(k, HDR_VERSION));
		return -EINVAL;
	}
	if (!(rd8(k, HDR_LOADFLAGS) & LOADED_HIGH)) {
		pr_err("module 1 is a zImage; only bzImage kernels are supported");
		return -EINVAL;
	}
	return 0;
}

static u64 setup_size(const u8 *k)
{
	u8 sects = rd8(k, HDR_SETUP_SECTS);

	return ((u64)(sects ? sects : 4) + 1) * 512;
}

static int place_kernel(struct placement *pl)
{
	const u8 *k = phys_to_virt(pl->bi->modules[0].start);
	u64 payload = pl->bi->modules[0].size - setup_size(k);
	u64 span = MAX((u64)rd32(k, HDR_INIT_SIZE), payload);
	u64 align = MAX((u64)rd32(k, HDR_KERNEL_ALIGNMENT), (u64)LARGE_PAGE_SIZE);
	u64 addr = rd8(k, HDR_RELOCATABLE) ? rd64(k, HDR_PREF_ADDRESS) : 0x100000;

	if (setup_size(k) >= pl->bi->modules[0].size) {
		pr_err("bzImage is truncated (%llu bytes)",
		       (unsigned long long)pl->bi->modules[0].size);
		return -EINVAL;
	}
	/* The source may overlap the destination (memmove copes), but the
	 * kernel's working span must be guest RAM. */
	while (!is_guest_ram(pl, addr, span) ||
	       ranges_overlap(addr, span, pl->bi->info_start, pl->bi->info_size)) {
		if (!rd8(k, HDR_RELOCATABLE) || addr + span > 4 * GiB) {
			pr_err("no room for the kernel (%llu KiB) in guest memory",
			       (unsigned long long)(span / KiB));
			return -ENOMEM;
		}
		addr = ALIGN_UP(addr + 1, align);
	}
	pl->kernel_addr = addr;
	pl->kernel_span = span;
	return 0;
}

static int place_initrd(struct placement *pl)
{
	const u8 *k = phys_to_virt(pl->bi->modules[0].start);
	u64 size = pl->bi->modules[1].size;
	u64 limit = (u64)rd32(k, HDR_INITRD_ADDR_MAX) + 1;

	/* Highest fit below the kernel's limit, searching down page by page
	 * within each RAM range. */
	for (int i = pl->nr_map - 1; i >= 0; i--) {
		const struct e820_entry *e = &pl->map[i];
		u64 top = MIN(e->addr + e->size, limit);

		if (e->type != MEM_USABLE || top < e->addr + size)
			continue;
		for (u64 a = ALIGN_DOWN(top - size, PAGE_SIZE); a >= e->addr; a -= PAGE_SIZE) {
			if (is_free(pl, a, size, false)) {
				pl->initrd_addr = a;
				return 0;
			}
			if (a < PAGE_SIZE)
				break;
		}
	}
	pr_err("no room for the initrd (%llu KiB) below %llx",
	       (unsigned long long)(size / KiB), (unsigned long long)limit);
	return -ENOMEM;
}

static int place_low_block(struct placement *pl)
{
	for (u64 a = 0x90000 - LOW_BLOCK_SIZE; a >= 0x8000; a -= PAGE_SIZE) {
		if (is_free(pl, a, LOW_BLOCK_SIZE, true)) {
			pl->low_block = a;
			return 0;
		}
	}
	pr_err("no free low memory for boot_params");
	return -ENOMEM;
}

/* Tells the kernel where ACPI starts.  Under UEFI there is no RSDP in
 * the BIOS areas Linux scans, only the loader's copy inside its own data,
 * which the guest will overwrite: keep a copy in the low block (Linux
 * reserves the first MiB). */
static void set_acpi_rsdp(const struct placement *pl, u8 *bp)
{
	u64 rsdp = acpi_find_rsdp(pl->bi->acpi_rsdp);

	if (rsdp && rsdp == pl->bi->acpi_rsdp) {
		u64 copy = pl->low_block + LOW_RSDP_OFFSET;

		memcpy(phys_to_virt(copy), phys_to_virt(rsdp), RSDP_MAX_LEN);
		rsdp = copy;
	}
	*(u64 *)(bp + BP_ACPI_RSDP_ADDR) = rsdp;
}

static void fill_boot_params(const struct placement *pl, u8 *bp, const char *cmdline)
{
	const struct boot_info *bi = pl->bi;
	const u8 *k = phys_to_virt(bi->modules[0].start);
	unsigned hdr_end = HDR_JUMP + 2 + rd8(k, HDR_JUMP + 1);
	u64 cmd = pl->low_block + LOW_CMDLINE_OFFSET;

	memset(bp, 0, PAGE_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, k + HDR_SETUP_SECTS, MIN(hdr_end, 0x290u) - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = 0xff;
	bp[HDR_LOADFLAGS] &= ~CAN_USE_HEAP;
	*(u32 *)(bp + HDR_CODE32_START) = pl->kernel_addr;
	*(u32 *)(bp + HDR_CMD_LINE_PTR) = (u32)cmd;
	*(u32 *)(bp + BP_EXT_CMD_LINE_PTR) = cmd >> 32;
	if (bi->nr_modules > 1) {
		*(u32 *)(bp + HDR_RAMDISK_IMAGE) = (u32)pl->initrd_addr;
		*(u32 *)(bp + HDR_RAMDISK_SIZE) = (u32)bi->modules[1].size;
		*(u32 *)(bp + BP_EXT_RAMDISK_IMAGE) = pl->initrd_addr >> 32;
		*(u32 *)(bp + BP_EXT_RAMDISK_SIZE) = bi->modules[1].size >> 32;
	}
	bp[BP_E820_ENTRIES] = pl->nr_map;
	memcpy(bp + BP_E820_TABLE, pl->map, pl->nr_map * sizeof(struct e820_entry));

	set_acpi_rsdp(pl, bp);

	char *dst = phys_to_virt(cmd);
	size_t len = strnlen(cmdline, CMDLINE_MAX);

	memcpy(dst, cmdline, len);
	dst[len] = '\0';
}

int linux_load(const struct boot_info *bi, struct vcpu *v)
{
	static struct placement pl;
	static const u64 guest_gdt[4] = {
		0, 0,
		0x00cf9a000000ffffull, /* 0x10: __BOOT_CS */
		0x00cf92000000ffffull, /* 0x18: __BOOT_DS */
	};
	const struct boot_module *kmod = &bi->modules[0];
	int err;

	if (bi->nr_modules == 0) {
		pr_err("no guest kernel: load a Linux bzImage as the first module "
		       "(module2 /boot/vmlinuz ...)");
		return -EINVAL;
	}
	memset(&pl, 0, sizeof(pl));
	pl.bi = bi;
	build_guest_map(&pl);
	err = check_bzimage(kmod);
	if (!err)
		err = place_low_block(&pl);
	if (!err)
		err = place_kernel(&pl);
	if (!err && bi->nr_modules > 1)
		err = place_initrd(&pl);
	if (err)
		return err;
	if (strnlen(kmod->cmdline, CMDLINE_MAX + 1) > CMDLINE_MAX)
		pr_warn("guest command line longer than %u bytes is cut", (unsigned)CMDLINE_MAX);

	/* Order matters: the command line lives in the loader's data, the
	 * initrd may sit where the kernel goes. */
	u8 *low = phys_to_virt(pl.low_block);

	fill_boot_params(&pl, low, kmod->cmdline);
	memcpy(low + LOW_GDT_OFFSET, guest_gdt, sizeof(guest_gdt));
	if (bi->nr_modules > 1)
		memmove(phys_to_virt(pl.initrd_addr), phys_to_virt(bi->modules[1].start),
			bi->modules[1].size);
	const u8 *k = phys_to_virt(kmod->start);

	memmove(phys_to_virt(pl.kernel_addr), k + setup_size(k), kmod->size - setup_size(k));

	pr_info("guest: Linux at %llx, initrd %llu KiB at %llx, boot_params at %llx",
		(unsigned long long)pl.kernel_addr,
		(unsigned long long)(bi->nr_modules > 1 ? bi->modules[1].size / KiB : 0),
		(unsigned long long)pl.initrd_addr, (unsigned long long)pl.low_block);
	v->regs = (struct guest_regs){
		.rip = pl.kernel_addr,
		.rsi = pl.low_block,
		.rflags = RFLAGS_FIXED,
	};
	v->start.gdt_base = pl.low_block + LOW_GDT_OFFSET;
	v->start.gdt_limit = sizeof(guest_gdt) - 1;
	return 0;
}
