/*
 * Intel VT-x backend: VMXON, one VMCS per vCPU, EPT, the run loop, and
 * the exits only VT-x has (CR0/CR4 writes to host-owned bits, XSETBV,
 * INVD, the VMX feature-control MSR).  Everything else is decoded into a
 * struct vcpu_exit for common code.  See docs/vmx.md.
 */
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "arch/x86/mmio.h"
#include "arch/x86/nested.h"
#include "arch/x86/pagetable.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/vcpu.h"

#define ENODEV 19
#define ENOMEM 12
#define EIO 5

#define VMX_GUEST_VPID 1
#define CR4_VMXE BIT(13)
#define CR0_TS BIT(3)
#define CR0_LMSW_BITS 0xfull /* PE, MP, EM, TS */
#define RFLAGS_CF BIT(0)
#define RFLAGS_ZF BIT(6)
#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_XSAVE BIT(26)
#define EPT_QUAL_NMI_UNBLOCK BIT(12)
#define PENDING_DBG_BS BIT(14)
#define VEC_NMI 2

int vmx_enter(struct guest_regs *regs, int launched);
extern char vmx_exit[];

/* What the CPU offers, read once from the capability MSRs on the boot CPU
 * (vmx_backend_probe, before any other CPU starts); read-only afterwards,
 * like the bitmaps and masks below, so every CPU's exits share them. */
static struct {
	u64 basic, ept_vpid, misc;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 pin, proc, proc2, exit, entry; /* the settings Lamina uses */
	bool vpid;
	bool mtf; /* monitor trap flag (Bochs's corei7_haswell_4770 lacks it) */
} vmx;

static u8 *msr_bitmap;
static u8 *io_bitmap; /* the trap registry's (arch/x86/mmio.c) */

/* Bits of the guest's CR0/CR4 that Lamina owns: the guest sees them in
 * the read shadow and its writes of them exit. */
static u64 cr0_mask, cr4_mask;

/* ------------------------------------------------------------ VMCS access */

static inline bool vmx_failed(u64 rflags)
{
	return rflags & (RFLAGS_CF | RFLAGS_ZF);
}

static u64 vmread(u32 enc)
{
	u64 v = 0;

	asm volatile("vmread %1, %0" : "=r"(v) : "r"((u64)enc) : "cc");
	return v;
}

static void vmwrite(u32 enc, u64 value)
{
	u64 flags;

	asm volatile("vmwrite %1, %2\n\tpushfq\n\tpopq %0"
		     : "=r"(flags) : "r"(value), "r"((u64)enc) : "cc", "memory");
	if (unlikely(vmx_failed(flags)))
		pr_err("vmwrite of VMCS field %04x (value %llx) failed, VM-instruction error %llu",
		       enc, (unsigned long long)value, (unsigned long long)vmread(0x4400));
}

static inline u16 vmcs_read16(struct vmcs_f16 f) { return vmread(f.enc); }
static inline u32 vmcs_read32(struct vmcs_f32 f) { return vmread(f.enc); }
static inline u64 vmcs_read64(struct vmcs_f64 f) { return vmread(f.enc); }
static inline u64 vmcs_readn(struct vmcs_fn f) { return vmread(f.enc); }
static inline void vmcs_write16(struct vmcs_f16 f, u16 v) { vmwrite(f.enc, v); }
static inline void vmcs_write32(struct vmcs_f32 f, u32 v) { vmwrite(f.enc, v); }
static inline void vmcs_write64(struct vmcs_f64 f, u64 v) { vmwrite(f.enc, v); }
static inline void vmcs_writen(struct vmcs_fn f, u64 v) { vmwrite(f.enc, v); }

static bool vmx_insn_mem(const char *insn_fails, u64 pa)
{
	u64 flags;

	/* The three take a 64-bit memory operand holding a physical address. */
	if (insn_fails[0] == 'o')
		asm volatile("vmxon %1\n\tpushfq\n\tpopq %0" : "=r"(flags) : "m"(pa) : "cc", "memory");
	else if (insn_fails[0] == 'c')
		asm volatile("vmclear %1\n\tpushfq\n\tpopq %0" : "=r"(flags) : "m"(pa) : "cc", "memory");
	else
		asm volatile("vmptrld %1\n\tpushfq\n\tpopq %0" : "=r"(flags) : "m"(pa) : "cc", "memory");
	return !vmx_failed(flags);
}

