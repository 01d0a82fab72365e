/*
 * AMD SVM backend: VMCB set-up, the run loop, and the few exits whose
 * handling only SVM needs (EFER.SVME and the SVM MSRs the guest must not
 * see).  Everything else is decoded into a struct vcpu_exit for common code.
 */
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "arch/x86/mmio.h"
#include "arch/x86/nested.h"
#include "arch/x86/pagetable.h"
#include "arch/x86/svm/vmcb.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/string.h"
#include "core/vcpu.h"

#define ENODEV 19
#define ENOMEM 12

#define SVM_GUEST_ASID 1
#define MSRPM_PAGES 2

void svm_vmrun(u64 vmcb_pa, struct guest_regs *regs, u64 host_vmcb_pa);

static u8 *msrpm;
static void *iopm;
static bool has_nrip_save;

/* Guest-visible EFER bits; SVME is always set underneath but never shown. */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSR | EFER_TCE)

#define MSRPM_READ 1
#define MSRPM_WRITE 2
#define CPUID1_ECX_X2APIC BIT(21)

static void msrpm_intercept(u32 msr, unsigned rw)
{
	u32 base;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xc0000000u < 0x2000)
		base = 0x800;
	else if (msr - 0xc0010000u < 0x2000)
		base = 0x1000;
	else
		return;
	u32 bit = (msr & 0x1fff) * 2;

	msrpm[base + bit / 8] |= rw << (bit % 8);
}

static int svm_probe(void)
{
	if (!(cpuid(0x80000001, 0).ecx & BIT(2))) {
		pr_err("this CPU has no AMD SVM");
		return -ENODEV;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("SVM is disabled by the firmware (VM_CR.SVMDIS)");
		return -ENODEV;
	}
	struct cpuid_regs svm = cpuid(0x8000000a, 0);

	if (!(svm.edx & BIT(0))) {
		pr_err("this CPU's SVM has no nested paging (NPT)");
		return -ENODEV;
	}
	has_nrip_save = svm.edx & BIT(3);
	return 0;
}

static int svm_global_init(void)
{
	if (msrpm)
		return 0;
	msrpm = page_alloc(MSRPM_PAGES);
	/* One bit per port, shared with the trap registry (arch/x86/mmio.c):
	 * ports it registers are intercepted, no others. */
	iopm = io_intercept_bitmap();
	if (!msrpm || !iopm)
		return -ENOMEM;
	msrpm_intercept(MSR_EFER, MSRPM_READ | MSRPM_WRITE);
	msrpm_intercept(MSR_VM_CR, MSRPM_READ | MSRPM_WRITE);
	msrpm_intercept(MSR_VM_HSAVE_PA, MSRPM_READ | MSRPM_WRITE);
	/* The guest's INIT and startup IPIs are emulated (arch/x86/apic.c). */
	if (cpuid(1, 0).ecx & CPUID1_ECX_X2APIC)
		msrpm_intercept(MSR_X2APIC_ICR, MSRPM_WRITE);
	return 0;
}

static void set_flat_seg(struct vmcb_seg *s, u16 sel, u16 attrib)
{
	*s = (struct vmcb_seg){ .selector = sel, .attrib = attrib, .limit = 0xffffffff };
}

/* Real mode as the BIOS leaves it for a boot sector: 64 KiB segments at
 * selector * 16, the IVT at 0, caches on.  With nested paging SVM runs
 * real-mode code directly. */
static void init_real_mode(struct vmcb_save *g, const struct vcpu *v)
{
	u16 sel = v->start.real_seg;
	struct vmcb_seg code = { .selector = sel, .attrib = 0x9b, .limit = 0xffff,
				 .base = (u64)sel << 4 };
	struct vmcb_seg data = code;

	data.attrib = 0x93;
	g->cs = code;
	g->ds = g->es = g->ss = g->fs = g->gs = data;
	g->gdtr = (struct vmcb_seg){ .limit = 0xffff };
	g->idtr = (struct vmcb_seg){ .limit = 0x3ff };
	g->cr0 = CR0_ET;
}

