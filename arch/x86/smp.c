/*
 * Every CPU runs under Lamina.  At start the boot CPU brings up each
 * application processor the ACPI MADT lists: INIT-SIPI-SIPI into a
 * trampoline below 1 MiB (arch/x86/ap_boot.S), long mode on Lamina's page
 * tables, descriptor tables and stacks of its own, the backend's
 * virtualization, and then the AP waits - as a guest CPU after INIT - for
 * the guest OS to start it with its own INIT-SIPI-SIPI.  CPUs that do not
 * come up are marked disabled in the MADT so the OS never starts a CPU
 * outside Lamina.
 */
#include "arch/x86/smp.h"
#include "arch/x86/acpi.h"
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/guard.h"
#include "arch/x86/pagetable.h"
#include "arch/x86/simd.h"
#include "arch/x86/traps.h"
#include "boot/bootinfo.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/options.h"
#include "core/string.h"
#include "core/time.h"
#include "core/vcpu.h"

#define ENOMEM 12
#define AP_STACK_PAGES 4
#define LOW_MEM_END 0x9f000 /* below the EBDA; SIPI vectors reach 1 MiB */
#define INIT_DELAY_NS 10000000ull
#define SIPI_DELAY_NS 200000ull
#define AP_ARRIVE_NS 1000000000ull
#define AP_READY_NS 10000000000ull

extern const struct vcpu_backend *hv_backend;
extern const char ap_trampoline[], ap_trampoline_end[], ap_trampoline_params[];
extern char ap_entry64[];
void __noreturn vcpu_loop(struct vcpu *v);

/* Read by ap_boot.S: keep the order. */
struct ap_trampoline_params {
	u64 transition_cr3;
	u64 entry;
	u64 cr3;
	u64 stack_top;
	u64 arg;
};

enum ap_progress { AP_SENT, AP_ARRIVED, AP_READY, AP_FAILED };

struct ap_start {
	struct vcpu *v;
	volatile enum ap_progress progress;
};

static void delay_ns(u64 ns)
{
	u64 end = time_ns() + ns;

	while (time_ns() < end)
		cpu_relax();
}

static bool wait_progress(struct ap_start *s, enum ap_progress past, u64 ns)
{
	u64 end = time_ns() + ns;

	while (s->progress == past) {
		if (time_ns() >= end)
			return false;
		cpu_relax();
	}
	return true;
}

