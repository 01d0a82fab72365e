/* Common exit handling for both backends. */
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/guard.h"
#include "arch/x86/guest_regs.h"
#include "arch/x86/mmio.h"
#include "arch/x86/smp.h"
#include "arch/x86/traps.h"
#include "arch/x86/nested.h"
#include "core/hypercall.h"
#include "core/log.h"
#include "core/vcpu.h"

const char *const exit_reason_names[EXIT_REASON_COUNT] = {
	[EXIT_CPUID] = "cpuid",
	[EXIT_MSR_READ] = "msr_read",
	[EXIT_MSR_WRITE] = "msr_write",
	[EXIT_HYPERCALL] = "hypercall",
	[EXIT_NESTED_FAULT] = "nested_fault",
	[EXIT_VIRT_INSN] = "virt_insn",
	[EXIT_DEBUG_TRAP] = "debug_trap",
	[EXIT_SHUTDOWN] = "shutdown",
	[EXIT_INVALID_STATE] = "invalid_state",
	[EXIT_CR_ACCESS] = "cr_access",
	[EXIT_XSETBV] = "xsetbv",
	[EXIT_IO] = "io",
	[EXIT_MMIO] = "mmio",
	[EXIT_INIT] = "init",
	[EXIT_SIPI] = "sipi",
	[EXIT_NMI] = "nmi",
	[EXIT_UNKNOWN] = "unknown",
};

/* The backends' entry code moves registers by these offsets. */
#define CHECK_GR(field, off) _Static_assert(offsetof(struct guest_regs, field) == off, #field)
CHECK_GR(rax, GR_RAX); CHECK_GR(rbx, GR_RBX); CHECK_GR(rcx, GR_RCX); CHECK_GR(rdx, GR_RDX);
CHECK_GR(rsi, GR_RSI); CHECK_GR(rdi, GR_RDI); CHECK_GR(rbp, GR_RBP); CHECK_GR(rsp, GR_RSP);
CHECK_GR(r8, GR_R8); CHECK_GR(r9, GR_R9); CHECK_GR(r10, GR_R10); CHECK_GR(r11, GR_R11);
CHECK_GR(r12, GR_R12); CHECK_GR(r13, GR_R13); CHECK_GR(r14, GR_R14); CHECK_GR(r15, GR_R15);

struct vcpu *vcpus[MAX_CPUS];
unsigned nr_vcpus;

#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID7_ECX_OSPKE BIT(4)
#define CPUID_EXT_ECX_SVM BIT(2)
#define CR4_PKE BIT(22)

/* The guest sees the real CPU, minus hardware virtualization (Lamina does
 * not offer nested virtualization), with the OS-controlled bits reflecting
 * the guest's CR4 rather than Lamina's. */
static void handle_cpuid(struct vcpu *v)
{
	u32 leaf = v->regs.rax, sub = v->regs.rcx;
	struct cpuid_regs r = cpuid(leaf, sub);
	u64 cr4 = v->backend->guest_cr4(v);

	switch (leaf) {
	case 1:
		r.ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_OSXSAVE);
		if (cr4 & CR4_OSXSAVE)
			r.ecx |= CPUID1_ECX_OSXSAVE;
		break;
	case 7:
		if (sub == 0) {
			r.ecx &= ~CPUID7_ECX_OSPKE;
			if (cr4 & CR4_PKE)
				r.ecx |= CPUID7_ECX_OSPKE;
		}
		break;
	case 0x80000001:
		r.ecx &= ~CPUID_EXT_ECX_SVM;
		break;
	case 0x8000000a:
		r = (struct cpuid_regs){ 0 };
		break;
	}
	v->regs.rax = r.eax;
	v->regs.rbx = r.ebx;
	v->regs.rcx = r.ecx;
	v->regs.rdx = r.edx;
}

static void __noreturn fatal_guest_exit(struct vcpu *v, const struct vcpu_exit *e,
					const char *why)
{
	pr_err("%s on cpu %u: exit %s (hardware code %llx)", why, v->id,
	       exit_reason_names[e->reason], (unsigned long long)e->hw_code);
	log_write(LOG_ERR, "  guest rip %016llx rsp %016llx rflags %016llx",
		  (unsigned long long)v->regs.rip, (unsigned long long)v->regs.rsp,
		  (unsigned long long)v->regs.rflags);
	log_write(LOG_ERR, "  rax %016llx rbx %016llx rcx %016llx rdx %016llx",
		  (unsigned long long)v->regs.rax, (unsigned long long)v->regs.rbx,
		  (unsigned long long)v->regs.rcx, (unsigned long long)v->regs.rdx);
	log_write(LOG_ERR, "  rsi %016llx rdi %016llx rbp %016llx",
		  (unsigned long long)v->regs.rsi, (unsigned long long)v->regs.rdi,
		  (unsigned long long)v->regs.rbp);
	v->backend->dump_state(v);
	log_write(LOG_ERR, "resetting the machine");
	machine_reset();
}

