/*
 * VMCS field encodings (Intel SDM vol. 3, appendix B) with their width in
 * the type: each field is a one-member struct of its width class, so
 * vmcs_read32(GUEST_CR0) does not compile.  Plus the bits of the control
 * fields, exit reasons and capability MSRs that Lamina uses.
 *
 * Encoding: bit 0 high half of a 64-bit field, bits 9:1 index, bits 11:10
 * type (control, read-only data, guest state, host state), bits 14:13
 * width (16-bit, 64-bit, 32-bit, natural).
 */
#ifndef ARCH_X86_VMX_VMCS_H
#define ARCH_X86_VMX_VMCS_H

#include "core/types.h"

struct vmcs_f16 { u32 enc; };
struct vmcs_f32 { u32 enc; };
struct vmcs_f64 { u32 enc; };
struct vmcs_fn { u32 enc; }; /* natural width: 64 bits here */

#define F16(e) ((struct vmcs_f16){ e })
#define F32(e) ((struct vmcs_f32){ e })
#define F64(e) ((struct vmcs_f64){ e })
#define FN(e) ((struct vmcs_fn){ e })

/* 16-bit */
#define VMCS_VPID F16(0x0000)
#define GUEST_ES_SEL F16(0x0800)
#define GUEST_CS_SEL F16(0x0802)
#define GUEST_SS_SEL F16(0x0804)
#define GUEST_DS_SEL F16(0x0806)
#define GUEST_FS_SEL F16(0x0808)
#define GUEST_GS_SEL F16(0x080a)
#define GUEST_LDTR_SEL F16(0x080c)
#define GUEST_TR_SEL F16(0x080e)
#define HOST_ES_SEL F16(0x0c00)
#define HOST_CS_SEL F16(0x0c02)
#define HOST_SS_SEL F16(0x0c04)
#define HOST_DS_SEL F16(0x0c06)
#define HOST_FS_SEL F16(0x0c08)
#define HOST_GS_SEL F16(0x0c0a)
#define HOST_TR_SEL F16(0x0c0c)

/* 64-bit */
#define VMCS_IO_BITMAP_A F64(0x2000)
#define VMCS_IO_BITMAP_B F64(0x2002)
#define VMCS_MSR_BITMAP F64(0x2004)
#define VMCS_EXIT_MSR_STORE F64(0x2006)
#define VMCS_EXIT_MSR_LOAD F64(0x2008)
#define VMCS_ENTRY_MSR_LOAD F64(0x200a)
#define VMCS_TSC_OFFSET F64(0x2010)
#define VMCS_EPTP F64(0x201a)
#define VMCS_XSS_EXIT_BITMAP F64(0x202c)
#define VMCS_GUEST_PHYS_ADDR F64(0x2400)
#define GUEST_LINK_POINTER F64(0x2800)
#define GUEST_DEBUGCTL F64(0x2802)
#define GUEST_PAT F64(0x2804)
#define GUEST_EFER F64(0x2806)
#define GUEST_PDPTE0 F64(0x280a)
#define GUEST_PDPTE1 F64(0x280c)
#define GUEST_PDPTE2 F64(0x280e)
#define GUEST_PDPTE3 F64(0x2810)
#define HOST_PAT F64(0x2c00)
#define HOST_EFER F64(0x2c02)

