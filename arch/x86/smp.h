#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include "core/types.h"

struct boot_info;
struct vcpu;

/* Brings every CPU of the ACPI MADT but the boot CPU (vcpus[0], already
 * registered) under Lamina, up to max_cpus in all (0: no limit), each
 * waiting for the guest's startup IPI, and marks disabled in the MADT the
 * CPUs that did not come up or were left out. */
void smp_start_cpus(const struct boot_info *bi, unsigned max_cpus);

/* v's CPU got INIT (VT-x: an INIT exit; SVM: the guest's INIT IPI,
 * emulated): it waits for a startup IPI, as on bare metal. */
void vcpu_receive_init(struct vcpu *v);
/* A startup IPI for v: starts it at vector << 12 when it waits for one;
 * ignored otherwise, as by the hardware. */
void vcpu_receive_sipi(struct vcpu *v, u8 vector);

struct vcpu *vcpu_by_apic_id(u32 apic_id);
/* The vCPU of the calling CPU (by its APIC ID; not for hot paths), or
 * NULL before it has one. */
struct vcpu *vcpu_current(void);
/* Posts VCPU_REQ_INIT / VCPU_REQ_SIPI (with its vector) to t and makes t
 * take it soon: at once when t is the sender's own vCPU, else t's CPU is
 * kicked with an NMI. */
void vcpu_post_request(struct vcpu *sender, struct vcpu *t, u32 req, u8 vector);

/* After a change to the nested tables that takes a mapping away (e.g. a
 * device page newly trapped at run time): every vCPU drops its cached
 * guest translations before it runs guest code again.  Returns once every
 * other running vCPU has done so.  The caller must hold no lock another
 * CPU may wait for.  SVM kicks the others with an NMI; on VT-x, NMIs go to
 * the guest, so the others flush at their next exit. */
void smp_flush_guest_tlbs(struct vcpu *self);

#endif
