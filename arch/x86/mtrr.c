#include "arch/x86/mtrr.h"
#include "core/format.h"

#define NO_TYPE 0xfe   /* nothing seen yet while combining */
#define FIXED_LIMIT MiB /* the fixed ranges cover the first MiB */
#define DEF_TYPE_BITS (0xffull | MTRR_DEF_FE | MTRR_DEF_E)
/* mtrr_describe's bound on aligned blocks examined and ranges shown. */
#define DESCRIBE_MAX_BLOCKS 1024
#define DESCRIBE_MAX_RANGES 16

static unsigned var_count(const struct mtrr_state *s)
{
	return MIN(s->cap & MTRR_CAP_VCNT, MTRR_VAR_MAX);
}

static bool fixed_enabled(const struct mtrr_state *s)
{
	return (s->cap & MTRR_CAP_FIX) && (s->def_type & MTRR_DEF_FE);
}

/* Without CPUID 0x80000008 the width is 36 bits. */
static unsigned addr_bits(const struct mtrr_state *s)
{
	return s->phys_bits >= 32 && s->phys_bits <= 52 ? s->phys_bits : 36;
}

/* The address bits a PHYSMASK can select: 12 to the width. */
static u64 mask_bits(const struct mtrr_state *s)
{
	return (BIT(addr_bits(s)) - 1) & ~(PAGE_SIZE - 1);
}

static bool known_type(unsigned t)
{
	return t < 8 && (0x73 >> t) & 1; /* UC, WC, WT, WP, WB */
}

static bool writable_type(const struct mtrr_state *s, unsigned t)
{
	return known_type(t) && (t != MTRR_WC || (s->cap & MTRR_CAP_WC));
}

/* A register's type byte; what the CPU would refuse to store counts as UC. */
static u8 stored_type(u64 reg)
{
	return known_type(reg & 0xff) ? reg & 0xff : MTRR_UC;
}

static u8 default_type(const struct mtrr_state *s)
{
	return stored_type(s->def_type);
}

static u64 *msr_slot(struct mtrr_state *s, u32 msr)
{
	if (msr == MSR_MTRR_DEF_TYPE)
		return &s->def_type;
	if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * var_count(s)) {
		unsigned i = (msr - MSR_MTRR_PHYSBASE0) / 2;

		return msr & 1 ? &s->var[i].mask : &s->var[i].base;
	}
	if (!(s->cap & MTRR_CAP_FIX))
		return NULL;
	if (msr == MSR_MTRR_FIX64K_00000)
		return &s->fixed[0];
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_80000 + 1)
		return &s->fixed[1 + msr - MSR_MTRR_FIX16K_80000];
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8)
		return &s->fixed[3 + msr - MSR_MTRR_FIX4K_C0000];
	return NULL;
}

unsigned mtrr_msr_list(const struct mtrr_state *s, u32 list[MTRR_MSRS_MAX])
{
	unsigned n = 0;

	list[n++] = MSR_MTRR_DEF_TYPE;
	if (s->cap & MTRR_CAP_FIX) {
		list[n++] = MSR_MTRR_FIX64K_00000;
		list[n++] = MSR_MTRR_FIX16K_80000;
		list[n++] = MSR_MTRR_FIX16K_80000 + 1;
		for (u32 i = 0; i < 8; i++)
			list[n++] = MSR_MTRR_FIX4K_C0000 + i;
	}
	for (u32 i = 0; i < 2 * var_count(s); i++)
		list[n++] = MSR_MTRR_PHYSBASE0 + i;
	return n;
}

bool mtrr_is_msr(const struct mtrr_state *s, u32 msr)
{
	return msr_slot((struct mtrr_state *)s, msr) != NULL;
}

bool mtrr_set(struct mtrr_state *s, u32 msr, u64 value)
{
	u64 *slot = msr_slot(s, msr);

	if (slot)
		*slot = value;
	return slot != NULL;
}

