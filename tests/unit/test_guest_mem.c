/* The guest page-table walker (arch/x86/guest_mem.c) on synthetic guest
 * memory: every paging mode and page size, the access checks and their
 * #PF error codes, hostile tables (pointing into Lamina's memory, outside
 * RAM, at themselves), and instruction fetch across a page boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/guest_mem.h"

#define MEM_SIZE (2 * 1024 * 1024)
#define FORBIDDEN_BASE 0x1f0000 /* stands for Lamina's region */
#define P 1ull
#define W 2ull
#define U 4ull
#define PS 0x80ull
#define NX (1ull << 63)

static u8 *mem;
static unsigned reads;

static int read_phys(void *ctx, u64 gpa, void *dst, size_t len)
{
	(void)ctx;
	reads++;
	/* Never across a page, never outside RAM, never the forbidden range. */
	if (gpa >= MEM_SIZE || len > PAGE_SIZE || (gpa & 0xfff) + len > PAGE_SIZE ||
	    gpa + len > FORBIDDEN_BASE)
		return -1;
	memcpy(dst, mem + gpa, len);
	return 0;
}

static const struct gm_phys ph = { read_phys, NULL, (1ull << 52) - 1 };

static void put64(u64 gpa, u64 v) { memcpy(mem + gpa, &v, 8); }
static void put32(u64 gpa, u32 v) { memcpy(mem + gpa, &v, 4); }

static int setup(void **state)
{
	mem = calloc(1, MEM_SIZE);
	reads = 0;
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	free(mem);
	return 0;
}

static struct guest_sysregs long_mode(u64 cr3)
{
	return (struct guest_sysregs){ .cr0 = 0x80010011, .cr3 = cr3, .cr4 = 0x20,
				       .efer = 0xd00, .cs_l = true };
}

#define expect(...) expect_at(__LINE__, __VA_ARGS__)
static void expect_at(int line, const struct guest_sysregs *s, u64 la, unsigned acc,
		      enum gm_result r, u64 gpa_or_err)
{
	u64 gpa = ~0ull;
	u32 err = ~0u;
	enum gm_result got = gm_translate(s, &ph, la, acc, &gpa, &err);

	if (got != r)
		print_error("line %d: la %llx: result %d, want %d\n", line, (unsigned long long)la,
			    got, r);
	assert_int_equal(got, r);
	if (r == GM_OK)
		assert_int_equal(gpa, gpa_or_err);
	else if (r == GM_PAGE_FAULT)
		assert_int_equal(err, gpa_or_err);
}

static void test_paging_off(void **state)
{
	struct guest_sysregs s = { .cr0 = 0x11, .cs_db = true };

	expect(&s, 0x12345678, 0, GM_OK, 0x12345678);
	expect(&s, 0x1ffffffffull, GM_WRITE, GM_OK, 0xffffffff);
	assert_int_equal(gm_code_mode(&s), DECODE_32);
	s.cr0 = 0;
	assert_int_equal(gm_code_mode(&s), DECODE_16);
}

/* 4-level: PML4 0x1000, PDPT 0x2000 (1 GiB page at index 1), PD 0x3000
 * (2 MiB page at 0), PT 0x4000. */
static void build_4level(void)
{
	put64(0x1000, 0x2000 | P | W | U);
	put64(0x1000 + 511 * 8, 0x2000 | P | W);           /* the upper half too */
	put64(0x2000, 0x3000 | P | W | U);
	put64(0x2000 + 8, 0x40000000 | P | W | U | PS);     /* 1 GiB at 1 GiB */
	put64(0x3000, 0x600000 | P | W | PS | NX);          /* 2 MiB at 0: supervisor, NX */
	put64(0x3000 + 8, 0x4000 | P | W | U);              /* 2 MiB - 4 MiB */
	put64(0x4000 + 5 * 8, 0x7000 | P | U);              /* 0x205000 -> 0x7000, RO */
	put64(0x4000 + 6 * 8, 0x9000 | P | W | U);          /* 0x206000 -> 0x9000, RW */
}

