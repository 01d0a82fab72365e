/* boot/multiboot2.c: parsing the loader's information, malformed included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/bootinfo.h"
#include "tests/unit/hv_host.h"

#define MAGIC 0x36d76289u

/* Builds a multiboot2 information structure tag by tag. */
struct mbi {
	uint8_t buf[4096] __attribute__((aligned(8)));
	uint32_t len;
};

static void mbi_start(struct mbi *m)
{
	memset(m, 0, sizeof(*m));
	m->len = 8;
}

static void *mbi_tag(struct mbi *m, uint32_t type, uint32_t size)
{
	uint8_t *t = m->buf + m->len;

	((uint32_t *)t)[0] = type;
	((uint32_t *)t)[1] = size;
	m->len += (size + 7) & ~7u;
	return t;
}

static uint64_t mbi_finish(struct mbi *m)
{
	mbi_tag(m, 0, 8);
	((uint32_t *)m->buf)[0] = m->len;
	return (uint64_t)m->buf;
}

static void add_string(struct mbi *m, uint32_t type, const char *s)
{
	char *t = mbi_tag(m, type, 8 + strlen(s) + 1);

	strcpy(t + 8, s);
}

static void add_module(struct mbi *m, uint32_t start, uint32_t end, const char *s)
{
	uint8_t *t = mbi_tag(m, 3, 16 + strlen(s) + 1);

	((uint32_t *)t)[2] = start;
	((uint32_t *)t)[3] = end;
	strcpy((char *)t + 16, s);
}

static void add_mmap(struct mbi *m, const uint64_t (*ranges)[3], int n, uint32_t entry_size)
{
	uint8_t *t = mbi_tag(m, 6, 16 + n * entry_size);

	((uint32_t *)t)[2] = entry_size;
	for (int i = 0; i < n; i++) {
		uint8_t *e = t + 16 + i * entry_size;

		memcpy(e, &ranges[i][0], 8);
		memcpy(e + 8, &ranges[i][1], 8);
		memcpy(e + 16, &(uint32_t){ (uint32_t)ranges[i][2] }, 4);
	}
}

static struct boot_info bi;

static void full_information(void **state)
{
	static struct mbi m;
	static const uint64_t ram[][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0x100000, 0x3fee0000, 1 },
		{ 0x40000000, 0, 1 }, /* empty ranges are dropped */
	};

	(void)state;
	mbi_start(&m);
	add_string(&m, 1, "memory=64M quiet");
	add_module(&m, 0x300000, 0x500000, "console=ttyS0");
	add_module(&m, 0x500000, 0x600000, "");
	add_mmap(&m, ram, 4, 24);
	mbi_tag(&m, 99, 12); /* unknown tags are skipped */
	assert_int_equal(multiboot2_parse(MAGIC, mbi_finish(&m), &bi), 0);
	assert_string_equal(bi.cmdline, "memory=64M quiet");
	assert_int_equal(bi.nr_modules, 2);
	assert_int_equal(bi.modules[0].start, 0x300000);
	assert_int_equal(bi.modules[0].size, 0x200000);
	assert_string_equal(bi.modules[0].cmdline, "console=ttyS0");
	assert_int_equal(bi.nr_mem, 3);
	assert_int_equal(bi.mem[2].base, 0x100000);
	assert_int_equal(bi.mem[2].type, 1);
	assert_int_equal(bi.info_size, m.len);
}

static void wrong_magic(void **state)
{
	static struct mbi m;

	(void)state;
	mbi_start(&m);
	assert_int_not_equal(multiboot2_parse(0x2badb002, mbi_finish(&m), &bi), 0);
}

static void tag_past_the_end(void **state)
{
	static struct mbi m;

	(void)state;
	mbi_start(&m);
	uint32_t *t = mbi_tag(&m, 1, 16);

	mbi_finish(&m);
	t[1] = 4000; /* claims to run past total_size */
	assert_int_not_equal(multiboot2_parse(MAGIC, (uint64_t)m.buf, &bi), 0);
	t[1] = 4; /* smaller than a tag header */
	assert_int_not_equal(multiboot2_parse(MAGIC, (uint64_t)m.buf, &bi), 0);
	t[1] = 0xfffffff9; /* offset + size wraps around 32 bits (found by fuzzing) */
	assert_int_not_equal(multiboot2_parse(MAGIC, (uint64_t)m.buf, &bi), 0);
}

static void malformed_tags_are_ignored(void **state)
{
	static struct mbi m;
	static const uint64_t ram[][3] = { { 0, 0x9fc00, 1 } };

	(void)state;
	mbi_start(&m);
	add_module(&m, 0x500000, 0x400000, "backwards");
	char *s = mbi_tag(&m, 1, 12); /* string with no terminator */

	memcpy(s + 8, "abcd", 4);
	add_mmap(&m, ram, 1, 8); /* entries too small to hold a range */
	assert_int_equal(multiboot2_parse(MAGIC, mbi_finish(&m), &bi), 0);
	assert_int_equal(bi.nr_modules, 0);
	assert_string_equal(bi.cmdline, "");
	assert_int_equal(bi.nr_mem, 0);
}

static void too_many_modules(void **state)
{
	static struct mbi m;

	(void)state;
	mbi_start(&m);
	for (int i = 0; i < MAX_MODULES + 3; i++)
		add_module(&m, 0x100000 * i, 0x100000 * i + 1, "");
	assert_int_equal(multiboot2_parse(MAGIC, mbi_finish(&m), &bi), 0);
	assert_int_equal(bi.nr_modules, MAX_MODULES);
}

static void boot_device(void **state)
{
	static struct mbi m;
	uint32_t *t;

	(void)state;
	mbi_start(&m);
	assert_int_equal(multiboot2_parse(MAGIC, mbi_finish(&m), &bi), 0);
	assert_int_equal(bi.bios_drive, BIOS_DRIVE_NONE);

	mbi_start(&m);
	t = mbi_tag(&m, 5, 20);
	t[2] = 0x80;
	t[3] = 0;
	t[4] = 0xffffffff;
	assert_int_equal(multiboot2_parse(MAGIC, mbi_finish(&m), &bi), 0);
	assert_int_equal(bi.bios_drive, 0x80);

	mbi_start(&m);
	t = mbi_tag(&m, 5, 20);
	t[2] = 0xffffffff; /* not a BIOS drive (e.g. booted by UEFI) */
	assert_int_equal(multiboot2_parse(MAGIC, mbi_finish(&m), &bi), 0);
	assert_int_equal(bi.bios_drive, BIOS_DRIVE_NONE);

	mbi_start(&m);
	t = mbi_tag(&m, 5, 12); /* too short to hold biosdev */
	t[2] = 0x81;
	assert_int_equal(multiboot2_parse(MAGIC, mbi_finish(&m), &bi), 0);
	assert_int_equal(bi.bios_drive, BIOS_DRIVE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_information),
		cmocka_unit_test(wrong_magic),
		cmocka_unit_test(tag_past_the_end),
		cmocka_unit_test(malformed_tags_are_ignored),
		cmocka_unit_test(too_many_modules),
		cmocka_unit_test(boot_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