bool mtrr_write_valid(const struct mtrr_state *s, u32 msr, u64 value)
{
	u64 beyond_width = ~(BIT(addr_bits(s)) - 1);

	if (!mtrr_is_msr(s, msr))
		return false;
	if (msr == MSR_MTRR_DEF_TYPE)
		return !(value & ~DEF_TYPE_BITS) && writable_type(s, value & 0xff) &&
		       (!(value & MTRR_DEF_FE) || (s->cap & MTRR_CAP_FIX));
	if (msr < MSR_MTRR_FIX64K_00000) { /* a variable range */
		if (msr & 1) /* PHYSMASK: bits 0-10 reserved, 11 valid */
			return !(value & (beyond_width | (MTRR_MASK_VALID - 1)));
		return !(value & (beyond_width | 0xf00)) && writable_type(s, value & 0xff);
	}
	for (unsigned i = 0; i < 8; i++) /* a fixed-range MSR: 8 type bytes */
		if (!writable_type(s, (value >> (8 * i)) & 0xff))
			return false;
	return true;
}

/* The fixed-range unit holding addr (below 1 MiB): 64 KiB units up to
 * 0x80000, 16 KiB up to 0xc0000, 4 KiB above.  Returns its type and sets
 * *left to the bytes from addr to the unit's end. */
static u8 fixed_type(const struct mtrr_state *s, u64 addr, u64 *left)
{
	unsigned msr, shift;
	u64 off;

	if (addr < 0x80000) {
		off = addr;
		shift = 16;
		msr = 0;
	} else if (addr < 0xc0000) {
		off = addr - 0x80000;
		shift = 14;
		msr = 1 + (off >> 17);
	} else {
		off = addr - 0xc0000;
		shift = 12;
		msr = 3 + (off >> 15);
	}
	*left = BIT(shift) - (addr & (BIT(shift) - 1));
	return stored_type(s->fixed[msr] >> (8 * ((off >> shift) & 7)));
}

/* The SDM's rules for several matching variable ranges (seen: a bit per
 * type): one type is that type, UC wins, WT wins over WB; anything else
 * is undefined, and UC is the safe choice. */
static u8 combine_matches(const struct mtrr_state *s, unsigned seen, bool *undefined)
{
	if (!seen)
		return default_type(s);
	if (!(seen & (seen - 1)))
		return __builtin_ctz(seen);
	if (seen & BIT(MTRR_UC))
		return MTRR_UC;
	if (seen == (BIT(MTRR_WT) | BIT(MTRR_WB)))
		return MTRR_WT;
	if (undefined)
		*undefined = true;
	return MTRR_UC;
}

/* The variable ranges' type of an aligned block (size a power of two of
 * at least 4 KiB).  A range matches all of the block when its mask has no
 * bit inside the block's offset bits, none of it when a bit above them
 * differs, and otherwise only part of it. */
static u8 var_type(const struct mtrr_state *s, u64 addr, u64 size, bool *undefined)
{
	u64 inside = size - 1;
	unsigned seen = 0;

	for (unsigned i = 0; i < var_count(s); i++) {
		u64 mask = s->var[i].mask & mask_bits(s);

		if (!(s->var[i].mask & MTRR_MASK_VALID) || ((addr ^ s->var[i].base) & mask & ~inside))
			continue;
		if (mask & inside)
			return MTRR_MIXED;
		seen |= BIT(stored_type(s->var[i].base));
	}
	return combine_matches(s, seen, undefined);
}

/* The largest naturally aligned power-of-two block at addr below end. */
static u64 largest_block(u64 addr, u64 end)
{
	u64 size = BIT(63 - __builtin_clzll(end - addr));

	return addr && (addr & -addr) < size ? addr & -addr : size;
}

u8 mtrr_type(const struct mtrr_state *s, u64 addr, u64 size, bool *undefined)
{
	u64 end = ALIGN_UP(addr + size, PAGE_SIZE);
	u8 type = NO_TYPE;

	if (!(s->def_type & MTRR_DEF_E))
		return MTRR_UC;
	addr = ALIGN_DOWN(addr, PAGE_SIZE);
	while (addr < end && type != MTRR_MIXED) {
		u64 step;
		u8 t;

		if (addr < FIXED_LIMIT && fixed_enabled(s)) {
			t = fixed_type(s, addr, &step);
		} else {
			step = largest_block(addr, end);
			t = var_type(s, addr, step, undefined);
		}
		type = type == NO_TYPE || type == t ? t : MTRR_MIXED;
		addr += MIN(step, end - addr);
	}
	return type == NO_TYPE ? default_type(s) : type;
}

