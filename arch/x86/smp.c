#include "arch/x86/smp.h"
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "core/log.h"
#include "core/vcpu.h"

struct cpu_census {
	u32 boot_apic_id;
	unsigned usable, hidden;
};

static bool hide_if_secondary(const struct madt_cpu *cpu, void *ctx)
{
	struct cpu_census *c = ctx;

	if (!cpu->enabled)
		return false;
	c->usable++;
	if (cpu->apic_id == c->boot_apic_id)
		return false;
	c->hidden++;
	return true;
}

unsigned smp_hide_secondary_cpus(u64 loader_rsdp)
{
	struct acpi_header *madt = acpi_find_table(acpi_find_rsdp(loader_rsdp), "APIC");
	struct cpu_census c = { .boot_apic_id = cpuid(1, 0).ebx >> 24 };

	if (!madt) {
		pr_warn("no ACPI MADT: cannot hide secondary CPUs from the guest");
		return 1;
	}
	madt_for_each_cpu(madt, hide_if_secondary, &c);
	if (c.hidden)
		pr_warn("%u of %u CPUs hidden from the guest: Lamina runs the boot CPU only",
			c.hidden, c.usable);
	return c.usable;
}

void vcpu_receive_init(struct vcpu *v)
{
	v->state = VCPU_WAIT_SIPI;
	v->backend->wait_for_sipi(v);
}

void vcpu_receive_sipi(struct vcpu *v, u8 vector)
{
	if (v->state != VCPU_WAIT_SIPI)
		return;
	v->backend->start_at_sipi(v, vector);
	v->state = VCPU_RUNNING;
}
