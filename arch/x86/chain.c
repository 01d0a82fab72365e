/*
 * boot=chain: the guest starts in real mode in the stub of chain_stub.S,
 * which lets the BIOS load and run a drive's boot sector.  Lamina only
 * writes what the stub needs: the stub itself at the new top of
 * conventional memory (the BIOS data area's base-memory size lowered to
 * it), and the INT 15h vector pointing at the stub.
 */
#include "arch/x86/chain.h"
#include "arch/x86/cpu.h"
#include "arch/x86/e820.h"
#include "arch/x86/legacy.h"
#include "arch/x86/serial.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/string.h"

#define EINVAL 22
#define ENOSPC 28

#define BDA_BASE_MEM_KIB 0x413 /* u16: conventional memory in KiB (INT 12h) */
#define BDA_NR_HARD_DISKS 0x475 /* u8 */
#define IVT_INT15 (0x15 * 4)
#define STUB_LOWEST 0x10000     /* stay clear of the IVT, BDA and 0:7C00 */
#define MAP_MAX MAX_MEM_RANGES

extern const u8 chain_stub_start[], chain_stub_end[], chain_stub_entry[], chain_stub_int15[];

struct e820_packed {
	u64 base, size;
	u32 type;
} __packed;

_Static_assert(sizeof(struct e820_packed) == CHAIN_E820_ENTRY, "E820 entry size");

static struct mem_range map_hv[MAP_MAX], map_guest[MAP_MAX];

/* A pointer to low guest memory; hidden from the compiler, which takes
 * small constant addresses for null-pointer arithmetic. */
static void *low_mem(u64 pa)
{
	asm("" : "+r"(pa));
	return phys_to_virt(pa);
}

/* " 0xNN" into out[0..5). */
static char *put_drive(char *out, u8 drive)
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, " 0x", 3);
	out[3] = hex[drive >> 4];
	out[4] = hex[drive & 15];
	return out;
}

int chain_load(const struct boot_info *bi, const struct options *o, struct vcpu *v)
{
	u16 *base_kib = low_mem(BDA_BASE_MEM_KIB);
	u32 *ivt15 = low_mem(IVT_INT15);
	u8 nr_hd = *(const u8 *)low_mem(BDA_NR_HARD_DISKS);
	u64 code = chain_stub_end - chain_stub_start;
	u64 old_top = (u64)*base_kib * KiB, new_top, need;
	unsigned n;
	struct chain_params p = { .magic = CHAIN_MAGIC };

	if (bi->nr_modules)
		pr_warn("boot=chain: the %u module(s) GRUB loaded are not used", bi->nr_modules);
	if (old_top < 128 * KiB || old_top > 640 * KiB) {
		pr_err("boot=chain: the BIOS data area says %u KiB of base memory; "
		       "is this a BIOS (not UEFI) boot?", *base_kib);
		return -EINVAL;
	}
	n = e820_set_range(bi->mem, bi->nr_mem, map_hv, MAP_MAX, hv_region.base,
			   hv_region.size, MEM_RESERVED);
	/* Room for the map as it will be, plus the stub's own entry. */
	need = ALIGN_UP(code, 4) + (n + 2) * CHAIN_E820_ENTRY + CHAIN_STACK_SIZE;
	if (n > MAP_MAX || need + STUB_LOWEST > old_top) {
		pr_err("boot=chain: no room for the boot stub (memory map of %u entries)", n);
		return -ENOSPC;
	}
	new_top = ALIGN_DOWN(old_top - need, PAGE_SIZE);
	n = e820_set_range(map_hv, n, map_guest, MAP_MAX, new_top, old_top - new_top,
			   MEM_RESERVED);
	if (n > MAP_MAX) {
		pr_err("boot=chain: the guest memory map has more than %u entries", MAP_MAX);
		return -ENOSPC;
	}

	u8 *stub = phys_to_virt(new_top);
	struct e820_packed *map = (void *)(stub + ALIGN_UP(code, 4));
	struct chain_mem_limits lim = chain_mem_limits(hv_region.base);

	p.old_int15_off = *ivt15 & 0xffff;
	p.old_int15_seg = *ivt15 >> 16;
	p.serial_port = serial_port();
	p.e801_ax_max = lim.e801_ax;
	p.e801_bx_max = lim.e801_bx;
	p.ext88_max = lim.ext88;
	p.map_off = (u8 *)map - stub;
	p.map_count = n;
	p.stack_top = old_top - new_top;
	p.nr_drives = chain_drive_list(o->chain_drive, bi->bios_drive, nr_hd, p.drives,
				       CHAIN_MAX_DRIVES);

	memcpy(stub, chain_stub_start, code);
	memcpy(stub, &p, sizeof(p));
	for (unsigned i = 0; i < n; i++)
		map[i] = (struct e820_packed){ map_guest[i].base, map_guest[i].size,
					       map_guest[i].type };

	char drives[CHAIN_MAX_DRIVES * 5 + 1], from[6] = "none";

	for (unsigned i = 0; i < p.nr_drives; i++)
		put_drive(drives + 5 * i, p.drives[i]);
	drives[5 * p.nr_drives] = '\0';
	if (bi->bios_drive != BIOS_DRIVE_NONE)
		put_drive(from, bi->bios_drive)[5] = '\0';
	pr_info("chain: BIOS drives to try:%s (Lamina loaded from %s, %u hard disks); "
		"stub at %llx, base memory %u -> %llu KiB, E820 %u entries",
		p.nr_drives ? drives : " none", from + (from[0] == ' '), nr_hd,
		(unsigned long long)new_top, *base_kib, (unsigned long long)(new_top / KiB), n);

	/* The guest-visible changes, last: INT 15h and INT 12h's size. */
	*ivt15 = (u32)(new_top >> 4) << 16 | (u32)(chain_stub_int15 - chain_stub_start);
	*base_kib = new_top / KiB;
	legacy_restore();

	v->regs = (struct guest_regs){
		.rip = chain_stub_entry - chain_stub_start,
		.rsp = p.stack_top,
		.rflags = RFLAGS_FIXED,
	};
	v->start = (struct guest_start){ .mode = GUEST_START_REAL, .real_seg = new_top >> 4 };
	return 0;
}