/* Linux 32-bit boot protocol: flat 4 GiB segments, paging off. */
static void init_flat32(struct vmcb_save *g, const struct vcpu *v)
{
	set_flat_seg(&g->cs, 0x10, 0xc9b);
	set_flat_seg(&g->ds, 0x18, 0xc93);
	set_flat_seg(&g->es, 0x18, 0xc93);
	set_flat_seg(&g->ss, 0x18, 0xc93);
	set_flat_seg(&g->fs, 0x18, 0xc93);
	set_flat_seg(&g->gs, 0x18, 0xc93);
	g->gdtr.base = v->start.gdt_base;
	g->gdtr.limit = v->start.gdt_limit;
	g->cr0 = CR0_PE | CR0_ET;
}

static void init_guest_state(struct vmcb_save *g, const struct vcpu *v)
{
	if (v->start.mode == GUEST_START_REAL)
		init_real_mode(g, v);
	else
		init_flat32(g, v);
	g->ldtr = (struct vmcb_seg){ .attrib = 0x82, .limit = 0xffff };
	g->tr = (struct vmcb_seg){ .attrib = 0x8b, .limit = 0xffff };
	g->efer = EFER_SVME;
	g->dr6 = 0xffff0ff0;
	g->dr7 = 0x400;
	g->g_pat = PAT_POWER_ON;
	g->rflags = v->regs.rflags;
	g->rip = v->regs.rip;
}

static int svm_vcpu_init(struct vcpu *v)
{
	struct svm_vcpu *s = &v->arch.svm;
	void *host_vmcb = page_alloc(1), *hsave = page_alloc(1);
	int err = svm_global_init();

	s->vmcb = page_alloc(1);
	if (err || !s->vmcb || !host_vmcb || !hsave)
		return -ENOMEM;
	s->vmcb_pa = virt_to_phys(s->vmcb);
	s->host_vmcb_pa = virt_to_phys(host_vmcb);
	s->hsave_pa = virt_to_phys(hsave);

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, s->hsave_pa);
	asm volatile("vmsave %0" : : "a"(s->host_vmcb_pa) : "memory");

	struct vmcb_control *c = &s->vmcb->control;

	/* NMIs: other CPUs' kicks (arch/x86/smp.c); the guest's own NMIs are
	 * given back to it. */
	c->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_IOIO |
			     SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_NMI;
	/* The guest sees no SVM: all its SVM instructions must #UD. */
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL |
			     SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE |
			     SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT;
	c->iopm_base_pa = virt_to_phys(iopm);
	c->msrpm_base_pa = virt_to_phys(msrpm);
	c->guest_asid = SVM_GUEST_ASID;
	c->tlb_control = SVM_TLB_FLUSH_ALL;
	c->np_control = SVM_NP_ENABLE;
	c->n_cr3 = nested_root_pa();
	init_guest_state(&s->vmcb->save, v);
	return 0;
}

static void svm_skip_insn(struct vcpu *v, const struct vcpu_exit *exit, unsigned len_hint)
{
	(void)exit;
	if (has_nrip_save && v->arch.svm.vmcb->control.next_rip)
		v->regs.rip = v->arch.svm.vmcb->control.next_rip;
	else
		v->regs.rip += len_hint;
}

static void svm_inject_exception(struct vcpu *v, unsigned vector, bool has_error, u32 error)
{
	u64 ev = vector | SVM_EVENT_TYPE_EXCEPTION | SVM_EVENT_VALID;

	if (has_error)
		ev |= SVM_EVENT_ERROR_VALID | (u64)error << 32;
	v->arch.svm.vmcb->control.event_inject = ev;
}

static void svm_set_single_step(struct vcpu *v, bool on)
{
	struct svm_vcpu *s = &v->arch.svm;

	if (on) {
		s->saved_tf = v->regs.rflags & RFLAGS_TF;
		s->saved_dr6 = s->vmcb->save.dr6;
		v->regs.rflags |= RFLAGS_TF;
		s->vmcb->control.intercept_exceptions |= BIT(VEC_DB);
	} else {
		v->regs.rflags = (v->regs.rflags & ~RFLAGS_TF) | (s->saved_tf ? RFLAGS_TF : 0);
		s->vmcb->save.dr6 = s->saved_dr6;
		s->vmcb->control.intercept_exceptions &= ~BIT(VEC_DB);
	}
}