static void invept(u64 type, u64 ept_pointer)
{
	struct { u64 eptp, zero; } desc = { ept_pointer, 0 };

	asm volatile("invept %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

static void invvpid(u64 type, u16 vpid)
{
	struct { u64 vpid, addr; } desc = { vpid, 0 };

	asm volatile("invvpid %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

/* The nested tables are built once, after the probe, and never move. */
static u64 ept_pointer(void)
{
	return nested_root_pa() | MEMTYPE_WB | EPTP_WALK4;
}

/* Both flushes act on the calling CPU's TLBs only. */
static void flush_ept(void)
{
	invept(vmx.ept_vpid & EPT_CAP_INVEPT_SINGLE ? INVEPT_SINGLE : INVEPT_ALL, ept_pointer());
}

/* Guest-linear translations Lamina changed behind the guest's back (an
 * emulated CR0/CR4 write, INIT): dropped as the CPU would have. */
static void flush_guest_linear(void)
{
	if (vmx.vpid)
		invvpid(vmx.ept_vpid & VPID_CAP_SINGLE ? INVVPID_SINGLE : INVVPID_ALL,
			VMX_GUEST_VPID);
}

/* ---------------------------------------------------------------- probe */

/* A control field's value: the bits Lamina needs, the optional ones the
 * CPU allows, and the ones the CPU requires (allowed-0 settings).  The
 * capability MSR has the required bits low and the allowed bits high. */
static int adjust_controls(const char *name, u64 cap, u32 need, u32 optional, u32 *out)
{
	u32 must = (u32)cap, may = cap >> 32;

	if (need & ~may) {
		pr_err("this CPU's VMX lacks %s controls %x", name, need & ~may);
		return -ENODEV;
	}
	*out = need | (optional & may) | must;
	return 0;
}

/* IA32_FEATURE_CONTROL is per CPU: each one checks (and may lock) its own. */
static int enable_feature_control(void)
{
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);

	if (!(fc & FEATURE_CONTROL_LOCK)) {
		/* Firmware left it open: enable VMX outside SMX and lock. */
		wrmsr(MSR_FEATURE_CONTROL, fc | FEATURE_CONTROL_VMX | FEATURE_CONTROL_LOCK);
	} else if (!(fc & FEATURE_CONTROL_VMX)) {
		pr_err("VT-x is disabled by the firmware (IA32_FEATURE_CONTROL %llx is locked "
		       "without VMX enabled): enable it in the firmware setup",
		       (unsigned long long)fc);
		return -ENODEV;
	}
	return 0;
}

static int vmx_probe(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX)) {
		pr_err("this CPU has no Intel VT-x (VMX)");
		return -ENODEV;
	}
	if (enable_feature_control())
		return -ENODEV;

	vmx.basic = rdmsr(MSR_VMX_BASIC);
	if (VMX_BASIC_SIZE(vmx.basic) > PAGE_SIZE || VMX_BASIC_MEMTYPE(vmx.basic) != MEMTYPE_WB) {
		pr_err("unsupported VMX_BASIC %llx (VMCS larger than a page or not write-back)",
		       (unsigned long long)vmx.basic);
		return -ENODEV;
	}
	bool true_ctls = vmx.basic & VMX_BASIC_TRUE_CTLS;

	vmx.misc = rdmsr(MSR_VMX_MISC);
	vmx.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	vmx.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	vmx.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	vmx.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);

	/* No interrupt or NMI exiting: the guest's interrupts are its own. */
	int err = adjust_controls("pin-based", rdmsr(true_ctls ? MSR_VMX_TRUE_PINBASED
							       : MSR_VMX_PINBASED),
				  0, 0, &vmx.pin);
	if (!err)
		err = adjust_controls("processor-based",
				      rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED),
				      PROC_USE_MSR_BITMAPS | PROC_SECONDARY, 0, &vmx.proc);
	if (err)
		return err;
	/* HLT, MWAIT... run in the guest; ports exit only when the trap
	 * registry (arch/x86/mmio.c) set their bit in the I/O bitmaps. */
	vmx.proc &= ~(PROC_UNCOND_IO_EXIT | PROC_MONITOR_TRAP);
	vmx.proc |= PROC_USE_IO_BITMAPS;
	vmx.mtf = rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED) >> 32 &
		  PROC_MONITOR_TRAP;

	/* Instructions the guest's CPUID reports must not #UD: enable them. */
	err = adjust_controls("secondary", rdmsr(MSR_VMX_PROCBASED2),
			      PROC2_EPT | PROC2_UNRESTRICTED,
			      PROC2_VPID | PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES |
				      PROC2_USER_WAIT,
			      &vmx.proc2);
	if (!err)
		err = adjust_controls("VM-exit", rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT),
				      EXIT_HOST_64BIT | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
					      EXIT_SAVE_PAT | EXIT_LOAD_PAT,
				      EXIT_SAVE_DEBUG, &vmx.exit);
	if (!err)
		err = adjust_controls("VM-entry",
				      rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY),
				      ENTRY_LOAD_EFER | ENTRY_LOAD_PAT, ENTRY_LOAD_DEBUG, &vmx.entry);
	if (err)
		return err;
	vmx.entry &= ~ENTRY_IA32E_GUEST; /* follows the guest's EFER.LMA */

	vmx.ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
	if (!(vmx.ept_vpid & EPT_CAP_WALK4) || !(vmx.ept_vpid & EPT_CAP_WB) ||
	    !(vmx.ept_vpid & EPT_CAP_INVEPT) ||
	    !(vmx.ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		pr_err("this CPU's EPT lacks 4-level walks, write-back tables or INVEPT "
		       "(EPT/VPID capabilities %llx)", (unsigned long long)vmx.ept_vpid);
		return -ENODEV;
	}
	vmx.vpid = (vmx.proc2 & PROC2_VPID) && (vmx.ept_vpid & VPID_CAP_INVVPID) &&
		   (vmx.ept_vpid & (VPID_CAP_SINGLE | VPID_CAP_ALL));
	if (!vmx.vpid)
		vmx.proc2 &= ~PROC2_VPID;

	/* Host-owned guest bits: the ones VMX fixes (NE; PE and PG are the
	 * guest's under unrestricted guest), the ones the CPU cannot set,
	 * and CR4.VMXE, which the guest must not see. */
	cr0_mask = (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | (~vmx.cr0_fixed1 & 0xffffffffull);
	cr4_mask = vmx.cr4_fixed0 | (~vmx.cr4_fixed1 & 0xffffffffull) | CR4_VMXE;
	pr_debug("vmx: basic %llx ept/vpid %llx; pin %x proc %x proc2 %x exit %x entry %x%s",
		 (unsigned long long)vmx.basic, (unsigned long long)vmx.ept_vpid, vmx.pin,
		 vmx.proc, vmx.proc2, vmx.exit, vmx.entry,
		 vmx.mtf ? "" : "; no monitor trap flag: single-step with RFLAGS.TF");
	return 0;
}

/* MSRs 0-0x1fff: reads in the bitmap's first 1 KiB, writes at 2 KiB. */
static void msr_bitmap_intercept_writes(u32 msr)
{
	msr_bitmap[2048 + msr / 8] |= 1 << (msr % 8);
}

static void msr_bitmap_intercept(u32 msr)
{
	msr_bitmap[msr / 8] |= 1 << (msr % 8);
	msr_bitmap_intercept_writes(msr);
}

/* The bitmaps every CPU's VMCS points at: once, on the boot CPU. */
static int vmx_global_init(void)
{
	u32 mtrr_msrs[MTRR_MSRS_MAX];

	msr_bitmap = page_alloc(1);
	io_bitmap = io_intercept_bitmap();
	if (!msr_bitmap || !io_bitmap) {
		pr_err("vmx: out of memory for the MSR and I/O bitmaps");
		return -ENOMEM;
	}
	/* The guest sees a CPU without VMX: the capability MSRs #GP, as on
	 * such hardware, and IA32_FEATURE_CONTROL reads as locked, VMX off. */
	msr_bitmap_intercept(MSR_FEATURE_CONTROL);
	for (u32 m = MSR_VMX_BASIC; m <= MSR_VMX_LAST; m++)
		msr_bitmap_intercept(m);
	/* The x2APIC ICR, writes only: INITs to CPUs that wait for a SIPI
	 * are absorbed (arch/x86/apic.c). */
	msr_bitmap_intercept_writes(MSR_X2APIC_ICR);
	/* MTRR writes, so that the EPT memory types follow them (ept.c). */
	for (unsigned i = 0, n = ept_mtrr_msrs(mtrr_msrs); i < n; i++)
		msr_bitmap_intercept_writes(mtrr_msrs[i]);
	return 0;
}

/* ----------------------------------------------------------- vCPU set-up */

struct dt_ptr {
	u16 limit;
	u64 base;
} __packed;

/* Lamina's own descriptor tables and selectors, as a VM exit must restore
 * them: read from the CPU, so the backend needs nothing from traps.c. */
static void init_host_state(void)
{
	struct dt_ptr gdtr, idtr;
	u16 cs, ss, ds, es, fs, gs, tr;

	asm volatile("sgdt %0\n\tsidt %1" : "=m"(gdtr), "=m"(idtr));
	asm volatile("mov %%cs, %0\n\tmov %%ss, %1\n\tmov %%ds, %2\n\tmov %%es, %3\n\t"
		     "mov %%fs, %4\n\tmov %%gs, %5\n\tstr %6"
		     : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs), "=r"(tr));
	/* A 64-bit TSS descriptor: base 23:0 in bits 39:16, 31:24 in 63:56,
	 * 63:32 in the next quadword. */
	const u64 *d = (const u64 *)(gdtr.base + (tr & ~7u));
	u64 tr_base = ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) & 0xff) << 24 | d[1] << 32;

	vmcs_write16(HOST_CS_SEL, cs & ~7);
	vmcs_write16(HOST_SS_SEL, ss & ~7);
	vmcs_write16(HOST_DS_SEL, ds & ~7);
	vmcs_write16(HOST_ES_SEL, es & ~7);
	vmcs_write16(HOST_FS_SEL, fs & ~7);
	vmcs_write16(HOST_GS_SEL, gs & ~7);
	vmcs_write16(HOST_TR_SEL, tr & ~7);
	vmcs_writen(HOST_TR_BASE, tr_base);
	vmcs_writen(HOST_GDTR_BASE, gdtr.base);
	vmcs_writen(HOST_IDTR_BASE, idtr.base);
	vmcs_writen(HOST_FS_BASE, rdmsr(0xc0000100));
	vmcs_writen(HOST_GS_BASE, rdmsr(0xc0000101));
	vmcs_writen(HOST_CR0, read_cr0());
	vmcs_writen(HOST_CR3, read_cr3());
	vmcs_writen(HOST_CR4, read_cr4());
	vmcs_write64(HOST_EFER, rdmsr(MSR_EFER));
	vmcs_write64(HOST_PAT, rdmsr(MSR_PAT));
	vmcs_write32(HOST_SYSENTER_CS, 0);
	vmcs_writen(HOST_SYSENTER_ESP, 0);
	vmcs_writen(HOST_SYSENTER_EIP, 0);
	vmcs_writen(HOST_RIP, (u64)vmx_exit);
	/* HOST_RSP is written by vmx_enter. */
}

