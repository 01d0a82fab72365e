/*
 * Reading the guest's memory the way its CPU would: translate a linear
 * address through the guest's own page tables (paging off, 32-bit with
 * 4 MiB pages, PAE, 4-level; large pages; present, write, user and NX
 * checks), then read guest-physical memory through a callback that may
 * refuse (Lamina's region, device memory).  The guest's tables are
 * hostile: every table read goes through the callback, a walk is at most
 * four reads, and table addresses are cut to the physical address width.
 * Pure logic, unit-tested on the host with synthetic tables.
 */
#ifndef ARCH_X86_GUEST_MEM_H
#define ARCH_X86_GUEST_MEM_H

#include "arch/x86/decode.h"
#include "core/types.h"

/* The guest's system state that emulation needs (filled by the backend's
 * get_sysregs op). */
struct guest_sysregs {
	u64 cr0, cr3, cr4, efer;
	u64 seg_base[SEG_COUNT]; /* ES, CS, SS, DS, FS, GS */
	bool cs_l, cs_db;        /* CS.L (64-bit code), CS.D/B (32-bit default) */
	u8 cpl;
};

/* Reads len bytes of guest-physical memory at gpa into dst (never
 * crossing a page); 0, or -1 when Lamina refuses the address. */
typedef int (*gm_read_fn)(void *ctx, u64 gpa, void *dst, size_t len);

struct gm_phys {
	gm_read_fn read;
	void *ctx;
	u64 addr_mask; /* physical address width, e.g. (1 << 52) - 1 */
};

/* Access kinds for gm_translate. */
#define GM_WRITE 1u
#define GM_USER 2u
#define GM_FETCH 4u

enum gm_result {
	GM_OK,
	GM_PAGE_FAULT, /* the guest's own tables forbid it: *pf_error holds the
			* #PF error code the CPU would push */
	GM_REFUSED,    /* a table or the data lies where Lamina will not read */
	GM_UNSUPPORTED,/* 5-level paging */
};

/* The decoder mode of the guest's current code segment. */
enum decode_mode gm_code_mode(const struct guest_sysregs *s);

/* Linear -> guest-physical for one access of kind `access` (GM_*). */
enum gm_result gm_translate(const struct guest_sysregs *s, const struct gm_phys *ph, u64 la,
			    unsigned access, u64 *gpa, u32 *pf_error);

/* Copies the instruction at CS:rip into buf (up to X86_MAX_INSN_LEN bytes,
 * across a page boundary when the next page translates too); *len gets
 * the bytes copied.  GM_OK when at least the first byte was read. */
enum gm_result gm_fetch_insn(const struct guest_sysregs *s, const struct gm_phys *ph, u64 rip,
			     u8 *buf, size_t *len);

/* Reads len bytes (<= 8 across at most one page boundary) at a linear
 * address, with the CPL's access rights. */
enum gm_result gm_read_linear(const struct guest_sysregs *s, const struct gm_phys *ph, u64 la,
			      void *dst, size_t len, u32 *pf_error);

#endif
