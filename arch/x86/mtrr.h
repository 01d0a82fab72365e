/*
 * The memory type the MTRRs give each physical address (Intel SDM vol. 3,
 * "Memory Type Range Registers"), computed from a copy of the MSRs: pure
 * logic, no hardware access.  Under EPT the processor ignores the MTRRs
 * for the guest's accesses and uses the EPT leaf's type in their place,
 * so the VT-x backend puts these types into its leaves (arch/x86/vmx/ept.c).
 */
#ifndef ARCH_X86_MTRR_H
#define ARCH_X86_MTRR_H

#include "core/types.h"

#define MSR_MTRR_CAP 0xfe
#define MSR_MTRR_PHYSBASE0 0x200 /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX16K_80000 0x258 /* and 0x259 for 0xa0000 */
#define MSR_MTRR_FIX4K_C0000 0x268  /* to 0x26f for 0xf8000 */
#define MSR_MTRR_DEF_TYPE 0x2ff

#define MTRR_CAP_VCNT 0xffull
#define MTRR_CAP_FIX BIT(8)
#define MTRR_CAP_WC BIT(10)
#define MTRR_DEF_FE BIT(10)
#define MTRR_DEF_E BIT(11)
#define MTRR_MASK_VALID BIT(11)

/* The encodings of the MTRRs, EPT leaves and PAT agree. */
enum mtrr_type {
	MTRR_UC = 0,
	MTRR_WC = 1,
	MTRR_WT = 4,
	MTRR_WP = 5,
	MTRR_WB = 6,
	MTRR_MIXED = 0xff, /* a range whose addresses differ in type */
};

#define MTRR_FIXED_MSRS 11
/* PHYSBASE/PHYSMASK pairs fit in 0x200-0x24f, below the fixed MSRs. */
#define MTRR_VAR_MAX 40
#define MTRR_MSRS_MAX (1 + MTRR_FIXED_MSRS + 2 * MTRR_VAR_MAX)

struct mtrr_state {
	u64 cap;          /* IA32_MTRRCAP */
	unsigned phys_bits; /* physical-address width, CPUID 0x80000008 */
	u64 def_type;
	u64 fixed[MTRR_FIXED_MSRS];
	struct {
		u64 base, mask;
	} var[MTRR_VAR_MAX];
};

/* The MTRR MSRs this CPU has (by s->cap), IA32_MTRR_DEF_TYPE first;
 * returns how many were written to list. */
unsigned mtrr_msr_list(const struct mtrr_state *s, u32 list[MTRR_MSRS_MAX]);
bool mtrr_is_msr(const struct mtrr_state *s, u32 msr);
/* Stores value as msr's content in s; false when msr is not one of s's. */
bool mtrr_set(struct mtrr_state *s, u32 msr, u64 value);
/* Whether the CPU takes this WRMSR (no reserved bit, valid types), so
 * that Lamina can execute a guest's write without a #GP of its own. */
bool mtrr_write_valid(const struct mtrr_state *s, u32 msr, u64 value);

/* The type of every address in [addr, addr + size) (rounded out to 4 KiB
 * pages), or MTRR_MIXED.  A 4 KiB page always has one type.  Overlapping
 * variable ranges whose combination the SDM leaves undefined give UC and
 * set *undefined (when not NULL). */
u8 mtrr_type(const struct mtrr_state *s, u64 addr, u64 size, bool *undefined);
/* Whether a and b give every address the same type. */
bool mtrr_same_layout(const struct mtrr_state *a, const struct mtrr_state *b);
/* "UC 0xa0000-0xbffff, UC 0xc0000000-0xffffffff, default WB": the ranges
 * whose type is not the default, up to the physical-address width (a
 * pathological layout is cut short with "..."); returns the length the
 * text would have had.  *undefined as for mtrr_type. */
size_t mtrr_describe(const struct mtrr_state *s, char *buf, size_t size, bool *undefined);
const char *mtrr_type_name(u8 type);

#endif
