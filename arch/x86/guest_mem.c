/*
 * Guest linear-address translation and reads (see guest_mem.h), after the
 * paging chapters of the Intel SDM vol. 3 (ch. 4) and AMD APM vol. 2
 * (ch. 5).  Not modelled: SMEP/SMAP, protection keys, reserved-bit
 * faults, A/D updates; 5-level paging is refused.
 */
#include "arch/x86/guest_mem.h"

#define CR0_PE BIT(0)
#define CR0_WP BIT(16)
#define CR0_PG BIT(31)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_LA57 BIT(12)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_U BIT(2)
#define PTE_PS BIT(7)
#define PTE_NX BIT(63)

/* #PF error code bits */
#define PF_P BIT(0)
#define PF_W BIT(1)
#define PF_U BIT(2)
#define PF_I BIT(4)

enum decode_mode gm_code_mode(const struct guest_sysregs *s)
{
	if (!(s->cr0 & CR0_PE))
		return DECODE_16;
	if ((s->efer & EFER_LMA) && s->cs_l)
		return DECODE_64;
	return s->cs_db ? DECODE_32 : DECODE_16;
}

static bool read_entry(const struct gm_phys *ph, u64 addr, unsigned size, u64 *e)
{
	*e = 0;
	return ph->read(ph->ctx, addr & ph->addr_mask, e, size) == 0;
}

enum gm_result gm_translate(const struct guest_sysregs *s, const struct gm_phys *ph, u64 la,
			    unsigned access, u64 *gpa, u32 *pf_error)
{
	bool user = access & GM_USER, write = access & GM_WRITE, fetch = access & GM_FETCH;
	bool nxe = s->efer & EFER_NXE, all_w = true, all_u = true, nx = false;
	u64 e, pa, page_size = PAGE_SIZE, mask = ph->addr_mask & ~0xfffull;
	u32 err = (write ? PF_W : 0) | (user ? PF_U : 0) | (fetch && nxe ? PF_I : 0);

	*pf_error = 0;
	if (!(s->cr0 & CR0_PG)) {
		*gpa = la & 0xffffffffull;
		return GM_OK;
	}
	if (s->cr4 & CR4_LA57)
		return GM_UNSUPPORTED;

	if (s->efer & EFER_LMA || s->cr4 & CR4_PAE) {
		u64 table;
		int level;

		if (s->efer & EFER_LMA) {
			if ((u64)((s64)(la << 16) >> 16) != la)
				return GM_REFUSED; /* non-canonical: #GP, not #PF */
			table = s->cr3 & mask;
			level = 3;
		} else {
			la &= 0xffffffffull;
			if (!read_entry(ph, (s->cr3 & 0xffffffe0ull) + ((la >> 30) & 3) * 8, 8, &e))
				return GM_REFUSED;
			if (!(e & PTE_P))
				goto not_present;
			table = e & mask;
			level = 1;
		}
		for (;; level--) {
			if (!read_entry(ph, table + ((la >> (12 + 9 * level)) & 511) * 8, 8, &e))
				return GM_REFUSED;
			if (!(e & PTE_P))
				goto not_present;
			all_w &= !!(e & PTE_W);
			all_u &= !!(e & PTE_U);
			nx |= nxe && (e & PTE_NX);
			if (level == 0 || (level <= 2 && (e & PTE_PS))) {
				page_size = 1ull << (12 + 9 * level);
				pa = e & mask & ~(page_size - 1);
				break;
			}
			if (level == 3 && (e & PTE_PS))
				return GM_REFUSED; /* reserved in a PML4E */
			table = e & mask;
		}
	} else {
		la &= 0xffffffffull;
		if (!read_entry(ph, (s->cr3 & 0xfffff000ull) + ((la >> 22) & 0x3ff) * 4, 4, &e))
			return GM_REFUSED;
		if (!(e & PTE_P))
			goto not_present;
		all_w = e & PTE_W;
		all_u = e & PTE_U;
		if ((e & PTE_PS) && (s->cr4 & CR4_PSE)) {
			page_size = 4 * MiB;
			/* PSE-36: bits 20:13 hold physical address bits 39:32. */
			pa = ((e & 0xffc00000ull) | ((e >> 13) & 0xff) << 32) & ph->addr_mask;
		} else {
			if (!read_entry(ph, (e & 0xfffff000ull) + ((la >> 12) & 0x3ff) * 4, 4, &e))
				return GM_REFUSED;
			if (!(e & PTE_P))
				goto not_present;
			all_w &= !!(e & PTE_W);
			all_u &= !!(e & PTE_U);
			pa = e & 0xfffff000ull;
		}
	}
	if ((user && !all_u) || (write && !all_w && (user || (s->cr0 & CR0_WP))) ||
	    (fetch && nx)) {
		*pf_error = err | PF_P;
		return GM_PAGE_FAULT;
	}
	*gpa = pa | (la & (page_size - 1));
	return GM_OK;
not_present:
	*pf_error = err;
	return GM_PAGE_FAULT;
}

/* Reads [la, la + len) page by page; returns the bytes read in *done. */
static enum gm_result read_pages(const struct guest_sysregs *s, const struct gm_phys *ph,
				 u64 la, unsigned access, u8 *dst, size_t len, size_t *done,
				 u32 *pf_error, bool wrap32)
{
	enum gm_result r = GM_OK;

	*done = 0;
	while (*done < len) {
		u64 addr = la + *done, gpa;

		if (wrap32)
			addr &= 0xffffffffull;
		size_t chunk = MIN(len - *done, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));

		r = gm_translate(s, ph, addr, access, &gpa, pf_error);
		if (r != GM_OK)
			break;
		if (ph->read(ph->ctx, gpa & ph->addr_mask, dst + *done, chunk)) {
			r = GM_REFUSED;
			break;
		}
		*done += chunk;
	}
	return r;
}

enum gm_result gm_fetch_insn(const struct guest_sysregs *s, const struct gm_phys *ph, u64 rip,
			     u8 *buf, size_t *len)
{
	bool longmode = gm_code_mode(s) == DECODE_64;
	u64 la = longmode ? rip : s->seg_base[SEG_CS] + (u32)rip;
	u32 pf;
	enum gm_result r = read_pages(s, ph, la, GM_FETCH | (s->cpl == 3 ? GM_USER : 0), buf,
				      X86_MAX_INSN_LEN, len, &pf, !longmode);

	/* The decoder sees how many bytes there are; a fault on the second
	 * page only matters if the instruction really extends there. */
	return *len ? GM_OK : r;
}

enum gm_result gm_read_linear(const struct guest_sysregs *s, const struct gm_phys *ph, u64 la,
			      void *dst, size_t len, u32 *pf_error)
{
	size_t done;

	if (len > 8)
		return GM_REFUSED;
	return read_pages(s, ph, la, s->cpl == 3 ? GM_USER : 0, dst, len, &done, pf_error,
			  gm_code_mode(s) != DECODE_64);
}