void vcpu_receive_init(struct vcpu *v)
{
	/* The boot CPU, on bare metal, restarts at the reset vector in the
	 * firmware, which brings the machine up again; the firmware cannot
	 * run beneath a running Lamina, so the machine restarts. */
	if (v->id == 0) {
		pr_warn("INIT to the boot CPU: resetting the machine");
		machine_reset();
	}
	/* A memory-guard single-step cut short: finish it first. */
	if (v->guard_stepping)
		guard_handle_debug_trap(v);
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

struct vcpu *vcpu_by_apic_id(u32 apic_id)
{
	for (unsigned i = 0; i < nr_vcpus; i++)
		if (vcpus[i]->apic_id == apic_id)
			return vcpus[i];
	return NULL;
}

/* An NMI makes t leave the guest (SVM intercepts it) or wakes it from
 * waiting; kick tells t it was not the guest's. */
static void kick(struct vcpu *t)
{
	__atomic_store_n(&t->kick, 1, __ATOMIC_SEQ_CST);
	apic_send_ipi(t->apic_id, IPI_NMI << ICR_MODE_SHIFT);
}

struct vcpu *vcpu_current(void)
{
	return vcpu_by_apic_id(apic_id());
}

void vcpu_post_request(struct vcpu *sender, struct vcpu *t, u32 req, u8 vector)
{
	if (req & VCPU_REQ_SIPI)
		t->sipi_vector = vector;
	__atomic_or_fetch(&t->requests, req, __ATOMIC_SEQ_CST);
	if (t != sender)
		kick(t); /* else taken after this exit */
}

void smp_flush_guest_tlbs(struct vcpu *self)
{
	bool wait = !self->backend->hw_init_sipi;

	self->backend->flush_guest_tlb(self);
	for (unsigned i = 0; i < nr_vcpus; i++) {
		struct vcpu *t = vcpus[i];

		if (t == self)
			continue;
		__atomic_store_n(&t->flush_tlb, 1, __ATOMIC_SEQ_CST);
		if (wait)
			kick(t);
	}
	for (unsigned i = 0; wait && i < nr_vcpus; i++) {
		while (vcpus[i]->flush_tlb && vcpus[i]->state == VCPU_RUNNING) {
			/* Another CPU may be here at the same time, waiting
			 * for this one: take its request while waiting. */
			if (self->flush_tlb) {
				self->backend->flush_guest_tlb(self);
				__atomic_store_n(&self->flush_tlb, 0, __ATOMIC_RELEASE);
			}
			cpu_relax();
		}
	}
}

/* The AP's first C code, on its own stack and Lamina's page tables. */
void __noreturn ap_main(struct ap_start *s)
{
	struct vcpu *v = s->v;

	if (traps_init_cpu(&v->nmis)) {
		s->progress = AP_FAILED;
		cpu_halt_forever();
	}
	s->progress = AP_ARRIVED; /* the trampoline page is free again */
	if (simd_init_cpu() || simd_vcpu_init(v) || v->backend->vcpu_init(v)) {
		pr_err("cpu %u (APIC ID %u): cannot set up virtualization", v->id, v->apic_id);
		s->progress = AP_FAILED;
		cpu_halt_forever();
	}
	vcpu_receive_init(v);
	s->progress = AP_READY;
	vcpu_loop(v);
}

/* Page tables for the trampoline's jump into Lamina: its own page
 * executable at its identity address, and Lamina's higher half. */
static u64 transition_tables(u64 page)
{
	u64 *pml4 = page_alloc(1), *pdpt = page_alloc(1), *pd = page_alloc(1);
	const u64 *lamina_pml4 = phys_to_virt(read_cr3() & ~0xfffull);

	if (!pml4 || !pdpt || !pd)
		return 0;
	pd[0] = ALIGN_DOWN(page, LARGE_PAGE_SIZE) | X86_PTE_P | X86_PTE_W | PTE_PS;
	pdpt[0] = virt_to_phys(pd) | X86_PTE_P | X86_PTE_W;
	pml4[0] = virt_to_phys(pdpt) | X86_PTE_P | X86_PTE_W;
	pml4[511] = lamina_pml4[511];
	return virt_to_phys(pml4);
}

static void free_transition_tables(u64 pml4_pa)
{
	u64 *pml4 = phys_to_virt(pml4_pa);
	u64 *pdpt = phys_to_virt(pml4[0] & PT_ADDR_MASK);

	page_free(phys_to_virt(pdpt[0] & PT_ADDR_MASK), 1);
	page_free(pdpt, 1);
	page_free(pml4, 1);
}

/* A usable page below 1 MiB for the trampoline (its contents are kept). */
static u64 trampoline_page(const struct boot_info *bi)
{
	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		u64 start = ALIGN_UP(MAX(m->base, 0x10000ull), PAGE_SIZE);

		if (m->type == MEM_USABLE && start + PAGE_SIZE <= MIN(m->base + m->size, LOW_MEM_END))
			return start;
	}
	return 0;
}

struct bringup {
	const struct boot_info *bi;
	unsigned limit; /* CPUs to run at most (cpus=) */
	u32 boot_apic_id;
	u64 page;
	struct ap_trampoline_params *params;
	unsigned started, failed, over_limit, hidden;
};

static struct vcpu *new_vcpu(unsigned id, u32 apic_id)
{
	struct vcpu *v = page_alloc(ALIGN_UP(sizeof(*v), PAGE_SIZE) / PAGE_SIZE);

	if (!v)
		return NULL;
	v->id = id;
	v->apic_id = apic_id;
	v->apic_dfr = ~0u;
	v->backend = hv_backend;
	v->regs.rflags = RFLAGS_FIXED;
	v->start.mode = GUEST_START_REAL;
	return v;
}

/* INIT-SIPI-SIPI to one AP and its set-up; true when it waits for the
 * guest's SIPI. */