/* 32-bit */
#define VMCS_PIN_CTLS F32(0x4000)
#define VMCS_PROC_CTLS F32(0x4002)
#define VMCS_EXCEPTION_BITMAP F32(0x4004)
#define VMCS_PF_ERROR_MASK F32(0x4006)
#define VMCS_PF_ERROR_MATCH F32(0x4008)
#define VMCS_CR3_TARGET_COUNT F32(0x400a)
#define VMCS_EXIT_CTLS F32(0x400c)
#define VMCS_EXIT_MSR_STORE_COUNT F32(0x400e)
#define VMCS_EXIT_MSR_LOAD_COUNT F32(0x4010)
#define VMCS_ENTRY_CTLS F32(0x4012)
#define VMCS_ENTRY_MSR_LOAD_COUNT F32(0x4014)
#define VMCS_ENTRY_INTR_INFO F32(0x4016)
#define VMCS_ENTRY_EXC_ERROR F32(0x4018)
#define VMCS_ENTRY_INSN_LEN F32(0x401a)
#define VMCS_PROC_CTLS2 F32(0x401e)
#define VMCS_INSN_ERROR F32(0x4400)
#define VMCS_EXIT_REASON F32(0x4402)
#define VMCS_EXIT_INTR_INFO F32(0x4404)
#define VMCS_EXIT_INTR_ERROR F32(0x4406)
#define VMCS_IDT_VECTORING_INFO F32(0x4408)
#define VMCS_IDT_VECTORING_ERROR F32(0x440a)
#define VMCS_EXIT_INSN_LEN F32(0x440c)
#define VMCS_EXIT_INSN_INFO F32(0x440e)
#define GUEST_ES_LIMIT F32(0x4800)
#define GUEST_CS_LIMIT F32(0x4802)
#define GUEST_SS_LIMIT F32(0x4804)
#define GUEST_DS_LIMIT F32(0x4806)
#define GUEST_FS_LIMIT F32(0x4808)
#define GUEST_GS_LIMIT F32(0x480a)
#define GUEST_LDTR_LIMIT F32(0x480c)
#define GUEST_TR_LIMIT F32(0x480e)
#define GUEST_GDTR_LIMIT F32(0x4810)
#define GUEST_IDTR_LIMIT F32(0x4812)
#define GUEST_ES_AR F32(0x4814)
#define GUEST_CS_AR F32(0x4816)
#define GUEST_SS_AR F32(0x4818)
#define GUEST_DS_AR F32(0x481a)
#define GUEST_FS_AR F32(0x481c)
#define GUEST_GS_AR F32(0x481e)
#define GUEST_LDTR_AR F32(0x4820)
#define GUEST_TR_AR F32(0x4822)
#define GUEST_INTERRUPTIBILITY F32(0x4824)
#define GUEST_ACTIVITY_STATE F32(0x4826)
#define GUEST_SYSENTER_CS F32(0x482a)
#define HOST_SYSENTER_CS F32(0x4c00)

/* natural width */
#define VMCS_CR0_MASK FN(0x6000)
#define VMCS_CR4_MASK FN(0x6002)
#define VMCS_CR0_SHADOW FN(0x6004)
#define VMCS_CR4_SHADOW FN(0x6006)
#define VMCS_EXIT_QUALIFICATION FN(0x6400)
#define VMCS_GUEST_LINEAR_ADDR FN(0x640a)
#define GUEST_CR0 FN(0x6800)
#define GUEST_CR3 FN(0x6802)
#define GUEST_CR4 FN(0x6804)
#define GUEST_ES_BASE FN(0x6806)
#define GUEST_CS_BASE FN(0x6808)
#define GUEST_SS_BASE FN(0x680a)
#define GUEST_DS_BASE FN(0x680c)
#define GUEST_FS_BASE FN(0x680e)
#define GUEST_GS_BASE FN(0x6810)
#define GUEST_LDTR_BASE FN(0x6812)
#define GUEST_TR_BASE FN(0x6814)
#define GUEST_GDTR_BASE FN(0x6816)
#define GUEST_IDTR_BASE FN(0x6818)
#define GUEST_DR7 FN(0x681a)
#define GUEST_RSP FN(0x681c)
#define GUEST_RIP FN(0x681e)
#define GUEST_RFLAGS FN(0x6820)
#define GUEST_PENDING_DBG FN(0x6822)
#define GUEST_SYSENTER_ESP FN(0x6824)
#define GUEST_SYSENTER_EIP FN(0x6826)
#define HOST_CR0 FN(0x6c00)
#define HOST_CR3 FN(0x6c02)
#define HOST_CR4 FN(0x6c04)
#define HOST_FS_BASE FN(0x6c06)
#define HOST_GS_BASE FN(0x6c08)
#define HOST_TR_BASE FN(0x6c0a)
#define HOST_GDTR_BASE FN(0x6c0c)
#define HOST_IDTR_BASE FN(0x6c0e)
#define HOST_SYSENTER_ESP FN(0x6c10)
#define HOST_SYSENTER_EIP FN(0x6c12)
#define HOST_RSP FN(0x6c14)
#define HOST_RIP FN(0x6c16)

/* Pin-based controls */
#define PIN_EXT_INTR_EXIT BIT(0)
#define PIN_NMI_EXIT BIT(3)
#define PIN_VIRTUAL_NMI BIT(5)
#define PIN_PREEMPT_TIMER BIT(6)