static void svm_flush_guest_tlb(struct vcpu *v)
{
	v->arch.svm.vmcb->control.tlb_control = SVM_TLB_FLUSH_ALL;
}

/* The SVM MSRs: the guest sees a CPU whose SVM is disabled. */
static bool handle_svm_msr(struct vcpu *v, u32 msr, bool write)
{
	struct svm_vcpu *s = &v->arch.svm;
	u64 value = (v->regs.rdx << 32) | (u32)v->regs.rax;

	if (msr == MSR_EFER && write) {
		if (value & ~EFER_GUEST_BITS)
			return false; /* reserved bit or SVME: #GP as on real hardware */
		s->vmcb->save.efer = (value & ~EFER_LMA) | (s->vmcb->save.efer & EFER_LMA) |
				     EFER_SVME;
		return true;
	}
	if (write) {
		if (msr == MSR_VM_HSAVE_PA)
			s->guest_hsave_pa = value;
		return true; /* VM_CR is locked: writes are dropped */
	}
	if (msr == MSR_EFER)
		value = s->vmcb->save.efer & ~EFER_SVME;
	else if (msr == MSR_VM_CR)
		value = VM_CR_SVMDIS | BIT(3); /* disabled and locked */
	else
		value = s->guest_hsave_pa;
	v->regs.rax = (u32)value;
	v->regs.rdx = value >> 32;
	return true;
}

static void decode_exit(struct vcpu *v, struct vcpu_exit *e)
{
	const struct vmcb_control *c = &v->arch.svm.vmcb->control;

	*e = (struct vcpu_exit){
		.hw_code = c->exit_code,
		.hw_info1 = c->exit_info1,
		.hw_info2 = c->exit_info2,
		.reason = EXIT_UNKNOWN,
	};
	switch (c->exit_code) {
	case SVM_EXIT_CPUID:
		e->reason = EXIT_CPUID;
		e->insn_len = 2;
		break;
	case SVM_EXIT_MSR:
		e->reason = c->exit_info1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
		e->msr = (u32)v->regs.rcx;
		e->insn_len = 2;
		break;
	case SVM_EXIT_VMMCALL:
		e->reason = EXIT_HYPERCALL;
		e->insn_len = 3;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		e->reason = EXIT_VIRT_INSN;
		e->insn_len = 3;
		break;
	case SVM_EXIT_IOIO:
		e->reason = EXIT_IO;
		e->io.port = c->exit_info1 >> 16;
		e->io.in = c->exit_info1 & IOIO_IN;
		e->io.string = c->exit_info1 & IOIO_STR;
		e->io.rep = c->exit_info1 & IOIO_REP;
		e->io.size = c->exit_info1 & IOIO_SZ8 ? 1 : c->exit_info1 & IOIO_SZ16 ? 2 : 4;
		e->insn_len = c->exit_info2 - v->regs.rip; /* exit_info2: the next RIP */
		break;
	case SVM_EXIT_NPF:
		e->reason = EXIT_NESTED_FAULT;
		e->fault.gpa = c->exit_info2;
		e->fault.write = c->exit_info1 & NPF_WRITE;
		e->fault.exec = c->exit_info1 & NPF_FETCH;
		e->fault.final = (c->exit_info1 & (NPF_FINAL_GPA | NPF_TABLE_GPA)) == NPF_FINAL_GPA &&
				 !(c->exit_int_info & SVM_EVENT_VALID);
		break;
	case SVM_EXIT_EXCP_BASE + VEC_DB:
		e->reason = EXIT_DEBUG_TRAP;
		break;
	case SVM_EXIT_NMI:
		e->reason = EXIT_NMI;
		break;
	case SVM_EXIT_SHUTDOWN:
		e->reason = EXIT_SHUTDOWN;
		break;
	case SVM_EXIT_INVALID:
		e->reason = EXIT_INVALID_STATE;
		break;
	}
}

/* An injected NMI does not block the next one as a real NMI would, and
 * Linux's NMI entry breaks on an NMI nested where the CPU never delivers
 * one (seen: its NMI stack overflowed).  So Lamina holds the next NMI
 * until the guest's first IRET after it (the CPU unblocks NMIs at an IRET
 * too): the IRET intercept, on only while an NMI is in the guest.  The
 * held NMI goes in at that IRET, before it executes - the point right
 * after the handler's last instruction, which Linux expects an NMI to
 * hit (it takes it as nested and repeats its handler). */
