/* Backend-private vCPU state, embedded in struct vcpu. */
#ifndef ARCH_X86_VCPU_ARCH_H
#define ARCH_X86_VCPU_ARCH_H

#include "core/types.h"

struct vmcb;

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u64 host_vmcb_pa;
	u64 hsave_pa;
	u64 guest_hsave_pa;  /* what the guest wrote to VM_HSAVE_PA */
	bool saved_tf;       /* guest's own RFLAGS.TF during a single-step */
	u64 saved_dr6;
	bool nmi_pending;    /* an NMI for the guest waits for a free injection */
	bool nmi_masked;     /* the guest has not yet left the last NMI Lamina
			      * gave it (no IRET since): the next one waits */
};

struct vmx_vcpu {
	void *vmxon;         /* this CPU's VMXON region */
	void *vmcs;
	u64 vmcs_pa;
	bool launched;       /* VMRESUME from now on */
	u32 proc;            /* primary processor-based controls (MTF) */
	u32 entry;           /* VM-entry controls (IA-32e mode guest) */
	u32 exit_reason;     /* last exit, for reports */
	u32 entry_error;     /* VM-instruction error of a failed entry */
	bool tf_stepping;    /* single-stepping with RFLAGS.TF (no MTF) */
	bool saved_tf;       /* guest's RFLAGS.TF during a TF single-step */
	bool nmi_pending;    /* inject_nmi: waits for an entry that can take it */
	u8 stale_inits_left; /* started by a SIPI, no other exit since */
};

struct vcpu_arch {
	union {
		struct svm_vcpu svm;
		struct vmx_vcpu vmx;
	};
};

#endif