/* Access rights in the VMCS format: type, S, DPL 0, present, D/B, G. */
#define AR_CODE32 0xc09b /* execute/read, accessed */
#define AR_DATA32 0xc093 /* read/write, accessed */
#define AR_CODE16 0x009b
#define AR_DATA16 0x0093
#define AR_TSS_BUSY 0x008b
#define AR_LDT 0x0082

/* The four VMCS fields of one guest segment register. */
struct seg_fields {
	struct vmcs_f16 sel;
	struct vmcs_fn base;
	struct vmcs_f32 limit, ar;
};

#define SEG(s) ((struct seg_fields){ GUEST_##s##_SEL, GUEST_##s##_BASE, GUEST_##s##_LIMIT, \
				     GUEST_##s##_AR })

static void set_seg(struct seg_fields f, u16 sel, u64 base, u32 limit, u32 ar)
{
	vmcs_write16(f.sel, sel);
	vmcs_writen(f.base, base);
	vmcs_write32(f.limit, limit);
	vmcs_write32(f.ar, ar);
}

/* Real mode, 64 KiB segments: CS as given, the data segments at
 * data_sel * 16.  Unrestricted guest runs it directly under EPT. */
static void set_real_mode_segs(u16 cs_sel, u64 cs_base, u16 data_sel)
{
	const struct seg_fields data[] = { SEG(DS), SEG(ES), SEG(SS), SEG(FS), SEG(GS) };

	set_seg(SEG(CS), cs_sel, cs_base, 0xffff, AR_CODE16);
	for (unsigned i = 0; i < ARRAY_SIZE(data); i++)
		set_seg(data[i], data_sel, (u64)data_sel << 4, 0xffff, AR_DATA16);
}

static void set_descriptor_tables(u64 gdt_base, u32 gdt_limit, u64 idt_base, u32 idt_limit)
{
	vmcs_writen(GUEST_GDTR_BASE, gdt_base);
	vmcs_write32(GUEST_GDTR_LIMIT, gdt_limit);
	vmcs_writen(GUEST_IDTR_BASE, idt_base);
	vmcs_write32(GUEST_IDTR_LIMIT, idt_limit);
}

/* Linux 32-bit boot protocol: flat 4 GiB segments, paging off. */
static void set_flat32_segs(void)
{
	const struct seg_fields data[] = { SEG(DS), SEG(ES), SEG(SS), SEG(FS), SEG(GS) };

	set_seg(SEG(CS), 0x10, 0, 0xffffffff, AR_CODE32);
	for (unsigned i = 0; i < ARRAY_SIZE(data); i++)
		set_seg(data[i], 0x18, 0, 0xffffffff, AR_DATA32);
}

/* The guest's CR0 and CR4 as it sees them (read shadows); the CPU runs
 * them with the bits VMX fixes (CR0.NE, CR4.VMXE). */
