/*
 * Transparent boot (boot=chain): after Lamina has virtualized the CPU, the
 * guest starts in real mode in a small stub (arch/x86/chain_stub.S) that
 * Lamina copies to the top of conventional memory.  The stub hooks INT 15h
 * so that the E820/E801/88h memory calls hide Lamina's region, reads the
 * boot sector of a BIOS drive with INT 13h and jumps to it at 0:7C00 with
 * DL = drive, as the BIOS would have.  See docs/chain-boot.md.
 */
#ifndef ARCH_X86_CHAIN_H
#define ARCH_X86_CHAIN_H

/* Parameter block at the start of the stub (filled in by Lamina). */
#define CP_MAGIC      0   /* u32: CHAIN_MAGIC */
#define CP_OLD_INT15  4   /* u16 offset, u16 segment: the BIOS's INT 15h */
#define CP_SERIAL     8   /* u16: I/O port of a 16550 for messages, or 0 */
#define CP_E801_AX    10  /* u16: most KiB between 1 and 16 MiB E801 may report */
#define CP_E801_BX    12  /* u16: most 64 KiB blocks above 16 MiB */
#define CP_EXT88      14  /* u16: most KiB above 1 MiB INT 15h AH=88h may report */
#define CP_MAP_OFF    16  /* u16: offset of the E820 entries (20 bytes each) */
#define CP_MAP_COUNT  18  /* u16: number of E820 entries */
#define CP_STACK_TOP  20  /* u16: initial SP (SS = CS) */
#define CP_NR_DRIVES  22  /* u8: drives to try, in order */
#define CP_DRIVES     23  /* u8[CHAIN_MAX_DRIVES] */
#define CHAIN_MAX_DRIVES 16
#define CP_SIZE       (CP_DRIVES + CHAIN_MAX_DRIVES)

#define CHAIN_MAGIC 0x48434d4c /* "LMCH" */
#define CHAIN_E820_ENTRY 20
#define CHAIN_STACK_SIZE 1024

#ifndef __ASSEMBLY__
#include "boot/bootinfo.h"
#include "core/options.h"
#include "core/vcpu.h"

struct chain_params {
	u32 magic;
	u16 old_int15_off, old_int15_seg;
	u16 serial_port;
	u16 e801_ax_max, e801_bx_max, ext88_max;
	u16 map_off, map_count;
	u16 stack_top;
	u8 nr_drives;
	u8 drives[CHAIN_MAX_DRIVES];
} __packed;

_Static_assert(sizeof(struct chain_params) == CP_SIZE, "chain_stub.S parameter layout");

/* Limits the stub applies to the BIOS's answers to E801 and AH=88h. */
struct chain_mem_limits {
	u16 e801_ax, e801_bx, ext88;
};

/* Pure helpers (arch/x86/chain_plan.c, unit-tested). */

/* The BIOS drives to try, in order: the one of boot=chain:<drive>, or
 * (drive == OPT_CHAIN_DRIVE_AUTO) every hard disk the BIOS counts except
 * the one the loader booted from (boot_drive, or BIOS_DRIVE_NONE).
 * Fills out[0..max) and returns the count. */
unsigned chain_drive_list(u16 drive, u32 boot_drive, unsigned nr_hard_disks, u8 *out,
			  unsigned max);

/* E801/88h limits that keep the BIOS's legacy memory sizes below
 * `hidden_base`, the lowest byte above 1 MiB the guest must not use. */
struct chain_mem_limits chain_mem_limits(u64 hidden_base);

/* Prepares the chain boot: the stub and its hook in guest memory, the
 * platform state restored, v set to start the stub in real mode.
 * Errors are reported; returns 0 or -errno. */
int chain_load(const struct boot_info *bi, const struct options *o, struct vcpu *v);

#endif
#endif