static void give_nmi(struct svm_vcpu *s)
{
	s->vmcb->control.event_inject = 2 | SVM_EVENT_TYPE_NMI | SVM_EVENT_VALID;
	s->vmcb->control.intercept_misc1 |= SVM_INTERCEPT_IRET;
	s->nmi_pending = false;
	s->nmi_masked = true;
}

static void nmi_unmask(struct svm_vcpu *s)
{
	s->vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT_IRET;
	s->nmi_masked = false;
}

static void svm_run(struct vcpu *v, struct vcpu_exit *exit)
{
	struct svm_vcpu *s = &v->arch.svm;
	struct vmcb *vmcb = s->vmcb;

	for (;;) {
		vmcb->save.rax = v->regs.rax;
		vmcb->save.rsp = v->regs.rsp;
		vmcb->save.rip = v->regs.rip;
		vmcb->save.rflags = v->regs.rflags;
		if (s->nmi_pending && !s->nmi_masked &&
		    !(vmcb->control.event_inject & SVM_EVENT_VALID))
			give_nmi(s);
		svm_vmrun(s->vmcb_pa, &v->regs, s->host_vmcb_pa);
		v->regs.rax = vmcb->save.rax;
		v->regs.rsp = vmcb->save.rsp;
		v->regs.rip = vmcb->save.rip;
		v->regs.rflags = vmcb->save.rflags;

		vmcb->control.tlb_control = 0;
		/* An event cut short by the exit (e.g. an interrupt whose
		 * delivery hit a nested fault) must be delivered again. */
		vmcb->control.event_inject = vmcb->control.exit_int_info & SVM_EVENT_VALID
						     ? vmcb->control.exit_int_info : 0;

		if (vmcb->control.exit_code == SVM_EXIT_IRET) {
			nmi_unmask(s);
			continue;
		}
		decode_exit(v, exit);
		if ((exit->reason == EXIT_MSR_READ || exit->reason == EXIT_MSR_WRITE) &&
		    (exit->msr == MSR_EFER || exit->msr == MSR_VM_CR ||
		     exit->msr == MSR_VM_HSAVE_PA)) {
			vcpu_count_exit(v, exit->reason);
			if (handle_svm_msr(v, exit->msr, exit->reason == EXIT_MSR_WRITE))
				svm_skip_insn(v, exit, 2);
			else
				svm_inject_exception(v, VEC_GP, true, 0);
			continue;
		}
		return;
	}
}

/* INIT never reaches an AP under SVM (arch/x86/apic.c): the parts of its
 * effect that live outside the VMCB are done here, on the CPU itself. */
static void svm_wait_for_sipi(struct vcpu *v)
{
	v->arch.svm.nmi_pending = false;
	nmi_unmask(&v->arch.svm);
	apic_init_reset();
}

/* The state INIT leaves, then the SIPI's real-mode start at vector:0. */
static void svm_start_at_sipi(struct vcpu *v, u8 vector)
{
	struct vmcb *vmcb = v->arch.svm.vmcb;
	struct vmcb_seg zero_data = { .attrib = 0x93, .limit = 0xffff };

	v->regs = (struct guest_regs){ .rflags = RFLAGS_FIXED, .rdx = cpuid(1, 0).eax };
	v->start = (struct guest_start){ .mode = GUEST_START_REAL, .real_seg = (u16)vector << 8 };
	memset(&vmcb->save, 0, sizeof(vmcb->save));
	init_guest_state(&vmcb->save, v);
	vmcb->save.ds = vmcb->save.es = vmcb->save.ss = zero_data;
	vmcb->save.fs = vmcb->save.gs = zero_data;
	vmcb->save.cr0 = CR0_ET | CR0_CD | CR0_NW;
	vmcb->control.event_inject = 0;
	vmcb->control.intercept_exceptions = 0;
	vmcb->control.tlb_control = SVM_TLB_FLUSH_ALL;
}

static void svm_inject_nmi(struct vcpu *v)
{
	v->arch.svm.nmi_pending = true;
}