static void handle_nested_fault(struct vcpu *v, const struct vcpu_exit *e)
{
	if (guard_handle_fault(v, e))
		return;
	if (nested_map_on_demand(e->fault.gpa)) {
		v->backend->flush_guest_tlb(v);
		return;
	}
	pr_err("guest access to unmappable address %llx",
	       (unsigned long long)e->fault.gpa);
	fatal_guest_exit(v, e, "unhandled nested page fault");
}

static void handle_exit(struct vcpu *v, const struct vcpu_exit *e)
{
	const struct vcpu_backend *b = v->backend;

	switch (e->reason) {
	case EXIT_CPUID:
		handle_cpuid(v);
		b->skip_insn(v, e, e->insn_len);
		break;
	case EXIT_HYPERCALL:
		hypercall_dispatch(&v->regs);
		b->skip_insn(v, e, e->insn_len);
		break;
	case EXIT_MSR_WRITE:
		if (e->msr == MSR_X2APIC_ICR) {
			apic_guest_x2apic_icr(v, v->regs.rdx << 32 | (u32)v->regs.rax);
			b->skip_insn(v, e, e->insn_len);
			break;
		}
		/* fall through */
	case EXIT_MSR_READ:
		/* Only MSRs a backend handles itself are intercepted. */
		b->inject_exception(v, VEC_GP, true, 0);
		break;
	case EXIT_NMI:
		break; /* taken and accounted for by vcpu_loop() */
	case EXIT_VIRT_INSN:
		b->inject_exception(v, VEC_UD, false, 0);
		break;
	case EXIT_NESTED_FAULT:
		handle_nested_fault(v, e);
		break;
	case EXIT_MMIO:
		mmio_handle_exit(v, e);
		break;
	case EXIT_IO:
		io_handle_exit(v, e);
		break;
	case EXIT_DEBUG_TRAP:
		if (!guard_handle_debug_trap(v) && !emul_handle_debug_trap(v))
			b->inject_exception(v, VEC_DB, false, 0);
		break;
	case EXIT_INIT:
		vcpu_receive_init(v);
		break;
	case EXIT_SIPI:
		vcpu_receive_sipi(v, e->sipi_vector);
		break;
	case EXIT_SHUTDOWN:
		fatal_guest_exit(v, e, "guest triple fault (shutdown)");
	case EXIT_INVALID_STATE:
		fatal_guest_exit(v, e, "hardware rejected the guest state");
	default:
		fatal_guest_exit(v, e, "unexpected exit");
	}
}

/* INIT and startup IPIs other CPUs posted to v. */
static void take_requests(struct vcpu *v)
{
	u32 req = __atomic_exchange_n(&v->requests, 0, __ATOMIC_ACQ_REL);

	if (req & VCPU_REQ_INIT)
		vcpu_receive_init(v);
	if (req & VCPU_REQ_SIPI)
		vcpu_receive_sipi(v, v->sipi_vector);
}

/* NMIs the CPU took in Lamina since the last look: another CPU's kick
 * (at most one per kick flag), else the guest's, which it gets back -
 * several pending NMIs are one, as in the CPU's own latch.  A CPU that
 * waits for a SIPI ignores NMIs, as on bare metal. */
static void account_nmis(struct vcpu *v)
{
	u32 n = v->nmis - v->nmis_seen;

	if (!n)
		return;
	v->nmis_seen += n;
	if (__atomic_exchange_n(&v->kick, 0, __ATOMIC_ACQ_REL))
		n--;
	if (n && v->state == VCPU_RUNNING && v->backend->inject_nmi)
		v->backend->inject_nmi(v);
}

void __noreturn vcpu_loop(struct vcpu *v)
{
	struct vcpu_exit e;

	for (;;) {
		if (v->requests)
			take_requests(v);
		if (v->state == VCPU_WAIT_SIPI && !v->backend->hw_init_sipi) {
			nmi_wait_nonzero(&v->requests);
			account_nmis(v);
			continue;
		}
		if (v->flush_tlb) {
			v->backend->flush_guest_tlb(v);
			__atomic_store_n(&v->flush_tlb, 0, __ATOMIC_RELEASE);
		}
		v->backend->run(v, &e);
		account_nmis(v);
		/* A fault on a trapped device page is an MMIO exit. */
		if (e.reason == EXIT_NESTED_FAULT && mmio_claims(e.fault.gpa))
			e.reason = EXIT_MMIO;
		u64 start = rdtsc();

		vcpu_count_exit(v, e.reason);
		handle_exit(v, &e);
		v->exit_cycles[e.reason] += rdtsc() - start;
	}
}