static void set_guest_crs(u64 cr0, u64 cr4)
{
	vmcs_writen(VMCS_CR0_SHADOW, cr0);
	vmcs_writen(GUEST_CR0, (cr0 | (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx.cr0_fixed1);
	vmcs_writen(VMCS_CR4_SHADOW, cr4);
	vmcs_writen(GUEST_CR4, (cr4 | vmx.cr4_fixed0) & vmx.cr4_fixed1);
}

/* What a start and INIT have in common: paging and long mode off, LDTR
 * unusable, TR a busy TSS (VMX requires one), debug state cleared, no
 * interrupt shadow and no event waiting to be delivered. */
static void set_reset_state(u64 cr0)
{
	set_seg(SEG(LDTR), 0, 0, 0xffff, AR_LDT | AR_UNUSABLE);
	set_seg(SEG(TR), 0, 0, 0xffff, AR_TSS_BUSY);
	set_guest_crs(cr0, 0);
	vmcs_writen(GUEST_CR3, 0);
	vmcs_write64(GUEST_EFER, 0);
	vmcs_writen(GUEST_DR7, 0x400);
	vmcs_write64(GUEST_DEBUGCTL, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY, 0);
	vmcs_writen(GUEST_PENDING_DBG, 0);
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
}

/* The guest's first instruction, in the mode v->start asks for. */
static void init_guest_state(const struct vcpu *v)
{
	u64 cr0 = CR0_ET;

	if (v->start.mode == GUEST_START_REAL) {
		set_real_mode_segs(v->start.real_seg, (u64)v->start.real_seg << 4,
				   v->start.real_seg);
		set_descriptor_tables(0, 0xffff, 0, 0x3ff);
	} else {
		set_flat32_segs();
		set_descriptor_tables(v->start.gdt_base, v->start.gdt_limit, 0, 0);
		cr0 |= CR0_PE;
	}
	vmcs_writen(VMCS_CR0_MASK, cr0_mask);
	vmcs_writen(VMCS_CR4_MASK, cr4_mask);
	set_reset_state(cr0);
	vmcs_write64(GUEST_PAT, PAT_POWER_ON);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writen(GUEST_SYSENTER_ESP, 0);
	vmcs_writen(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
	vmcs_write64(GUEST_LINK_POINTER, ~0ull);
	vmcs_writen(GUEST_RSP, v->regs.rsp);
	vmcs_writen(GUEST_RIP, v->regs.rip);
	vmcs_writen(GUEST_RFLAGS, v->regs.rflags | RFLAGS_FIXED);
}

static void init_controls(struct vcpu *v)
{
	struct vmx_vcpu *x = &v->arch.vmx;

	x->proc = vmx.proc;
	x->entry = vmx.entry;
	vmcs_write32(VMCS_PIN_CTLS, vmx.pin);
	vmcs_write32(VMCS_PROC_CTLS, x->proc);
	vmcs_write32(VMCS_PROC_CTLS2, vmx.proc2);
	vmcs_write32(VMCS_EXIT_CTLS, vmx.exit);
	vmcs_write32(VMCS_ENTRY_CTLS, x->entry);
	vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);
	vmcs_write32(VMCS_PF_ERROR_MASK, 0);
	vmcs_write32(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write64(VMCS_MSR_BITMAP, virt_to_phys(msr_bitmap));
	/* Bitmap A covers ports 0-0x7fff, B the rest: the two halves of
	 * the registry's one-bit-per-port map. */
	vmcs_write64(VMCS_IO_BITMAP_A, virt_to_phys(io_bitmap));
	vmcs_write64(VMCS_IO_BITMAP_B, virt_to_phys(io_bitmap) + PAGE_SIZE);
	vmcs_write64(VMCS_TSC_OFFSET, 0);
	vmcs_write64(VMCS_EPTP, ept_pointer());
	if (vmx.proc2 & PROC2_XSAVES)
		vmcs_write64(VMCS_XSS_EXIT_BITMAP, 0);
	if (vmx.vpid)
		vmcs_write16(VMCS_VPID, VMX_GUEST_VPID);
}

/* Runs on the CPU that will run v: VMXON, the fixed CR0/CR4 bits and
 * IA32_FEATURE_CONTROL are per CPU, and so is the current VMCS. */
static int vmx_vcpu_init(struct vcpu *v)
{
	struct vmx_vcpu *x = &v->arch.vmx;
	u32 rev = VMX_BASIC_REVISION(vmx.basic);

	/* Secondary CPUs wait for the guest's startup IPI in that state. */
	if (v->id && !(vmx.misc & VMX_MISC_WAIT_SIPI)) {
		pr_err("cpu %u: this CPU's VMX has no wait-for-SIPI activity state "
		       "(IA32_VMX_MISC %llx): Lamina cannot run a secondary CPU",
		       v->id, (unsigned long long)vmx.misc);
		return -ENODEV;
	}
	if (enable_feature_control())
		return -ENODEV;
	x->vmxon = page_alloc(1);
	x->vmcs = page_alloc(1);
	if (!x->vmxon || !x->vmcs)
		return -ENOMEM;
	*(u32 *)x->vmxon = rev;
	*(u32 *)x->vmcs = rev;
	x->vmcs_pa = virt_to_phys(x->vmcs);

	/* VMX operation needs the fixed CR0/CR4 bits (CR0.NE, CR4.VMXE).
	 * CR4.OSXSAVE lets Lamina execute the guest's XSETBV (and its own
	 * xstate code relies on it, see xstate.h). */
	u64 cr0 = (read_cr0() | vmx.cr0_fixed0) & vmx.cr0_fixed1;
	u64 cr4 = (read_cr4() | vmx.cr4_fixed0 | CR4_VMXE) & vmx.cr4_fixed1;

	if (cpuid(1, 0).ecx & CPUID1_ECX_XSAVE)
		cr4 |= CR4_OSXSAVE;
	write_cr0(cr0);
	write_cr4(cr4);
	if (!vmx_insn_mem("on", virt_to_phys(x->vmxon))) {
		pr_err("VMXON failed (cr0 %llx cr4 %llx)", (unsigned long long)cr0,
		       (unsigned long long)cr4);
		return -EIO;
	}
	if (!vmx_insn_mem("clear", x->vmcs_pa) || !vmx_insn_mem("ptrld", x->vmcs_pa)) {
		pr_err("VMCLEAR/VMPTRLD of the VMCS failed");
		return -EIO;
	}
	init_controls(v);
	init_host_state();
	init_guest_state(v);
	flush_ept();
	flush_guest_linear();
	x->launched = false;
	return 0;
}

/* -------------------------------------------------------------- backend ops */

static void vmx_skip_insn(struct vcpu *v, const struct vcpu_exit *exit, unsigned len_hint)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY);

	v->regs.rip += exit->insn_len ? exit->insn_len : len_hint;
	/* The guest single-steps itself: the emulated instruction traps too. */
	if ((v->regs.rflags & RFLAGS_TF) && !v->arch.vmx.tf_stepping)
		vmcs_writen(GUEST_PENDING_DBG, vmcs_readn(GUEST_PENDING_DBG) | PENDING_DBG_BS);
	/* The skipped instruction ends any STI / MOV SS interrupt shadow. */
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY,
			     intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

static u64 guest_cr0(void)
{
	return (vmcs_readn(GUEST_CR0) & ~cr0_mask) | (vmcs_readn(VMCS_CR0_SHADOW) & cr0_mask);
}

static u64 vmx_guest_cr4(struct vcpu *v)
{
	(void)v;
	return (vmcs_readn(GUEST_CR4) & ~cr4_mask) | (vmcs_readn(VMCS_CR4_SHADOW) & cr4_mask);
}

#define AR_L BIT(13)
#define AR_DB BIT(14)
#define AR_DPL(ar) (((ar) >> 5) & 3)

static void vmx_get_sysregs(struct vcpu *v, struct guest_sysregs *r)
{
	u32 cs_ar = vmcs_read32(GUEST_CS_AR);

	*r = (struct guest_sysregs){
		.cr0 = guest_cr0(), .cr3 = vmcs_readn(GUEST_CR3), .cr4 = vmx_guest_cr4(v),
		.efer = vmcs_read64(GUEST_EFER),
		.seg_base = { vmcs_readn(GUEST_ES_BASE), vmcs_readn(GUEST_CS_BASE),
			      vmcs_readn(GUEST_SS_BASE), vmcs_readn(GUEST_DS_BASE),
			      vmcs_readn(GUEST_FS_BASE), vmcs_readn(GUEST_GS_BASE) },
		.cs_l = cs_ar & AR_L,
		.cs_db = cs_ar & AR_DB,
		.cpl = AR_DPL(vmcs_read32(GUEST_SS_AR)),
	};
}

static void vmx_inject_exception(struct vcpu *v, unsigned vector, bool has_error, u32 error)
{
	u32 info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;

	(void)v;
	/* Real mode (unrestricted guest, CR0.PE = 0) pushes no error code. */
	if (has_error && (guest_cr0() & CR0_PE)) {
		info |= INTR_INFO_ERROR_VALID;
		vmcs_write32(VMCS_ENTRY_EXC_ERROR, error);
	}
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
}

/* Single-step: the monitor trap flag gives a VM exit after the guest's
 * next instruction, invisible to the guest.  Without it, RFLAGS.TF with
 * #DB intercepted: a #DB VM exit leaves the guest's DR6 alone, and the
 * guest's own TF is put back afterwards. */
static void vmx_set_single_step(struct vcpu *v, bool on)
{
	struct vmx_vcpu *x = &v->arch.vmx;

	if (vmx.mtf) {
		x->proc = on ? x->proc | PROC_MONITOR_TRAP : x->proc & ~PROC_MONITOR_TRAP;
		vmcs_write32(VMCS_PROC_CTLS, x->proc);
		return;
	}
	x->tf_stepping = on;
	if (on) {
		x->saved_tf = v->regs.rflags & RFLAGS_TF;
		v->regs.rflags |= RFLAGS_TF;
		vmcs_write32(VMCS_EXCEPTION_BITMAP, BIT(VEC_DB));
		/* TF set in an STI/MOV SS shadow needs a pending single-step. */
		if (vmcs_read32(GUEST_INTERRUPTIBILITY) &
		    (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
			vmcs_writen(GUEST_PENDING_DBG, vmcs_readn(GUEST_PENDING_DBG) | PENDING_DBG_BS);
	} else {
		v->regs.rflags = (v->regs.rflags & ~RFLAGS_TF) | (x->saved_tf ? RFLAGS_TF : 0);
		vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);
	}
}

static void vmx_flush_guest_tlb(struct vcpu *v)
{
	(void)v;
	flush_ept();
}

/* ------------------------------------------------------- INIT, SIPI, NMI */

#define CR0_AFTER_INIT 0x60000010ull /* CD, NW, ET */
#define STALE_INITS_MAX 4 /* INIT exits ignored right after a SIPI start */

/* INIT reached this CPU (an INIT exit), or a secondary CPU starts: the
 * guest state becomes what INIT leaves in a CPU (SDM vol. 3, "Processor
 * Initialization"), and the CPU sleeps in the wait-for-SIPI activity
 * state, where a startup IPI is a VM exit and INIT, NMIs and external
 * interrupts are held off.  Injection is not allowed in that state. */
static void vmx_wait_for_sipi(struct vcpu *v)
{
	set_real_mode_segs(0xf000, 0xffff0000, 0);
	set_descriptor_tables(0, 0xffff, 0, 0xffff);
	set_reset_state(CR0_AFTER_INIT);
	v->regs = (struct guest_regs){
		.rdx = cpuid(1, 0).eax, /* the processor signature */
		.rip = 0xfff0,
		.rflags = RFLAGS_FIXED,
	};
	v->arch.vmx.nmi_pending = false;
	vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_WAIT_SIPI);
	flush_guest_linear();
}

/* A startup IPI while waiting: real mode at vector << 12, the rest as
 * vmx_wait_for_sipi left it (the guest has not run since).  The SIPI exit
 * may save the waiting state's blocking of NMIs and SMIs (Bochs does);
 * the started CPU blocks nothing, and SMI blocking outside SMM would fail
 * the entry. */
static void vmx_start_at_sipi(struct vcpu *v, u8 vector)
{
	set_seg(SEG(CS), (u16)vector << 8, (u64)vector << 12, 0xffff, AR_CODE16);
	v->regs.rip = 0;
	vmcs_write32(GUEST_INTERRUPTIBILITY, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
	v->arch.vmx.stale_inits_left = STALE_INITS_MAX;
}

/* Delivered at the next entry that can take it: no other event queued,
 * no interrupt shadow, not inside the guest's NMI handler, not waiting
 * for SIPI (see deliver_pending_nmi). */
static void vmx_inject_nmi(struct vcpu *v)
{
	v->arch.vmx.nmi_pending = true;
}

static void deliver_pending_nmi(struct vcpu *v)
{
	u32 blocked = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI;

	if ((vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) ||
	    (vmcs_read32(GUEST_INTERRUPTIBILITY) & blocked) ||
	    vmcs_read32(GUEST_ACTIVITY_STATE) == ACTIVITY_WAIT_SIPI)
		return;
	vmcs_write32(VMCS_ENTRY_INTR_INFO, VEC_NMI | INTR_TYPE_NMI | INTR_INFO_VALID);
	v->arch.vmx.nmi_pending = false;
}

/* ------------------------------------------------------ VT-x-only exits */

static u64 *gpr(struct vcpu *v, unsigned n)
{
	/* Intel's register numbering to struct guest_regs. */
	static const u8 slot[16] = { 0, 2, 3, 1, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15 };

	return &((u64 *)&v->regs)[slot[n]];
}

/* PAE paging without long mode: the four PDPTEs come from the VMCS. */
static void load_pdptes(void)
{
	const u64 *pdpte = phys_to_virt(vmcs_readn(GUEST_CR3) & 0xffffffe0ull);

	if (in_hv_region(virt_to_phys(pdpte)))
		return; /* all-zero (not present) PDPTEs are what the guest can see */
	vmcs_write64(GUEST_PDPTE0, pdpte[0]);
	vmcs_write64(GUEST_PDPTE1, pdpte[1]);
	vmcs_write64(GUEST_PDPTE2, pdpte[2]);
	vmcs_write64(GUEST_PDPTE3, pdpte[3]);
}

/* A guest MOV to CR0 that changed a host-owned bit (CR0.NE, usually):
 * the shadow takes the guest's value, the real CR0 keeps VMX's fixed
 * bits, and turning paging on or off does what the CPU would have done
 * to EFER.LMA. */
static bool write_guest_cr0(u64 value)
{
	u64 old = guest_cr0();
	u64 efer = vmcs_read64(GUEST_EFER);

	/* What a CPU faults on: reserved bits, PG without PE, NW without CD. */
	if (value >> 32 || ((value & CR0_PG) && !(value & CR0_PE)) ||
	    ((value & CR0_NW) && !(value & CR0_CD)))
		return false;
	if (!(old & CR0_PG) && (value & CR0_PG) && (efer & EFER_LME)) {
		if (!(vmx_guest_cr4(NULL) & CR4_PAE))
			return false;
		vmcs_write64(GUEST_EFER, efer | EFER_LMA);
	} else if ((old & CR0_PG) && !(value & CR0_PG)) {
		vmcs_write64(GUEST_EFER, efer & ~EFER_LMA);
	}
	vmcs_writen(VMCS_CR0_SHADOW, value & cr0_mask);
	vmcs_writen(GUEST_CR0, (value | (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx.cr0_fixed1);
	if ((value & CR0_PG) && (vmx_guest_cr4(NULL) & CR4_PAE) &&
	    !(vmcs_read64(GUEST_EFER) & EFER_LMA))
		load_pdptes();
	if ((old ^ value) & (CR0_PG | CR0_WP | CR0_PE))
		flush_guest_linear();
	return true;
}

/* A guest MOV to CR4 that touched a host-owned bit: VMXE is reserved on
 * the CPU the guest sees, so setting it faults; so do bits this CPU lacks. */
static bool write_guest_cr4(u64 value)
{
	u64 old = vmx_guest_cr4(NULL);

	if (value & (CR4_VMXE | ~vmx.cr4_fixed1))
		return false;
	vmcs_writen(VMCS_CR4_SHADOW, value & cr4_mask);
	vmcs_writen(GUEST_CR4, (value | vmx.cr4_fixed0) & vmx.cr4_fixed1);
	if ((guest_cr0() & CR0_PG) && (value & CR4_PAE) && !(vmcs_read64(GUEST_EFER) & EFER_LMA))
		load_pdptes();
	if (old != value)
		flush_guest_linear();
	return true;
}

static bool handle_cr_access(struct vcpu *v, u64 q)
{
	unsigned cr = CRQ_NUMBER(q);
	u64 *reg = gpr(v, CRQ_GPR(q));

	switch (CRQ_TYPE(q)) {
	case 0: /* MOV to CR */
		if (cr == 0)
			return write_guest_cr0(*reg);
		if (cr == 4)
			return write_guest_cr4(*reg);
		if (cr == 3) {
			vmcs_writen(GUEST_CR3, *reg);
			flush_guest_linear();
			return true;
		}
		return false;
	case 1: /* MOV from CR: only CR3 can exit here */
		if (cr != 3)
			return false;
		*reg = vmcs_readn(GUEST_CR3);
		return true;
	case 2: /* CLTS */
		return write_guest_cr0(guest_cr0() & ~CR0_TS);
	default: /* LMSW: sets PE, MP, EM, TS; cannot clear PE */
		return write_guest_cr0((guest_cr0() & ~(CR0_LMSW_BITS & ~CR0_PE)) |
				       (CRQ_LMSW_DATA(q) & CR0_LMSW_BITS));
	}
}

/* XSETBV always exits under VT-x; XCR0 is not switched on exits, so
 * setting it here gives the guest its value.  Lamina checks what the CPU
 * would (a bad value would #GP in Lamina). */
static bool handle_xsetbv(struct vcpu *v)
{
	struct cpuid_regs d = cpuid(0xd, 0);
	u64 supported = (u64)d.edx << 32 | d.eax;
	u64 x = (v->regs.rdx << 32) | (u32)v->regs.rax;

	if ((u32)v->regs.rcx != 0 || (x & ~supported) || !(x & 1) ||
	    ((x & 4) && !(x & 2)) ||                           /* AVX needs SSE */
	    (!!(x & BIT(3)) != !!(x & BIT(4))) ||              /* MPX: both */
	    ((x & 0xe0) && ((x & 0xe0) != 0xe0 || !(x & 4))) || /* AVX-512 */
	    (!!(x & BIT(17)) != !!(x & BIT(18))))              /* AMX: both */
		return false;
	asm volatile("xsetbv" : : "c"(0), "a"((u32)x), "d"((u32)(x >> 32)) : "memory");
	return true;
}

static bool handle_feature_control(struct vcpu *v, bool write)
{
	u64 value;

	if (write)
		return false; /* locked: writes #GP */
	value = (rdmsr(MSR_FEATURE_CONTROL) & ~(FEATURE_CONTROL_VMX | FEATURE_CONTROL_VMX_SMX)) |
		FEATURE_CONTROL_LOCK;
	v->regs.rax = (u32)value;
	v->regs.rdx = value >> 32;
	return true;
}

/* --------------------------------------------------------------- exits */

static void decode_exit(struct vcpu *v, struct vcpu_exit *e)
{
	struct vmx_vcpu *x = &v->arch.vmx;
	u32 reason = vmcs_read32(VMCS_EXIT_REASON);
	u64 q = vmcs_readn(VMCS_EXIT_QUALIFICATION);

	*e = (struct vcpu_exit){
		.hw_code = reason,
		.hw_info1 = q,
		.reason = EXIT_UNKNOWN,
	};
	x->exit_reason = reason;
	if (reason & VMX_EXIT_REASON_ENTRY_FAIL) {
		e->reason = EXIT_INVALID_STATE;
		x->entry_error = 0;
		return;
	}
	switch (reason & 0xffff) {
	case VMX_EXIT_CPUID:
		e->reason = EXIT_CPUID;
		break;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		e->reason = (reason & 0xffff) == VMX_EXIT_RDMSR ? EXIT_MSR_READ : EXIT_MSR_WRITE;
		e->msr = (u32)v->regs.rcx;
		break;
	case VMX_EXIT_VMCALL:
		e->reason = EXIT_HYPERCALL;
		break;
	case VMX_EXIT_VMCLEAR:
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMPTRLD:
	case VMX_EXIT_VMPTRST:
	case VMX_EXIT_VMREAD:
	case VMX_EXIT_VMRESUME:
	case VMX_EXIT_VMWRITE:
	case VMX_EXIT_VMXOFF:
	case VMX_EXIT_VMXON:
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMFUNC:
	case VMX_EXIT_GETSEC:
	case VMX_EXIT_ENCLS:
		e->reason = EXIT_VIRT_INSN;
		break;
	case VMX_EXIT_IO:
		e->reason = EXIT_IO;
		e->io.port = q >> 16;
		e->io.size = (q & 7) + 1;
		e->io.in = q & BIT(3);
		e->io.string = q & BIT(4);
		e->io.rep = q & BIT(5);
		break;
	case VMX_EXIT_EPT_VIOLATION:
		e->reason = EXIT_NESTED_FAULT;
		e->hw_info2 = e->fault.gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
		e->fault.write = q & EPT_QUAL_WRITE;
		e->fault.exec = q & EPT_QUAL_FETCH;
		break;
	case VMX_EXIT_MTF:
		e->reason = EXIT_DEBUG_TRAP;
		break;
	case VMX_EXIT_EXCEPTION_NMI: /* only #DB is intercepted (single-step) */
		if ((vmcs_read32(VMCS_EXIT_INTR_INFO) & (INTR_INFO_VECTOR | INTR_TYPE_MASK)) ==
		    (VEC_DB | INTR_TYPE_HW_EXCEPTION))
			e->reason = EXIT_DEBUG_TRAP;
		break;
	case VMX_EXIT_TRIPLE_FAULT:
		e->reason = EXIT_SHUTDOWN;
		break;
	case VMX_EXIT_INIT:
		e->reason = EXIT_INIT;
		break;
	case VMX_EXIT_SIPI:
		e->reason = EXIT_SIPI;
		e->sipi_vector = q & 0xff;
		break;
	/* Handled in this backend (handle_local_exit), counted by kind. */
	case VMX_EXIT_CR_ACCESS:
		e->reason = EXIT_CR_ACCESS;
		break;
	case VMX_EXIT_XSETBV:
		e->reason = EXIT_XSETBV;
		break;
	}
	/* Exits caused by an instruction report its length; these do not. */
	switch (e->reason) {
	case EXIT_NESTED_FAULT:
	case EXIT_DEBUG_TRAP:
	case EXIT_SHUTDOWN:
	case EXIT_INIT:
	case EXIT_SIPI:
		break;
	default:
		e->insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
	}
}

/* An event whose delivery the exit interrupted (an interrupt pushing its
 * frame into a page EPT had not mapped yet) must be delivered again. */
static void reinject_vectoring(void)
{
	u32 info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
	u32 type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID)) {
		vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
		return;
	}
	if (info & INTR_INFO_ERROR_VALID)
		vmcs_write32(VMCS_ENTRY_EXC_ERROR, vmcs_read32(VMCS_IDT_VECTORING_ERROR));
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXC || type == INTR_TYPE_SW_EXC)
		vmcs_write32(VMCS_ENTRY_INSN_LEN, vmcs_read32(VMCS_EXIT_INSN_LEN));
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info & ~INTR_INFO_NMI_UNBLOCK);
}

/* Exits outside SMM save no blocking by SMI, and an entry outside SMM
 * refuses it; Bochs 2.7 saves it on every exit once a CPU has left the
 * wait-for-SIPI state by a SIPI exit (which skips its unmasking). */
static void drop_smi_blocking(void)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY);

	if (unlikely(intr & INTERRUPTIBILITY_SMI))
		vmcs_write32(GUEST_INTERRUPTIBILITY, intr & ~INTERRUPTIBILITY_SMI);
}