static void print_seg(const char *name, const struct vmcb_seg *s)
{
	log_write(LOG_ERR, "  %-4s sel %04x attr %03x limit %08x base %016llx", name,
		  s->selector, s->attrib, s->limit, (unsigned long long)s->base);
}

static void svm_dump_state(struct vcpu *v)
{
	const struct vmcb *vmcb = v->arch.svm.vmcb;
	const struct vmcb_save *g = &vmcb->save;

	log_write(LOG_ERR, "  exit code %llx info1 %llx info2 %llx int_info %llx",
		  (unsigned long long)vmcb->control.exit_code,
		  (unsigned long long)vmcb->control.exit_info1,
		  (unsigned long long)vmcb->control.exit_info2,
		  (unsigned long long)vmcb->control.exit_int_info);
	log_write(LOG_ERR, "  cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx cpl %u",
		  (unsigned long long)g->cr0, (unsigned long long)g->cr2,
		  (unsigned long long)g->cr3, (unsigned long long)g->cr4,
		  (unsigned long long)g->efer, g->cpl);
	print_seg("cs", &g->cs);
	print_seg("ss", &g->ss);
	print_seg("tr", &g->tr);
	log_write(LOG_ERR, "  gdtr %016llx/%x idtr %016llx/%x",
		  (unsigned long long)g->gdtr.base, g->gdtr.limit,
		  (unsigned long long)g->idtr.base, g->idtr.limit);
}

#define VMCB_ATTR_L BIT(9)
#define VMCB_ATTR_DB BIT(10)

static void svm_get_sysregs(struct vcpu *v, struct guest_sysregs *r)
{
	const struct vmcb_save *g = &v->arch.svm.vmcb->save;

	*r = (struct guest_sysregs){
		.cr0 = g->cr0, .cr3 = g->cr3, .cr4 = g->cr4, .efer = g->efer & ~EFER_SVME,
		.seg_base = { g->es.base, g->cs.base, g->ss.base, g->ds.base, g->fs.base,
			      g->gs.base },
		.cs_l = g->cs.attrib & VMCB_ATTR_L,
		.cs_db = g->cs.attrib & VMCB_ATTR_DB,
		.cpl = g->cpl,
	};
}

static u64 svm_guest_cr4(struct vcpu *v)
{
	return v->arch.svm.vmcb->save.cr4;
}

/* Nested walks are user-mode accesses, so every NPT entry carries US. */
static u64 npt_table(u64 pa)
{
	return pa | X86_PTE_P | X86_PTE_W | X86_PTE_US;
}

static u64 npt_leaf(u64 pa, unsigned perms, unsigned level)
{
	return x86_pte_leaf(pa, perms, level, X86_PTE_US, X86_PTE_NX);
}

static unsigned npt_perms(u64 e)
{
	return x86_pte_perms(e, X86_PTE_NX);
}

static struct pt_format npt_format = {
	.table = npt_table,
	.leaf = npt_leaf,
	.present = x86_pte_present,
	.perms = npt_perms,
	.max_leaf_level = 1,
};

const struct vcpu_backend svm_backend;

const struct vcpu_backend *svm_backend_probe(void)
{
	if (svm_probe())
		return NULL;
	if (cpuid(0x80000001, 0).edx & BIT(26))
		npt_format.max_leaf_level = 2; /* 1 GiB pages */
	return &svm_backend;
}

const struct vcpu_backend svm_backend = {
	.name = "svm",
	.paging = "npt",
	.vcpu_init = svm_vcpu_init,
	.run = svm_run,
	.skip_insn = svm_skip_insn,
	.inject_exception = svm_inject_exception,
	.set_single_step = svm_set_single_step,
	.flush_guest_tlb = svm_flush_guest_tlb,
	.dump_state = svm_dump_state,
	.guest_cr4 = svm_guest_cr4,
	.get_sysregs = svm_get_sysregs,
	.nested_format = &npt_format,
	.real_mode = true,
	.wait_for_sipi = svm_wait_for_sipi,
	.start_at_sipi = svm_start_at_sipi,
	.inject_nmi = svm_inject_nmi,
	.hw_init_sipi = false,
};
