/*
 * The vCPU interface between common exit handling and a hardware backend
 * (AMD SVM or Intel VT-x).  A backend runs the guest until an exit, turns
 * its hardware exit into one arch-neutral `struct vcpu_exit`, and offers
 * the few operations common code needs; everything else is common.
 */
#ifndef CORE_VCPU_H
#define CORE_VCPU_H

#include "core/types.h"

struct pt_format;
struct guest_sysregs;

/* Guest general-purpose registers; RIP, RSP, RFLAGS included so common
 * code never asks the backend for them. */
struct guest_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rip, rflags;
};

enum exit_reason {
	EXIT_CPUID,
	EXIT_MSR_READ,
	EXIT_MSR_WRITE,
	EXIT_HYPERCALL,
	EXIT_NESTED_FAULT,  /* NPT / EPT violation */
	EXIT_VIRT_INSN,     /* guest used a virtualization instruction */
	EXIT_DEBUG_TRAP,    /* single-step trap Lamina asked for */
	EXIT_SHUTDOWN,      /* triple fault */
	EXIT_INVALID_STATE, /* hardware refused the guest state */
	EXIT_CR_ACCESS,     /* write to a host-owned control-register bit */
	EXIT_XSETBV,        /* guest XSETBV (always intercepted by VT-x) */
	EXIT_IO,            /* IN/OUT/INS/OUTS on a port Lamina registered */
	EXIT_MMIO,          /* nested fault on a page Lamina registered (set by
			     * common code, arch/x86/mmio.c) */
	EXIT_INIT,          /* INIT signal reached the CPU (VT-x) */
	EXIT_SIPI,          /* startup IPI while waiting for one (VT-x) */
	EXIT_NMI,           /* NMI intercepted (SVM: Lamina's wake-up kick, or
			     * the guest's own NMI, which is re-injected) */
	EXIT_UNKNOWN,
	EXIT_REASON_COUNT
};

extern const char *const exit_reason_names[EXIT_REASON_COUNT];

struct vcpu_exit {
	enum exit_reason reason;
	u64 hw_code;     /* backend's raw exit code, for reports */
	u64 hw_info1, hw_info2;
	u8 insn_len;     /* length of the exiting instruction when known, else 0 */
	union {
		u32 msr;
		struct {
			u64 gpa;
			bool write, exec;
			/* The hardware says the fault is on the address of a
			 * memory operand of the instruction at RIP: not on a
			 * guest page-table entry, not during event delivery.
			 * False when it does not say (Lamina then checks with
			 * the guest's page tables). */
			bool final;
		} fault;
		struct {
			u16 port;
			u8 size;     /* 1, 2, 4 */
			bool in, string, rep;
		} io;
		u8 sipi_vector;
	};
};

struct vcpu;