/* The registers that decide types, with everything not in effect zeroed. */
static void in_effect(const struct mtrr_state *s, struct mtrr_state *e)
{
	*e = (struct mtrr_state){ .cap = s->cap, .phys_bits = addr_bits(s) };
	if (!(s->def_type & MTRR_DEF_E))
		return;
	e->def_type = s->def_type & DEF_TYPE_BITS;
	if (fixed_enabled(s))
		for (unsigned i = 0; i < MTRR_FIXED_MSRS; i++)
			e->fixed[i] = s->fixed[i];
	else
		e->def_type &= ~MTRR_DEF_FE;
	for (unsigned i = 0; i < var_count(s); i++) {
		u64 mask = s->var[i].mask & mask_bits(s);

		if (!(s->var[i].mask & MTRR_MASK_VALID))
			continue;
		e->var[i].mask = mask;
		e->var[i].base = (s->var[i].base & mask) | stored_type(s->var[i].base);
	}
}

bool mtrr_same_layout(const struct mtrr_state *a, const struct mtrr_state *b)
{
	struct mtrr_state x, y;

	in_effect(a, &x);
	in_effect(b, &y);
	if (x.cap != y.cap || x.phys_bits != y.phys_bits || x.def_type != y.def_type)
		return false;
	for (unsigned i = 0; i < MTRR_FIXED_MSRS; i++)
		if (x.fixed[i] != y.fixed[i])
			return false;
	for (unsigned i = 0; i < MTRR_VAR_MAX; i++)
		if (x.var[i].base != y.var[i].base || x.var[i].mask != y.var[i].mask)
			return false;
	return true;
}

const char *mtrr_type_name(u8 type)
{
	static const char *const names[8] = { "UC", "WC", NULL, NULL, "WT", "WP", "WB", NULL };

	return type < 8 && names[type] ? names[type] : "mixed";
}

struct run_printer {
	struct textbuf tb;
	u8 default_type;
	unsigned shown;
};

static void print_run(struct run_printer *p, u8 type, u64 start, u64 end)
{
	if (type == p->default_type || start == end)
		return;
	textbuf_printf(&p->tb, "%s%s 0x%llx-0x%llx", p->shown ? ", " : "", mtrr_type_name(type),
		       (unsigned long long)start, (unsigned long long)(end - 1));
	p->shown++;
}

size_t mtrr_describe(const struct mtrr_state *s, char *buf, size_t size, bool *undefined)
{
	struct run_printer p = { { buf, size, 0 }, default_type(s), 0 };
	u64 limit = BIT(addr_bits(s)), addr = 0, run_start = 0;
	u8 run_type = p.default_type;
	unsigned blocks = 0;

	if (size)
		buf[0] = '\0';
	if (!(s->def_type & MTRR_DEF_E)) {
		textbuf_printf(&p.tb, "MTRRs disabled: all UC");
		return p.tb.len;
	}
	/* Walk the space in the largest blocks of one type, joining runs. */
	while (addr < limit) {
		u64 block = largest_block(addr, limit);
		u8 t;

		while ((t = mtrr_type(s, addr, block, undefined)) == MTRR_MIXED)
			block /= 2;
		if (t != run_type) {
			print_run(&p, run_type, run_start, addr);
			run_start = addr;
			run_type = t;
		}
		addr += block;
		if (++blocks == DESCRIBE_MAX_BLOCKS || p.shown == DESCRIBE_MAX_RANGES)
			break;
	}
	print_run(&p, run_type, run_start, addr);
	if (addr < limit)
		textbuf_printf(&p.tb, "%s...", p.shown++ ? ", " : "");
	textbuf_printf(&p.tb, "%sdefault %s", p.shown ? ", " : "", mtrr_type_name(p.default_type));
	return p.tb.len;
}