static bool start_ap(struct bringup *b, u32 apic_id)
{
	struct ap_start *s;
	struct vcpu *v;
	void *stack;
	u8 vector = b->page >> PAGE_SHIFT;

	if (nr_vcpus == MAX_CPUS)
		return false;
	v = new_vcpu(nr_vcpus, apic_id);
	stack = page_alloc(AP_STACK_PAGES);
	if (!v || !stack)
		return false;
	/* Its own, at the stack's far end: an AP that arrives after its time
	 * limit must not take over the next AP's vCPU. */
	s = stack;
	*s = (struct ap_start){ .v = v, .progress = AP_SENT };
	b->params->stack_top = (u64)stack + AP_STACK_PAGES * PAGE_SIZE;
	b->params->arg = (u64)s;

	apic_send_ipi(apic_id, IPI_INIT << ICR_MODE_SHIFT | ICR_ASSERT | ICR_LEVEL);
	delay_ns(INIT_DELAY_NS);
	for (unsigned sipi = 0; sipi < 2 && s->progress == AP_SENT; sipi++) {
		apic_send_ipi(apic_id, IPI_STARTUP << ICR_MODE_SHIFT | vector);
		delay_ns(SIPI_DELAY_NS);
	}
	if (!wait_progress(s, AP_SENT, AP_ARRIVE_NS) ||
	    !wait_progress(s, AP_ARRIVED, AP_READY_NS) || s->progress != AP_READY) {
		pr_warn("cpu with APIC ID %u did not start", apic_id);
		/* Back to waiting for a SIPI, before the trampoline page is
		 * given back; its stack and vCPU stay allocated. */
		apic_send_ipi(apic_id, IPI_INIT << ICR_MODE_SHIFT | ICR_ASSERT | ICR_LEVEL);
		return false;
	}
	vcpus[nr_vcpus] = v;
	__atomic_store_n(&nr_vcpus, nr_vcpus + 1, __ATOMIC_RELEASE);
	return true;
}

/* Starts each present CPU; marks disabled the ones Lamina does not run. */
static bool bring_up_or_hide(const struct madt_cpu *cpu, void *ctx)
{
	struct bringup *b = ctx;

	if (cpu->apic_id == b->boot_apic_id)
		return false;
	if (cpu->enabled && nr_vcpus >= b->limit) {
		b->over_limit++;
	} else if (cpu->enabled && b->params && start_ap(b, cpu->apic_id)) {
		b->started++;
		return false;
	} else if (cpu->enabled) {
		b->failed++;
	} else if (!cpu->online_capable) {
		return false;
	}
	b->hidden++;
	return true;
}

_Static_assert(OPT_MAX_CPUS == MAX_CPUS, "cpus= accepts what vcpus[] holds");

void smp_start_cpus(const struct boot_info *bi, unsigned max_cpus)
{
	struct acpi_header *madt = acpi_find_table(acpi_find_rsdp(bi->acpi_rsdp), "APIC");
	struct bringup b = { .bi = bi, .limit = max_cpus ? max_cpus : MAX_CPUS,
			     .boot_apic_id = apic_id() };
	u8 saved[PAGE_SIZE];
	u64 cr3 = 0;

	if (!madt) {
		pr_warn("no ACPI MADT: Lamina runs the boot CPU only");
		return;
	}
	if (!hv_backend->wait_for_sipi)
		pr_warn("the %s backend cannot run application processors yet", hv_backend->name);
	else
		b.page = trampoline_page(bi);
	if (b.page)
		cr3 = transition_tables(b.page);
	if (cr3) {
		b.params = phys_to_virt(b.page + (ap_trampoline_params - ap_trampoline));
		memcpy(saved, phys_to_virt(b.page), PAGE_SIZE);
		memcpy(phys_to_virt(b.page), ap_trampoline, ap_trampoline_end - ap_trampoline);
		*b.params = (struct ap_trampoline_params){
			.transition_cr3 = cr3,
			.entry = (u64)ap_entry64,
			.cr3 = read_cr3(),
		};
	} else if (hv_backend->wait_for_sipi) {
		pr_err("no low page or memory for the AP trampoline");
	}
	madt_for_each_cpu(madt, bring_up_or_hide, &b);
	if (cr3) {
		memcpy(phys_to_virt(b.page), saved, PAGE_SIZE);
		free_transition_tables(cr3);
	}
	pr_info("cpus: %u running under Lamina (boot CPU APIC ID %u)", nr_vcpus, b.boot_apic_id);
	if (b.hidden)
		pr_warn("%u CPUs hidden from the guest (%u failed to start, %u beyond cpus=%u)",
			b.hidden, b.failed, b.over_limit, b.limit);
}