static void test_4level(void **state)
{
	struct guest_sysregs s = long_mode(0x1000);

	build_4level();
	expect(&s, 0x205123, 0, GM_OK, 0x7123);
	expect(&s, 0x205123, GM_USER, GM_OK, 0x7123);
	expect(&s, 0x206ff8, GM_USER | GM_WRITE, GM_OK, 0x9ff8);
	expect(&s, 0x54321, 0, GM_OK, 0x654321);                    /* 2 MiB page */
	expect(&s, 0x40000000 + 0x12345678, 0, GM_OK, 0x52345678);  /* 1 GiB page */
	expect(&s, 0xffffff8000205123ull, 0, GM_OK, 0x7123);        /* upper half */
	/* Checks: user on a supervisor page, write to read-only (user; then
	 * supervisor with CR0.WP and without), fetch from NX, not present. */
	expect(&s, 0x54321, GM_USER, GM_PAGE_FAULT, 0x5);
	expect(&s, 0x205000, GM_USER | GM_WRITE, GM_PAGE_FAULT, 0x7);
	expect(&s, 0x205000, GM_WRITE, GM_PAGE_FAULT, 0x3);
	s.cr0 &= ~(1ull << 16);
	expect(&s, 0x205000, GM_WRITE, GM_OK, 0x7000);
	expect(&s, 0x1000, GM_FETCH, GM_PAGE_FAULT, 0x11);
	expect(&s, 0x207000, 0, GM_PAGE_FAULT, 0x0);
	expect(&s, 0x207000, GM_USER | GM_WRITE, GM_PAGE_FAULT, 0x6);
	expect(&s, 0x8000000000ull, 0, GM_PAGE_FAULT, 0x0);          /* PML4 slot 1 */
	/* Without EFER.NXE the NX bit is not a permission. */
	s.efer &= ~(1ull << 11);
	expect(&s, 0x1000, GM_FETCH, GM_OK, 0x601000);
	/* Non-canonical, 5-level. */
	expect(&s, 0x0000800000000000ull, 0, GM_REFUSED, 0);
	s.cr4 |= 1ull << 12;
	expect(&s, 0x1000, 0, GM_UNSUPPORTED, 0);
}

static void test_pae(void **state)
{
	struct guest_sysregs s = { .cr0 = 0x80000011, .cr3 = 0x1020, .cr4 = 0x20,
				   .efer = 0x800, .cs_db = true };

	put64(0x1020 + 3 * 8, 0x2000 | P);                 /* PDPTE 3: 3 GiB-4 GiB */
	put64(0x2000 + 511 * 8, 0xfee00000ull | P | W | PS | NX); /* 2 MiB at 0xffe00000 */
	put64(0x2000 + 0 * 8, 0x3000 | P | W);
	put64(0x3000 + 2 * 8, 0x5000 | P | W);
	expect(&s, 0xfffff0b0, GM_WRITE, GM_OK, 0xfefff0b0);
	expect(&s, 0xc0002010, 0, GM_OK, 0x5010);
	expect(&s, 0xc0002010, GM_USER, GM_PAGE_FAULT, 0x5);
	expect(&s, 0xfffff0b0, GM_FETCH, GM_PAGE_FAULT, 0x11);
	expect(&s, 0x10000000, 0, GM_PAGE_FAULT, 0);        /* PDPTE 0 absent */
	assert_int_equal(gm_code_mode(&s), DECODE_32);
}

static void test_32bit(void **state)
{
	struct guest_sysregs s = { .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x10, .cs_db = true };

	put32(0x1000 + (0xc0000000u >> 22) * 4, 0x2000 | P | W | U);
	put32(0x2000 + 3 * 4, 0x8000 | P | U);                     /* 0xc0003000 */
	/* 4 MiB page at 0xfec00000 with PSE-36 bits: physical 0x1_fec00000 */
	put32(0x1000 + (0xfec00000u >> 22) * 4, 0xfec00000u | (1u << 13) | P | W | PS);
	expect(&s, 0xc0003abc, GM_USER, GM_OK, 0x8abc);
	expect(&s, 0xc0003abc, GM_USER | GM_WRITE, GM_PAGE_FAULT, 0x7);
	expect(&s, 0xfee000b0, GM_WRITE, GM_OK, 0x1fee000b0ull);
	/* Without CR4.PSE the PS bit is ignored: the PDE points to a table. */
	s.cr4 = 0;
	expect(&s, 0xfee000b0, 0, GM_REFUSED, 0);
	expect(&s, 0x00400000, 0, GM_PAGE_FAULT, 0);
	/* Only the low 32 bits of the linear address count. */
	s.cr4 = 0x10;
	expect(&s, 0x1c0003abcull, 0, GM_OK, 0x8abc);
}