/* The OS starts a CPU with INIT, SIPI, SIPI.  The INIT finds the CPU
 * waiting for SIPI, which blocks it but keeps it pending; the first SIPI
 * starts the CPU and the pending INIT exits at once, before the first
 * instruction (Bochs even repeats it), and would send the CPU back to wait
 * for a SIPI that may have come and gone while Lamina handled the exits.
 * On bare metal that INIT met a CPU already in its post-INIT state and did
 * nothing: so does Lamina (counted as an INIT exit), a bounded number of
 * times, and the CPU runs from the SIPI on. */
static bool stale_init(struct vcpu *v, const struct vcpu_exit *e)
{
	struct vmx_vcpu *x = &v->arch.vmx;

	if (e->reason != EXIT_INIT || !x->stale_inits_left || v->regs.rip != 0) {
		x->stale_inits_left = 0;
		return false;
	}
	if (x->stale_inits_left == 1)
		pr_warn("cpu %u: INIT still pending after %u INIT exits before the first "
			"instruction since the SIPI: the CPU waits for another SIPI",
			v->id, STALE_INITS_MAX);
	x->stale_inits_left--;
	vcpu_count_exit(v, EXIT_INIT);
	return true;
}

/* Exits handled here without common code: what only VT-x intercepts. */
static bool handle_local_exit(struct vcpu *v, struct vcpu_exit *e)
{
	bool ok;

	switch (e->hw_code & 0xffff) {
	case VMX_EXIT_CR_ACCESS:
		ok = handle_cr_access(v, e->hw_info1);
		break;
	case VMX_EXIT_XSETBV:
		ok = handle_xsetbv(v);
		break;
	case VMX_EXIT_INVD:
		asm volatile("wbinvd" ::: "memory"); /* never drop the guest's writes */
		ok = true;
		break;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		if (e->msr == MSR_FEATURE_CONTROL)
			ok = handle_feature_control(v, e->reason == EXIT_MSR_WRITE);
		else if (e->reason == EXIT_MSR_WRITE && ept_is_mtrr(e->msr))
			ok = ept_write_mtrr(v, e->msr, v->regs.rdx << 32 | (u32)v->regs.rax);
		else
			return false; /* VMX capability MSRs (#GP), the ICR: common code */
		break;
	default:
		return false;
	}
	vcpu_count_exit(v, e->reason);
	pr_debug("vmx: exit %llu qual %llx rip %llx rcx %llx rax %llx: %s",
		 (unsigned long long)e->hw_code, (unsigned long long)e->hw_info1,
		 (unsigned long long)v->regs.rip, (unsigned long long)v->regs.rcx,
		 (unsigned long long)v->regs.rax, ok ? "done" : "#GP");
	if (ok)
		vmx_skip_insn(v, e, 0);
	else
		vmx_inject_exception(v, VEC_GP, true, 0);
	return true;
}

