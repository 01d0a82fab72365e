/*
 * Lamina hypercall ABI, shared by the hypervisor and guest tools.
 * See docs/hypercalls.md.  Everything travels in registers, so Lamina
 * never reads or writes guest memory on behalf of a hypercall.
 *
 * Call:   RAX = LAMINA_HC_MAGIC | function, arguments in RBX, RCX.
 *         Instruction: VMMCALL on AMD, VMCALL on Intel.
 * Return: RAX = result (>= 0) or a negative errno; data in
 *         RBX, RCX, RDX, RSI, RDI, R8 (in that order, little-endian bytes).
 */
#ifndef LAMINA_HYPERCALL_H
#define LAMINA_HYPERCALL_H

#define LAMINA_HC_MAGIC      0x4c4d0000u  /* "LM" in the upper half of EAX */
#define LAMINA_HC_MAGIC_MASK 0xffff0000u

/* PROBE: RAX = 0, RBX = LAMINA_SIGNATURE, RCX = version (maj<<16|min<<8|patch). */
#define LAMINA_HC_PROBE      0x00
/* READ: RBX = stream, RCX = byte offset.  RAX = bytes returned (0..48),
 * 0 at the end.  Reading offset 0 takes a fresh snapshot of the stream. */
#define LAMINA_HC_READ       0x01

#define LAMINA_STREAM_STATUS 0   /* "key: value" lines */
#define LAMINA_STREAM_LOG    1   /* the log ring, oldest first */
#define LAMINA_STREAM_PCI    2   /* PCI functions Lamina found, one a line */

#define LAMINA_HC_READ_MAX   48  /* six 8-byte registers */
#define LAMINA_SIGNATURE     0x414e494d414cull  /* "LAMINA" */

#define LAMINA_ENOSYS        38
#define LAMINA_EINVAL        22

#endif
