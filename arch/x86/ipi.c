#include "arch/x86/ipi.h"

#define XAPIC_BROADCAST 0xffu
#define X2APIC_BROADCAST 0xffffffffu
#define DFR_MODEL_FLAT 0xfu

struct ipi ipi_decode(u64 icr, bool x2apic)
{
	u32 low = (u32)icr;

	return (struct ipi){
		.mode = (low >> ICR_MODE_SHIFT) & 7,
		.shorthand = (low >> ICR_SHORTHAND_SHIFT) & 3,
		.vector = low & ICR_VECTOR_MASK,
		.logical = low & ICR_LOGICAL,
		.assert = low & ICR_ASSERT,
		.level = low & ICR_LEVEL,
		.dest = x2apic ? (u32)(icr >> 32) : (u32)(icr >> 56),
		.x2apic = x2apic,
	};
}

/* Logical destinations: xAPIC flat (8-bit mask), xAPIC cluster (4-bit
 * cluster, 4-bit mask), x2APIC (16-bit cluster, 16-bit mask). */
static bool logical_match(const struct ipi *i, const struct ipi_cpu *c)
{
	if (i->x2apic) {
		if (i->dest == X2APIC_BROADCAST)
			return true;
		return (i->dest >> 16) == (c->ldr >> 16) && (i->dest & c->ldr & 0xffff);
	}
	u32 id = c->ldr >> 24;

	if (i->dest == XAPIC_BROADCAST)
		return true;
	if ((c->dfr >> 28) == DFR_MODEL_FLAT)
		return i->dest & id;
	return (i->dest >> 4) == (id >> 4) && (i->dest & id & 0xf);
}

static bool physical_match(const struct ipi *i, const struct ipi_cpu *c)
{
	u32 broadcast = i->x2apic ? X2APIC_BROADCAST : XAPIC_BROADCAST;

	return i->dest == broadcast || i->dest == c->apic_id;
}

bool ipi_reaches(const struct ipi *i, u32 sender, const struct ipi_cpu *cpu)
{
	switch (i->shorthand) {
	case IPI_SELF:
		return cpu->apic_id == sender;
	case IPI_ALL:
		return true;
	case IPI_ALL_BUT_SELF:
		return cpu->apic_id != sender;
	default:
		return i->logical ? logical_match(i, cpu) : physical_match(i, cpu);
	}
}