static void vmx_run(struct vcpu *v, struct vcpu_exit *exit)
{
	struct vmx_vcpu *x = &v->arch.vmx;

	for (;;) {
		/* The IA-32e mode entry control must match EFER.LMA. */
		u32 entry = vmcs_read64(GUEST_EFER) & EFER_LMA ? x->entry | ENTRY_IA32E_GUEST
							       : x->entry & ~ENTRY_IA32E_GUEST;

		if (entry != x->entry) {
			x->entry = entry;
			vmcs_write32(VMCS_ENTRY_CTLS, entry);
		}
		if (unlikely(x->nmi_pending))
			deliver_pending_nmi(v);
		vmcs_writen(GUEST_RSP, v->regs.rsp);
		vmcs_writen(GUEST_RIP, v->regs.rip);
		vmcs_writen(GUEST_RFLAGS, v->regs.rflags);

		int rc = vmx_enter(&v->regs, x->launched);

		if (rc) {
			/* VMLAUNCH/VMRESUME refused: nothing ran. */
			x->entry_error = rc == 1 ? vmcs_read32(VMCS_INSN_ERROR) : ~0u;
			x->exit_reason = 0;
			*exit = (struct vcpu_exit){
				.reason = EXIT_INVALID_STATE,
				.hw_code = ~0ull,
				.hw_info1 = x->entry_error,
			};
			return;
		}
		x->launched = true;
		v->regs.rsp = vmcs_readn(GUEST_RSP);
		v->regs.rip = vmcs_readn(GUEST_RIP);
		v->regs.rflags = vmcs_readn(GUEST_RFLAGS);

		decode_exit(v, exit);
		if (exit->reason == EXIT_INVALID_STATE)
			return;
		drop_smi_blocking();
		if (stale_init(v, exit))
			continue;
		reinject_vectoring();
		if (exit->reason == EXIT_NESTED_FAULT && (exit->hw_info1 & EPT_QUAL_NMI_UNBLOCK) &&
		    !(vmcs_read32(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID))
			/* The faulting IRET will run again and unblock NMIs then. */
			vmcs_write32(GUEST_INTERRUPTIBILITY,
				     vmcs_read32(GUEST_INTERRUPTIBILITY) | INTERRUPTIBILITY_NMI);
		if (handle_local_exit(v, exit))
			continue;
		return;
	}
}

/* ------------------------------------------------- diagnostics on failure */

static const char *insn_error_text(u32 err)
{
	switch (err) {
	case 2: return "VMLAUNCH with a non-clear VMCS";
	case 3: return "VMRESUME with a non-launched VMCS";
	case 7: return "VM entry with invalid control field(s)";
	case 8: return "VM entry with invalid host-state field(s)";
	case 9: return "VMPTRLD with an invalid physical address";
	case 12: return "VMREAD/VMWRITE of an unsupported VMCS component";
	case 13: return "VMWRITE to a read-only VMCS component";
	case 26: return "VM entry with events blocked by MOV SS";
	default: return "see the SDM's VM-instruction error numbers";
	}
}

static void check(bool ok, const char *what)
{
	if (!ok)
		log_write(LOG_ERR, "  check failed: %s", what);
}

static bool ctl_ok(u32 value, u64 cap)
{
	return (value & (u32)cap) == (u32)cap && !(value & ~(u32)(cap >> 32));
}

/* The VM-entry checks Lamina's state can plausibly break, run in software
 * after the CPU refused an entry, so the report names the field. */
static void explain_entry_failure(const struct vcpu *v)
{
	const struct vmx_vcpu *x = &v->arch.vmx;
	bool true_ctls = vmx.basic & VMX_BASIC_TRUE_CTLS;
	u64 cr0 = vmcs_readn(GUEST_CR0), cr4 = vmcs_readn(GUEST_CR4);
	u64 efer = vmcs_read64(GUEST_EFER);
	u32 entry = vmcs_read32(VMCS_ENTRY_CTLS);
	bool ia32e = entry & ENTRY_IA32E_GUEST;
	u32 cs_ar = vmcs_read32(GUEST_CS_AR), ss_ar = vmcs_read32(GUEST_SS_AR);
	u32 tr_ar = vmcs_read32(GUEST_TR_AR), intr = vmcs_read32(VMCS_ENTRY_INTR_INFO);
	u32 act = vmcs_read32(GUEST_ACTIVITY_STATE);

	/* Controls (VM-instruction error 7) */
	check(ctl_ok(vmcs_read32(VMCS_PIN_CTLS),
		     rdmsr(true_ctls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED)),
	      "pin-based controls vs. IA32_VMX_(TRUE_)PINBASED_CTLS");
	check(ctl_ok(vmcs_read32(VMCS_PROC_CTLS),
		     rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED)),
	      "processor-based controls vs. IA32_VMX_(TRUE_)PROCBASED_CTLS");
	check(ctl_ok(vmcs_read32(VMCS_PROC_CTLS2), rdmsr(MSR_VMX_PROCBASED2)),
	      "secondary controls vs. IA32_VMX_PROCBASED_CTLS2");
	check(ctl_ok(vmcs_read32(VMCS_EXIT_CTLS),
		     rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT)),
	      "VM-exit controls vs. IA32_VMX_(TRUE_)EXIT_CTLS");
	check(ctl_ok(entry, rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY)),
	      "VM-entry controls vs. IA32_VMX_(TRUE_)ENTRY_CTLS");
	check((vmcs_read64(VMCS_EPTP) & 0x3f) == (MEMTYPE_WB | EPTP_WALK4),
	      "EPTP: write-back, 4-level walk");
	check(!(intr & INTR_INFO_VALID) || (intr & 0x7ffff000) == 0,
	      "VM-entry interruption information: reserved bits 30:12 clear");
	check(!(intr & INTR_INFO_ERROR_VALID) || (cr0 & CR0_PE),
	      "VM-entry interruption information: no error code in real mode");
	/* Host state (error 8) */
	check((vmcs_readn(HOST_CR0) & vmx.cr0_fixed0) == vmx.cr0_fixed0 &&
		      !(vmcs_readn(HOST_CR0) & ~vmx.cr0_fixed1),
	      "host CR0 vs. IA32_VMX_CR0_FIXED0/1");
	check((vmcs_readn(HOST_CR4) & vmx.cr4_fixed0) == vmx.cr4_fixed0 &&
		      !(vmcs_readn(HOST_CR4) & ~vmx.cr4_fixed1),
	      "host CR4 vs. IA32_VMX_CR4_FIXED0/1");
	check(vmcs_read16(HOST_CS_SEL) && vmcs_read16(HOST_TR_SEL),
	      "host CS and TR selectors non-zero");
	/* Guest state (exit reason 33) */
	check((cr0 & vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG)) ==
			      (vmx.cr0_fixed0 & ~(CR0_PE | CR0_PG)) && !(cr0 & ~vmx.cr0_fixed1),
	      "guest CR0 vs. IA32_VMX_CR0_FIXED0/1 (PE, PG free: unrestricted guest)");
	check(!(cr0 & CR0_PG) || (cr0 & CR0_PE), "guest CR0.PG needs CR0.PE");
	check((cr4 & vmx.cr4_fixed0) == vmx.cr4_fixed0 && !(cr4 & ~vmx.cr4_fixed1),
	      "guest CR4 vs. IA32_VMX_CR4_FIXED0/1");
	check(!ia32e || ((cr0 & CR0_PG) && (cr4 & CR4_PAE)),
	      "IA-32e mode guest needs CR0.PG and CR4.PAE");
	check(!!(efer & EFER_LMA) == ia32e, "guest EFER.LMA equals the IA-32e mode guest control");
	check(!(cr0 & CR0_PG) || !!(efer & EFER_LME) == !!(efer & EFER_LMA),
	      "guest EFER.LME equals EFER.LMA when CR0.PG is set");
	check((v->regs.rflags & RFLAGS_FIXED) && !(v->regs.rflags >> 22),
	      "guest RFLAGS: bit 1 set, bits 63:22 clear");
	check(vmcs_read64(GUEST_LINK_POINTER) == ~0ull, "VMCS link pointer is ~0");
	check(act <= ACTIVITY_WAIT_SIPI, "activity state");
	check(act != ACTIVITY_WAIT_SIPI || (vmx.misc & VMX_MISC_WAIT_SIPI),
	      "wait-for-SIPI activity state offered by IA32_VMX_MISC");
	check(act != ACTIVITY_WAIT_SIPI || !(intr & INTR_INFO_VALID),
	      "no event injection in the wait-for-SIPI state");
	check(act == ACTIVITY_ACTIVE || !(vmcs_read32(GUEST_INTERRUPTIBILITY) &
					  (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)),
	      "an STI or MOV SS shadow needs the active state");
	check(!(cs_ar & AR_UNUSABLE) && (cs_ar & 0x90) == 0x90, "guest CS usable, S=1, present");
	check(!(ia32e && (cs_ar & BIT(13)) && (cs_ar & BIT(14))),
	      "guest CS: L and D/B not both set");
	check((ss_ar & AR_UNUSABLE) || ((ss_ar & 0xf) == 3 || (ss_ar & 0xf) == 7),
	      "guest SS type: read/write data, accessed");
	check(!(tr_ar & AR_UNUSABLE) && (tr_ar & 0x9f) == 0x8b && !(vmcs_read16(GUEST_TR_SEL) & 4),
	      "guest TR: usable busy 32/64-bit TSS, present, S=0, TI=0");
	check(ia32e || (tr_ar & 0xf) == 0xb || (tr_ar & 0xf) == 3, "guest TR type");
	check(!(vmcs_read32(GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_SMI),
	      "no blocking by SMI outside SMM");
	check(!(vmcs_read32(GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_STI) ||
		      (v->regs.rflags & RFLAGS_IF),
	      "blocking by STI needs RFLAGS.IF");
	check(x->entry == entry, "cached VM-entry controls match the VMCS");
}

static void print_seg(const char *name, struct vmcs_f16 sel, struct vmcs_fn base,
		      struct vmcs_f32 limit, struct vmcs_f32 ar)
{
	log_write(LOG_ERR, "  %-4s sel %04x ar %05x limit %08x base %016llx", name,
		  vmcs_read16(sel), vmcs_read32(ar), vmcs_read32(limit),
		  (unsigned long long)vmcs_readn(base));
}

static void vmx_dump_state(struct vcpu *v)
{
	const struct vmx_vcpu *x = &v->arch.vmx;

	if (x->exit_reason == 0 && x->entry_error) {
		if (x->entry_error == ~0u)
			log_write(LOG_ERR, "  VM entry failed: VMfailInvalid (no current VMCS)");
		else
			log_write(LOG_ERR, "  VM entry failed: VM-instruction error %u (%s)",
				  x->entry_error, insn_error_text(x->entry_error));
		explain_entry_failure(v);
	} else if (x->exit_reason & VMX_EXIT_REASON_ENTRY_FAIL) {
		u64 q = vmcs_readn(VMCS_EXIT_QUALIFICATION);

		log_write(LOG_ERR, "  VM entry failed: exit reason %u (%s), qualification %llu%s",
			  x->exit_reason & 0xffff,
			  (x->exit_reason & 0xffff) == VMX_EXIT_INVALID_GUEST ? "invalid guest state"
			  : (x->exit_reason & 0xffff) == VMX_EXIT_MSR_LOADING ? "MSR loading"
									    : "machine check",
			  (unsigned long long)q,
			  q == 2 ? " (PDPTE loading)" : q == 4 ? " (VMCS link pointer)" : "");
		explain_entry_failure(v);
	}
	log_write(LOG_ERR, "  exit reason %x qualification %llx gpa %llx gla %llx insn len %u",
		  x->exit_reason, (unsigned long long)vmcs_readn(VMCS_EXIT_QUALIFICATION),
		  (unsigned long long)vmcs_read64(VMCS_GUEST_PHYS_ADDR),
		  (unsigned long long)vmcs_readn(VMCS_GUEST_LINEAR_ADDR),
		  vmcs_read32(VMCS_EXIT_INSN_LEN));
	log_write(LOG_ERR, "  exit intr info %x idt vectoring %x entry intr info %x "
		  "interruptibility %x activity %u",
		  vmcs_read32(VMCS_EXIT_INTR_INFO), vmcs_read32(VMCS_IDT_VECTORING_INFO),
		  vmcs_read32(VMCS_ENTRY_INTR_INFO), vmcs_read32(GUEST_INTERRUPTIBILITY),
		  vmcs_read32(GUEST_ACTIVITY_STATE));
	log_write(LOG_ERR, "  cr0 %llx (shadow %llx) cr3 %llx cr4 %llx (shadow %llx) efer %llx",
		  (unsigned long long)vmcs_readn(GUEST_CR0),
		  (unsigned long long)vmcs_readn(VMCS_CR0_SHADOW),
		  (unsigned long long)vmcs_readn(GUEST_CR3),
		  (unsigned long long)vmcs_readn(GUEST_CR4),
		  (unsigned long long)vmcs_readn(VMCS_CR4_SHADOW),
		  (unsigned long long)vmcs_read64(GUEST_EFER));
	log_write(LOG_ERR, "  controls pin %x proc %x proc2 %x exit %x entry %x",
		  vmcs_read32(VMCS_PIN_CTLS), vmcs_read32(VMCS_PROC_CTLS),
		  vmcs_read32(VMCS_PROC_CTLS2), vmcs_read32(VMCS_EXIT_CTLS),
		  vmcs_read32(VMCS_ENTRY_CTLS));
	print_seg("cs", GUEST_CS_SEL, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR);
	print_seg("ss", GUEST_SS_SEL, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR);
	print_seg("ds", GUEST_DS_SEL, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR);
	print_seg("tr", GUEST_TR_SEL, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR);
	print_seg("ldtr", GUEST_LDTR_SEL, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR);
	log_write(LOG_ERR, "  gdtr %016llx/%x idtr %016llx/%x",
		  (unsigned long long)vmcs_readn(GUEST_GDTR_BASE), vmcs_read32(GUEST_GDTR_LIMIT),
		  (unsigned long long)vmcs_readn(GUEST_IDTR_BASE), vmcs_read32(GUEST_IDTR_LIMIT));
}

const struct vcpu_backend vmx_backend;

const struct vcpu_backend *vmx_backend_probe(void)
{
	if (vmx_probe())
		return NULL;
	ept_init(vmx.ept_vpid);
	if (vmx_global_init())
		return NULL;
	return &vmx_backend;
}

const struct vcpu_backend vmx_backend = {
	.name = "vmx",
	.paging = "ept",
	.vcpu_init = vmx_vcpu_init,
	.run = vmx_run,
	.skip_insn = vmx_skip_insn,
	.inject_exception = vmx_inject_exception,
	.set_single_step = vmx_set_single_step,
	.flush_guest_tlb = vmx_flush_guest_tlb,
	.dump_state = vmx_dump_state,
	.guest_cr4 = vmx_guest_cr4,
	.get_sysregs = vmx_get_sysregs,
	.nested_format = &ept_format,
	.real_mode = true,
	.wait_for_sipi = vmx_wait_for_sipi,
	.start_at_sipi = vmx_start_at_sipi,
	.inject_nmi = vmx_inject_nmi,
	.hw_init_sipi = true,
};