/* Primary processor-based controls */
#define PROC_HLT_EXIT BIT(7)
#define PROC_INVLPG_EXIT BIT(9)
#define PROC_CR3_LOAD_EXIT BIT(15)
#define PROC_CR3_STORE_EXIT BIT(16)
#define PROC_MOV_DR_EXIT BIT(23)
#define PROC_UNCOND_IO_EXIT BIT(24)
#define PROC_USE_IO_BITMAPS BIT(25)
#define PROC_MONITOR_TRAP BIT(27)
#define PROC_USE_MSR_BITMAPS BIT(28)
#define PROC_SECONDARY BIT(31)

/* Secondary processor-based controls */
#define PROC2_EPT BIT(1)
#define PROC2_RDTSCP BIT(3)
#define PROC2_VPID BIT(5)
#define PROC2_UNRESTRICTED BIT(7)
#define PROC2_INVPCID BIT(12)
#define PROC2_XSAVES BIT(20)
#define PROC2_USER_WAIT BIT(26)

/* VM-exit controls */
#define EXIT_SAVE_DEBUG BIT(2)
#define EXIT_HOST_64BIT BIT(9)
#define EXIT_SAVE_PAT BIT(18)
#define EXIT_LOAD_PAT BIT(19)
#define EXIT_SAVE_EFER BIT(20)
#define EXIT_LOAD_EFER BIT(21)

/* VM-entry controls */
#define ENTRY_LOAD_DEBUG BIT(2)
#define ENTRY_IA32E_GUEST BIT(9)
#define ENTRY_LOAD_PAT BIT(14)
#define ENTRY_LOAD_EFER BIT(15)

/* Interruption information (entry injection, exit, IDT vectoring) */
#define INTR_INFO_VECTOR 0xffu
#define INTR_TYPE_SHIFT 8
#define INTR_TYPE_MASK (7u << INTR_TYPE_SHIFT)
#define INTR_TYPE_EXT_INTR (0u << INTR_TYPE_SHIFT)
#define INTR_TYPE_NMI (2u << INTR_TYPE_SHIFT)
#define INTR_TYPE_HW_EXCEPTION (3u << INTR_TYPE_SHIFT)
#define INTR_TYPE_SW_INTR (4u << INTR_TYPE_SHIFT)
#define INTR_TYPE_PRIV_SW_EXC (5u << INTR_TYPE_SHIFT)
#define INTR_TYPE_SW_EXC (6u << INTR_TYPE_SHIFT)
#define INTR_INFO_ERROR_VALID BIT(11)
#define INTR_INFO_NMI_UNBLOCK BIT(12)
#define INTR_INFO_VALID BIT(31)

/* Guest interruptibility state */
#define INTERRUPTIBILITY_STI BIT(0)
#define INTERRUPTIBILITY_MOV_SS BIT(1)
#define INTERRUPTIBILITY_SMI BIT(2)
#define INTERRUPTIBILITY_NMI BIT(3)

/* Guest activity state */
#define ACTIVITY_ACTIVE 0
#define ACTIVITY_HLT 1
#define ACTIVITY_SHUTDOWN 2
#define ACTIVITY_WAIT_SIPI 3

/* Segment access rights (VMCS format) */
#define AR_UNUSABLE BIT(16)