/* Hostile tables: into the forbidden range, outside RAM, loops. */
static void test_hostile(void **state)
{
	struct guest_sysregs s = long_mode(0x1000);

	put64(0x1000, (u64)FORBIDDEN_BASE | P | W);
	expect(&s, 0x1000, 0, GM_REFUSED, 0);
	put64(0x1000, 0x000ffffffffff000ull | P | W); /* far outside RAM */
	expect(&s, 0x1000, 0, GM_REFUSED, 0);
	/* A PML4 entry pointing at the PML4 itself, at every level: four
	 * reads and an answer, whatever it is. */
	put64(0x1000, 0x1000 | P | W);
	reads = 0;
	expect(&s, 0x0, 0, GM_OK, 0x1000);
	assert_true(reads <= 4);
	/* Data in the forbidden range: the translation is fine, the read is not. */
	put64(0x1000, 0x2000 | P | W);
	put64(0x2000, 0x3000 | P | W);
	put64(0x3000, 0x1e00000ull | P | W | PS);
	u8 buf[16];
	size_t n = 99;
	u32 pf;

	expect(&s, 0x12345, 0, GM_OK, 0x1e12345);
	assert_int_equal(gm_fetch_insn(&s, &ph, 0x12345, buf, &n), GM_REFUSED);
	assert_int_equal(n, 0);
	assert_int_equal(gm_read_linear(&s, &ph, 0x12345, buf, 4, &pf), GM_REFUSED);
	/* A PS bit in a PML4E is reserved. */
	put64(0x1000, 0x2000 | P | W | PS);
	expect(&s, 0x12345, 0, GM_REFUSED, 0);
}

/* An instruction split over two pages mapped to unrelated frames. */
static void test_fetch_across_pages(void **state)
{
	struct guest_sysregs s = long_mode(0x1000);
	u8 buf[X86_MAX_INSN_LEN];
	size_t n;
	u32 pf;
	u64 v = 0;

	build_4level();
	memcpy(mem + 0x7ffd, "\x8b\x04\x25", 3);  /* end of 0x205000's frame */
	memcpy(mem + 0x9000, "\xb0\xc0\x5f\xff\x90\x90\x90\x90\x90\x90\x90\x90", 12);
	assert_int_equal(gm_fetch_insn(&s, &ph, 0x205ffd, buf, &n), GM_OK);
	assert_int_equal(n, 15);
	assert_memory_equal(buf, "\x8b\x04\x25\xb0\xc0\x5f\xff", 7);
	/* The next page absent: only the first page's bytes. */
	put64(0x4000 + 6 * 8, 0);
	assert_int_equal(gm_fetch_insn(&s, &ph, 0x205ffd, buf, &n), GM_OK);
	assert_int_equal(n, 3);
	/* Nothing at all. */
	assert_int_equal(gm_fetch_insn(&s, &ph, 0x207000, buf, &n), GM_PAGE_FAULT);
	assert_int_equal(n, 0);
	/* A supervisor-only page fetched at CPL 3. */
	s.cpl = 3;
	assert_int_equal(gm_fetch_insn(&s, &ph, 0x1000, buf, &n), GM_PAGE_FAULT);
	/* Data read across a page boundary (both halves user-readable). */
	put64(0x4000 + 6 * 8, 0x9000 | P | W | U);
	assert_int_equal(gm_read_linear(&s, &ph, 0x205ffd, &v, 8, &pf), GM_OK);
	assert_memory_equal(&v, "\x8b\x04\x25\xb0\xc0\x5f\xff\x90", 8);
	/* Real mode: CS base + IP. */
	struct guest_sysregs rm = { .seg_base = { [SEG_CS] = 0x7c00 } };

	memcpy(mem + 0x7c10, "\xa3\x34\x12", 3);
	assert_int_equal(gm_fetch_insn(&rm, &ph, 0x10, buf, &n), GM_OK);
	assert_int_equal(gm_code_mode(&rm), DECODE_16);
	assert_memory_equal(buf, "\xa3\x34\x12", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_across_pages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