struct vcpu_backend {
	const char *name;   /* "svm" / "vmx" */
	const char *paging; /* "npt" / "ept" */
	/* Enables virtualization on the calling CPU and prepares v to start
	 * at v->regs; 0 or -errno with the reason logged. */
	int (*vcpu_init)(struct vcpu *v);
	/* Runs the guest until an exit Lamina must handle. */
	void (*run)(struct vcpu *v, struct vcpu_exit *exit);
	/* Moves RIP past the exiting instruction. */
	void (*skip_insn)(struct vcpu *v, const struct vcpu_exit *exit, unsigned len_hint);
	void (*inject_exception)(struct vcpu *v, unsigned vector, bool has_error, u32 error);
	/* Single-step the guest for one instruction (EXIT_DEBUG_TRAP after). */
	void (*set_single_step)(struct vcpu *v, bool on);
	/* Nested page tables changed: drop the guest's cached translations. */
	void (*flush_guest_tlb)(struct vcpu *v);
	void (*dump_state)(struct vcpu *v);
	u64 (*guest_cr4)(struct vcpu *v);
	/* The control registers, EFER, segment bases, CS mode bits and CPL
	 * that instruction emulation needs (arch/x86/guest_mem.h). */
	void (*get_sysregs)(struct vcpu *v, struct guest_sysregs *s);
	/* Entry encoding of this backend's nested page tables. */
	const struct pt_format *nested_format;
	/* The backend can start the guest in real mode (GUEST_START_REAL). */
	bool real_mode;
	/* INIT: v waits for a startup IPI, its guest state as INIT leaves a
	 * CPU (VT-x: the wait-for-SIPI activity state; SVM: nothing to do,
	 * Lamina parks the CPU in vcpu_loop). */
	void (*wait_for_sipi)(struct vcpu *v);
	/* SIPI: v starts in real mode at CS = vector << 8, IP = 0. */
	void (*start_at_sipi)(struct vcpu *v, u8 vector);
	/* Queues an NMI for the guest (one the guest sent, intercepted). */
	void (*inject_nmi)(struct vcpu *v);
	/* The CPU takes INIT and SIPI in guest mode itself and reports them
	 * (VT-x).  Otherwise the guest's INIT and SIPI IPIs never reach a CPU:
	 * Lamina intercepts them at the APIC and emulates them (SVM). */
	bool hw_init_sipi;
};

#include "arch/x86/vcpu_arch.h"

/* The CPU mode and descriptor tables of the guest's first instruction
 * (at regs.rip). */
enum guest_start_mode {
	GUEST_START_FLAT32, /* protected mode, paging off, flat 4 GiB segments
			     * (CS 0x10, the others 0x18) in the GDT below */
	GUEST_START_REAL,   /* real mode as after the BIOS: CS = DS = ES = SS =
			     * FS = GS = real_seg, IVT at 0 (chain boot) */
};

struct guest_start {
	enum guest_start_mode mode;
	u64 gdt_base;  /* FLAT32 */
	u16 gdt_limit;
	u16 real_seg;  /* REAL */
};

enum vcpu_state {
	VCPU_RUNNING,
	VCPU_WAIT_SIPI, /* after INIT, until a startup IPI */
};

struct vcpu {
	struct guest_regs regs;
	struct guest_start start;
	unsigned id;     /* index in vcpus[], 0 = the boot CPU */
	u32 apic_id;
	volatile enum vcpu_state state;
	/* INIT and startup IPIs other CPUs posted (VCPU_REQ_*, SVM), and the
	 * SIPI's vector; taken by v's own CPU after its next exit. */
	volatile u32 requests;
	volatile u8 sipi_vector;
	/* NMIs this CPU took in Lamina (arch/x86/nmi.S) and how many common
	 * code has accounted for; kick: another CPU's NMI was a wake-up. */
	volatile u32 nmis;
	u32 nmis_seen;
	volatile u32 kick;
	/* Another CPU changed the nested tables: flush before running. */
	volatile u32 flush_tlb;
	/* The guest's logical APIC destination (LDR, DFR), for emulated IPIs. */
	u32 apic_ldr, apic_dfr;
	const struct vcpu_backend *backend;
	struct vcpu_arch arch;
	/* Memory-guard single-step in progress (see arch/x86/guard.c). */
	bool guard_stepping;
	/* The guest's extended state while Lamina uses SIMD on this vCPU's
	 * CPU (simd_begin/simd_end, arch/x86/simd.h). */
	struct xstate_area *simd_area;
	u64 exits[EXIT_REASON_COUNT];
	u64 exits_total;
	/* TSC cycles Lamina spent handling each kind of exit. */
	u64 exit_cycles[EXIT_REASON_COUNT];
};

#define VCPU_REQ_INIT BIT(0)
#define VCPU_REQ_SIPI BIT(1)

static inline void vcpu_count_exit(struct vcpu *v, enum exit_reason r)
{
	v->exits[r]++;
	v->exits_total++;
}

#define MAX_CPUS 64
extern struct vcpu *vcpus[MAX_CPUS];
extern unsigned nr_vcpus;

#endif
