#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmio.h"
#include "arch/x86/smp.h"
#include "core/log.h"

#define EBUSY 16

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD BIT(10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + off / 16. */
#define APIC_ID 0x20
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SVR 0xf0
#define APIC_ISR 0x100
#define APIC_ICR 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INITIAL 0x380
#define APIC_LVT_MASKED BIT(16)
#define APIC_SVR_RESET 0xff

struct apic_stats apic_stats;

static bool x2apic_mode(void)
{
	return rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD;
}

static u64 xapic_base(void)
{
	return rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK;
}

static u32 apic_read(unsigned off)
{
	if (x2apic_mode())
		return rdmsr(0x800 + off / 16);
	return phys_read(xapic_base() + off, 4);
}

static void apic_write(unsigned off, u32 val)
{
	if (x2apic_mode())
		wrmsr(0x800 + off / 16, val);
	else
		phys_write(xapic_base() + off, 4, val);
}

u32 apic_id(void)
{
	return x2apic_mode() ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24;
}

static void xapic_wait_idle(u64 base)
{
	while (phys_read(base + APIC_ICR, 4) & ICR_BUSY)
		cpu_relax();
}

void apic_send_ipi(u32 dest, u32 icr_low)
{
	if (x2apic_mode()) {
		wrmsr(MSR_X2APIC_ICR, (u64)dest << 32 | icr_low);
		return;
	}
	u64 base = xapic_base();
	/* The guest may be half-way through its own ICR high/low pair. */
	u32 guest_high = phys_read(base + APIC_ICR_HIGH, 4);

	xapic_wait_idle(base);
	phys_write(base + APIC_ICR_HIGH, 4, dest << 24);
	phys_write(base + APIC_ICR, 4, icr_low);
	xapic_wait_idle(base);
	phys_write(base + APIC_ICR_HIGH, 4, guest_high);
}

void apic_init_reset(void)
{
	bool x2 = x2apic_mode();

	for (unsigned off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
		apic_write(off, APIC_LVT_MASKED);
	apic_write(APIC_TIMER_INITIAL, 0);
	apic_write(APIC_TPR, 0);
	if (!x2) { /* read-only in x2APIC mode */
		apic_write(APIC_LDR, 0);
		apic_write(APIC_DFR, ~0u);
	}
	/* Retire whatever the guest left in service. */
	for (unsigned i = 0; i < 256; i++) {
		bool in_service = false;

		for (unsigned r = 0; r < 8; r++)
			in_service |= apic_read(APIC_ISR + r * 0x10) != 0;
		if (!in_service)
			break;
		apic_write(APIC_EOI, 0);
	}
	apic_write(APIC_SVR, APIC_SVR_RESET);
}

/* An INIT or startup IPI of the guest's, on its way to the vCPUs it
 * names.  SVM: neither may reach a CPU; Lamina posts them to the vCPUs.
 * VT-x: the CPU takes both itself (INIT and SIPI exits), except that an
 * INIT to a CPU already waiting for a SIPI changes nothing there and is
 * absorbed (Bochs 2.7 would hold such an INIT pending forever, docs/smp.md);
 * INITs to running CPUs are sent on one by one.  False: not an INIT or
 * SIPI Lamina handles, the APIC sends it. */
static bool emulate_init_sipi(struct vcpu *sender, const struct ipi *i)
{
	bool hw = sender->backend->hw_init_sipi;
	unsigned reached = 0;

	if (i->mode != IPI_INIT && (i->mode != IPI_STARTUP || hw))
		return false;
	if (ipi_is_init_deassert(i)) {
		__atomic_fetch_add(&apic_stats.init_deasserts, 1, __ATOMIC_RELAXED);
		return true;
	}
	for (unsigned n = 0; n < nr_vcpus; n++) {
		struct vcpu *t = vcpus[n];
		struct ipi_cpu c = { t->apic_id, t->apic_ldr, t->apic_dfr };

		if (i->x2apic) /* the x2APIC LDR follows from the ID */
			c.ldr = (t->apic_id >> 4) << 16 | 1u << (t->apic_id & 0xf);
		if (!ipi_reaches(i, sender->apic_id, &c))
			continue;
		reached++;
		if (!hw)
			vcpu_post_request(sender, t, i->mode == IPI_INIT ? VCPU_REQ_INIT : VCPU_REQ_SIPI,
					  i->vector);
		else if (t->state == VCPU_RUNNING)
			apic_send_ipi(t->apic_id, IPI_INIT << ICR_MODE_SHIFT | ICR_ASSERT | ICR_LEVEL);
	}
	if (!reached)
		__atomic_fetch_add(&apic_stats.dropped, 1, __ATOMIC_RELAXED);
	else if (i->mode == IPI_INIT)
		__atomic_fetch_add(&apic_stats.inits, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&apic_stats.sipis, 1, __ATOMIC_RELAXED);
	return true;
}

void apic_guest_x2apic_icr(struct vcpu *v, u64 icr)
{
	struct ipi i = ipi_decode(icr, true);

	if (!emulate_init_sipi(v, &i))
		wrmsr(MSR_X2APIC_ICR, icr);
}

static u64 guest_apic_read(struct vcpu *v, void *ctx, u64 addr, unsigned size)
{
	(void)v;
	(void)ctx;
	return phys_read(addr, size);
}

/* Every guest write to the xAPIC page: INIT and SIPI are emulated, the
 * logical destination is noted for them, the rest goes to the APIC. */
static void guest_apic_write(struct vcpu *v, void *ctx, u64 addr, unsigned size, u64 val)
{
	unsigned off = addr & (PAGE_SIZE - 1);

	(void)ctx;
	if (size == 4 && off == APIC_ICR) {
		u64 high = phys_read(ALIGN_DOWN(addr, PAGE_SIZE) + APIC_ICR_HIGH, 4);
		struct ipi i = ipi_decode(high << 32 | (u32)val, false);

		if (emulate_init_sipi(v, &i))
			return;
	} else if (size == 4 && off == APIC_LDR) {
		v->apic_ldr = val;
	} else if (size == 4 && off == APIC_DFR) {
		v->apic_dfr = val;
	}
	phys_write(addr, size, val);
}

static const struct emul_handler guest_apic = {
	.name = "apic",
	.read = guest_apic_read,
	.write = guest_apic_write,
	.writes_only = true,
};

/* Under trap= diagnostics of the APIC page: what they chose, including
 * passing instructions Lamina cannot emulate to the APIC (a diagnostic
 * choice: such a write could carry an INIT past the emulation). */
static const struct emul_handler guest_apic_diagnosed = {
	.name = "apic",
	.read = guest_apic_read,
	.write = guest_apic_write,
	.passthrough = true,
};

int apic_intercept_init_sipi(void)
{
	if (x2apic_mode())
		return 0; /* the ICR is an MSR: intercepted by the backend */
	int err = mmio_register(xapic_base(), PAGE_SIZE, &guest_apic, NULL);

	if (err == -EBUSY) /* trap= diagnostics on the APIC page */
		err = mmio_take_over(xapic_base(), PAGE_SIZE, &guest_apic_diagnosed, NULL);
	if (err)
		pr_err("cannot trap the APIC page at 0x%llx (error %d)",
		       (unsigned long long)xapic_base(), err);
	return err;
}