/* Basic exit reasons (bits 15:0 of the exit reason field) */
#define VMX_EXIT_EXCEPTION_NMI 0
#define VMX_EXIT_EXT_INTR 1
#define VMX_EXIT_TRIPLE_FAULT 2
#define VMX_EXIT_INIT 3
#define VMX_EXIT_SIPI 4
#define VMX_EXIT_TASK_SWITCH 9
#define VMX_EXIT_CPUID 10
#define VMX_EXIT_GETSEC 11
#define VMX_EXIT_HLT 12
#define VMX_EXIT_INVD 13
#define VMX_EXIT_INVLPG 14
#define VMX_EXIT_RDPMC 15
#define VMX_EXIT_RDTSC 16
#define VMX_EXIT_RSM 17
#define VMX_EXIT_VMCALL 18
#define VMX_EXIT_VMCLEAR 19
#define VMX_EXIT_VMLAUNCH 20
#define VMX_EXIT_VMPTRLD 21
#define VMX_EXIT_VMPTRST 22
#define VMX_EXIT_VMREAD 23
#define VMX_EXIT_VMRESUME 24
#define VMX_EXIT_VMWRITE 25
#define VMX_EXIT_VMXOFF 26
#define VMX_EXIT_VMXON 27
#define VMX_EXIT_CR_ACCESS 28
#define VMX_EXIT_DR_ACCESS 29
#define VMX_EXIT_IO 30
#define VMX_EXIT_RDMSR 31
#define VMX_EXIT_WRMSR 32
#define VMX_EXIT_INVALID_GUEST 33
#define VMX_EXIT_MSR_LOADING 34
#define VMX_EXIT_MWAIT 36
#define VMX_EXIT_MTF 37
#define VMX_EXIT_MONITOR 39
#define VMX_EXIT_PAUSE 40
#define VMX_EXIT_MACHINE_CHECK 41
#define VMX_EXIT_EPT_VIOLATION 48
#define VMX_EXIT_EPT_MISCONFIG 49
#define VMX_EXIT_INVEPT 50
#define VMX_EXIT_RDTSCP 51
#define VMX_EXIT_PREEMPT_TIMER 52
#define VMX_EXIT_INVVPID 53
#define VMX_EXIT_WBINVD 54
#define VMX_EXIT_XSETBV 55
#define VMX_EXIT_VMFUNC 59
#define VMX_EXIT_ENCLS 60
#define VMX_EXIT_REASON_ENTRY_FAIL BIT(31)

/* EPT violation qualification */
#define EPT_QUAL_READ BIT(0)
#define EPT_QUAL_WRITE BIT(1)
#define EPT_QUAL_FETCH BIT(2)

/* CR access qualification */
#define CRQ_NUMBER(q) ((q) & 0xf)
#define CRQ_TYPE(q) (((q) >> 4) & 3) /* 0 mov to cr, 1 mov from cr, 2 clts, 3 lmsw */
#define CRQ_GPR(q) (((q) >> 8) & 0xf)
#define CRQ_LMSW_DATA(q) (((q) >> 16) & 0xffff)

/* VMX capability MSRs */
#define MSR_FEATURE_CONTROL 0x3a
#define FEATURE_CONTROL_LOCK BIT(0)
#define FEATURE_CONTROL_VMX_SMX BIT(1)
#define FEATURE_CONTROL_VMX BIT(2)
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_PINBASED 0x481
#define MSR_VMX_PROCBASED 0x482
#define MSR_VMX_EXIT 0x483
#define MSR_VMX_ENTRY 0x484
#define MSR_VMX_MISC 0x485
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_PROCBASED2 0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define MSR_VMX_TRUE_PINBASED 0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT 0x48f
#define MSR_VMX_TRUE_ENTRY 0x490
#define MSR_VMX_LAST 0x491 /* IA32_VMX_VMFUNC */

#define VMX_BASIC_REVISION(b) ((u32)(b) & 0x7fffffff)
#define VMX_BASIC_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b) (((b) >> 50) & 0xf)
#define VMX_BASIC_TRUE_CTLS BIT(55)
#define VMX_MISC_WAIT_SIPI BIT(8) /* the wait-for-SIPI activity state */

#define EPT_CAP_WALK4 BIT(6)
#define EPT_CAP_WB BIT(14)
#define EPT_CAP_2M BIT(16)
#define EPT_CAP_1G BIT(17)
#define EPT_CAP_INVEPT BIT(20)
#define EPT_CAP_INVEPT_SINGLE BIT(25)
#define EPT_CAP_INVEPT_ALL BIT(26)
#define VPID_CAP_INVVPID BIT(32)
#define VPID_CAP_SINGLE BIT(41)
#define VPID_CAP_ALL BIT(42)

#define MEMTYPE_WB 6

/* EPT entries and pointer */
#define EPT_R BIT(0)
#define EPT_W BIT(1)
#define EPT_X BIT(2)
#define EPT_MEMTYPE_SHIFT 3
#define EPT_LEAF_LARGE BIT(7)
#define EPTP_WALK4 (3u << 3)

#define INVEPT_SINGLE 1
#define INVEPT_ALL 2
#define INVVPID_SINGLE 1
#define INVVPID_ALL 2

#endif
