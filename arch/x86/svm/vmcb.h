/* AMD Virtual Machine Control Block (APM vol. 2, appendix B). */
#ifndef ARCH_X86_SVM_VMCB_H
#define ARCH_X86_SVM_VMCB_H

#include "core/types.h"

struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;

struct vmcb_control {
	u32 intercept_cr;
	u32 intercept_dr;
	u32 intercept_exceptions;
	u32 intercept_misc1;
	u32 intercept_misc2;
	u32 intercept_misc3;
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold;
	u16 pause_filter_count;
	u64 iopm_base_pa;
	u64 msrpm_base_pa;
	u64 tsc_offset;
	u32 guest_asid;
	u8 tlb_control;
	u8 reserved_05d[3];
	u64 vintr;
	u64 interrupt_shadow;
	u64 exit_code;
	u64 exit_info1;
	u64 exit_info2;
	u64 exit_int_info;
	u64 np_control;
	u64 avic_apic_bar;
	u64 ghcb_pa;
	u64 event_inject;
	u64 n_cr3;
	u64 virt_ext;
	u32 clean_bits;
	u32 reserved_0c4;
	u64 next_rip;
	u8 insn_len;
	u8 insn_bytes[15];
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;
	u32 reserved_4cc;
	u64 efer;
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;
	u64 s_cet;
	u64 ssp;
	u64 isst_addr;
	u64 rax;
	u64 star;
	u64 lstar;
	u64 cstar;
	u64 sfmask;
	u64 kernel_gs_base;
	u64 sysenter_cs;
	u64 sysenter_esp;
	u64 sysenter_eip;
	u64 cr2;
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;
	u64 dbgctl;
	u8 reserved_678[0x1000 - 0x678];
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __packed;

_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "VMCB efer");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "VMCB cr4");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "VMCB rsp");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "VMCB rax");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB g_pat");
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB is one page");

/* intercept_misc1 */
#define SVM_INTERCEPT_NMI BIT(1)
#define SVM_INTERCEPT_CPUID BIT(18)
#define SVM_INTERCEPT_IRET BIT(20)
#define SVM_INTERCEPT_INVLPGA BIT(26)
#define SVM_INTERCEPT_IOIO BIT(27)
#define SVM_INTERCEPT_MSR_PROT BIT(28)
#define SVM_INTERCEPT_SHUTDOWN BIT(31)
/* intercept_misc2 */
#define SVM_INTERCEPT_VMRUN BIT(0)
#define SVM_INTERCEPT_VMMCALL BIT(1)
#define SVM_INTERCEPT_VMLOAD BIT(2)
#define SVM_INTERCEPT_VMSAVE BIT(3)
#define SVM_INTERCEPT_STGI BIT(4)
#define SVM_INTERCEPT_CLGI BIT(5)
#define SVM_INTERCEPT_SKINIT BIT(6)

#define SVM_EXIT_EXCP_BASE 0x40
#define SVM_EXIT_INTR 0x60
#define SVM_EXIT_NMI 0x61
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_IRET 0x74
#define SVM_EXIT_INVLPGA 0x7a
#define SVM_EXIT_IOIO 0x7b
#define SVM_EXIT_MSR 0x7c
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMRUN 0x80
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_VMLOAD 0x82
#define SVM_EXIT_VMSAVE 0x83
#define SVM_EXIT_STGI 0x84
#define SVM_EXIT_CLGI 0x85
#define SVM_EXIT_SKINIT 0x86
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID ((u64)-1)

#define SVM_NP_ENABLE BIT(0)
#define SVM_TLB_FLUSH_ALL 1

#define SVM_EVENT_VALID BIT(31)
#define SVM_EVENT_ERROR_VALID BIT(11)
#define SVM_EVENT_TYPE_NMI (2u << 8)
#define SVM_EVENT_TYPE_EXCEPTION (3u << 8)

/* IOIO exit_info1 bits (the port is in bits 31:16) */
#define IOIO_IN BIT(0)
#define IOIO_STR BIT(2)
#define IOIO_REP BIT(3)
#define IOIO_SZ8 BIT(4)
#define IOIO_SZ16 BIT(5)

/* NPF exit_info1 bits (a page-fault error code) */
#define NPF_PRESENT BIT(0)
#define NPF_WRITE BIT(1)
#define NPF_FETCH BIT(4)
#define NPF_FINAL_GPA BIT(32) /* on the access's own address, */
#define NPF_TABLE_GPA BIT(33) /* or on a guest page-table entry */

#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117
#define VM_CR_SVMDIS BIT(4)

#endif
