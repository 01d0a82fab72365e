/* drivers/disk/diskcrypt.c: encrypt= targets, key sources and their
 * wiping, the sector transform against the XTS library, LBA ranges and the
 * guest-RAM checks for shadow DMA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/bootinfo.h"
#include "core/mem.h"
#include "core/options.h"
#include "crypto/sha256.h"
#include "crypto/xts.h"
#include "drivers/disk/diskcrypt.h"
#include "tests/unit/hv_host.h"

#define KEY64 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static int simd_depth, simd_batches;

void simd_begin(struct vcpu *v)
{
	(void)v;
	assert_int_equal(simd_depth++, 0);
	simd_batches++;
}

void simd_end(struct vcpu *v)
{
	(void)v;
	assert_int_equal(--simd_depth, 0);
}

/* "Guest RAM" for the checks: two adjacent ranges and a separate one. */
static u8 ram[3][16384] __attribute__((aligned(4096)));
static struct boot_info bi;
static struct options opts;
static char cmdline[512];

static int setup_with(const char *line)
{
	hv_host_reset();
	simd_batches = 0;
	strcpy(cmdline, line);
	memset(&bi, 0, sizeof(bi));
	bi.cmdline = cmdline;
	bi.mem[0] = (struct mem_range){ (u64)ram[0], 8192, MEM_USABLE };
	bi.mem[1] = (struct mem_range){ (u64)ram[0] + 8192, 8192, MEM_USABLE };
	bi.mem[2] = (struct mem_range){ (u64)ram[2], 8192, MEM_RESERVED };
	bi.nr_mem = 3;
	hv_region = (struct hv_region){ (u64)ram[1], sizeof(ram[1]), 0 };
	if (options_parse(cmdline, &opts))
		return -1;
	return disk_crypt_init(&opts, &bi);
}

static void targets_are_found(void **state)
{
	(void)state;
	assert_int_equal(setup_with("encrypt=ata:1.0 encrypt=ahci:2 key=" KEY64), 0);
	assert_non_null(disk_crypt_find(DISK_BUS_ATA, 1, 0));
	assert_non_null(disk_crypt_find(DISK_BUS_AHCI, 2, 0));
	assert_null(disk_crypt_find(DISK_BUS_ATA, 0, 0));
	assert_null(disk_crypt_find(DISK_BUS_ATA, 1, 1));
	assert_null(disk_crypt_find(DISK_BUS_AHCI, 1, 0));
	assert_true(disk_crypt_encrypts(disk_crypt_find(DISK_BUS_ATA, 1, 0)));
	/* The key is gone from the options and from the loader's command line. */
	assert_int_equal(opts.key.raw[1], 0);
	assert_null(strstr(cmdline, "0102"));
}

/* Whole-disk targets let the IDE mediator read the task file back. */
static void whole_disk_or_range(void **state)
{
	(void)state;
	assert_int_equal(setup_with("encrypt=ata:0.0 encrypt=ata:0.1@2048 encrypt=ata:1.0@0+8 "
				    "encrypt=ahci:0 key=none"), 0);
	assert_true(disk_crypt_whole_disk(disk_crypt_find(DISK_BUS_ATA, 0, 0)));
	assert_false(disk_crypt_whole_disk(disk_crypt_find(DISK_BUS_ATA, 0, 1)));
	assert_false(disk_crypt_whole_disk(disk_crypt_find(DISK_BUS_ATA, 1, 0)));
	assert_true(disk_crypt_whole_disk(disk_crypt_find(DISK_BUS_AHCI, 0, 0)));
}

static void transform_matches_xts_and_range(void **state)
{
	static u8 plain[8 * 512], enc[8 * 512], ref[8 * 512], back[8 * 512];
	struct xts_key k;
	u8 key[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = i;
	xts_setkey(&k, key, 32);
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = i * 7 + 3;
	/* Sectors 100-104 encrypted; the request covers 98-105. */
	assert_int_equal(setup_with("encrypt=ata:0.0@100+5 key=" KEY64), 0);
	const struct disk_crypt *dc = disk_crypt_find(DISK_BUS_ATA, 0, 0);

	disk_crypt_encrypt(NULL, dc, 98, enc, plain, 8);
	assert_int_equal(simd_batches, 1);
	memcpy(ref, plain, sizeof(ref));
	xts_encrypt_units(&k, 100, 512, plain + 2 * 512, ref + 2 * 512, 5 * 512);
	assert_memory_equal(enc, ref, sizeof(ref));
	disk_crypt_decrypt(NULL, dc, 98, back, enc, 8);
	assert_memory_equal(back, plain, sizeof(plain));
	/* In place. */
	memcpy(back, enc, sizeof(back));
	disk_crypt_decrypt(NULL, dc, 98, back, back, 8);
	assert_memory_equal(back, plain, sizeof(plain));
	/* Wholly outside the range: a plain copy, no SIMD. */
	simd_batches = 0;
	disk_crypt_encrypt(NULL, dc, 0, enc, plain, 8);
	assert_memory_equal(enc, plain, sizeof(plain));
	assert_int_equal(simd_batches, 0);
}

static void key_none_copies(void **state)
{
	static u8 plain[2 * 512], out[2 * 512];

	(void)state;
	memset(plain, 0x5a, sizeof(plain));
	assert_int_equal(setup_with("encrypt=ata:0.1 key=none"), 0);
	const struct disk_crypt *dc = disk_crypt_find(DISK_BUS_ATA, 0, 1);

	assert_non_null(dc);
	assert_false(disk_crypt_encrypts(dc));
	disk_crypt_encrypt(NULL, dc, 7, out, plain, 2);
	assert_memory_equal(out, plain, sizeof(plain));
	assert_int_equal(simd_batches, 0);
}

static void passphrase_is_pbkdf2(void **state)
{
	static u8 plain[512], enc[512], ref[512];
	struct xts_key k;
	u8 key[64];

	(void)state;
	memset(plain, 0x11, sizeof(plain));
	assert_int_equal(setup_with("encrypt=ahci:0 passphrase=hunter2 salt=NaCl iterations=10"), 0);
	pbkdf2_hmac_sha256("hunter2", 7, "NaCl", 4, 10, key, 64);
	xts_setkey(&k, key, 64);
	xts_encrypt_units(&k, 5, 512, plain, ref, 512);
	disk_crypt_encrypt(NULL, disk_crypt_find(DISK_BUS_AHCI, 0, 0), 5, enc, plain, 1);
	assert_memory_equal(enc, ref, 512);
	assert_null(strstr(cmdline, "hunter2"));
	assert_int_equal(opts.key.text[0], 0);
}

static void keyfile_module_is_taken_and_wiped(void **state)
{
	static u8 keyfile[64], initrd[16];
	static u8 plain[512], enc[512], ref[512];
	struct xts_key k;

	(void)state;
	for (int i = 0; i < 64; i++)
		keyfile[i] = 0xa0 + i;
	memset(initrd, 0x77, sizeof(initrd));
	strcpy(cmdline, "encrypt=ata:0.0 keyfile=/boot/disk.key");
	hv_host_reset();
	memset(&bi, 0, sizeof(bi));
	bi.cmdline = cmdline;
	bi.modules[0] = (struct boot_module){ 0x1000, 0x1000, "root=/dev/sda" };
	bi.modules[1] = (struct boot_module){ (u64)keyfile, sizeof(keyfile), "/boot/disk.key" };
	bi.modules[2] = (struct boot_module){ (u64)initrd, sizeof(initrd), "" };
	bi.nr_modules = 3;
	assert_int_equal(options_parse(cmdline, &opts), 0);
	xts_setkey(&k, keyfile, 64);
	assert_int_equal(disk_crypt_init(&opts, &bi), 0);
	assert_int_equal(bi.nr_modules, 2);
	assert_int_equal(bi.modules[1].start, (u64)initrd);
	for (int i = 0; i < 64; i++)
		assert_int_equal(keyfile[i], 0);
	xts_encrypt_units(&k, 9, 512, plain, ref, 512);
	disk_crypt_encrypt(NULL, disk_crypt_find(DISK_BUS_ATA, 0, 0), 9, enc, plain, 1);
	assert_memory_equal(enc, ref, 512);

	/* A missing module or one of the wrong size is an error. */
	assert_int_not_equal(setup_with("encrypt=ata:0.0 keyfile=nope"), 0);
	strcpy(cmdline, "encrypt=ata:0.0 keyfile=k");
	bi.modules[0] = (struct boot_module){ (u64)initrd, sizeof(initrd), "k" };
	bi.nr_modules = 1;
	assert_int_equal(options_parse(cmdline, &opts), 0);
	assert_int_not_equal(disk_crypt_init(&opts, &bi), 0);
	assert_int_equal(bi.nr_modules, 0);
}

static void dma_ranges(void **state)
{
	u64 r0 = (u64)ram[0], r1 = (u64)ram[1], r2 = (u64)ram[2];
	u8 buf[16];

	(void)state;
	assert_int_equal(setup_with("encrypt=ata:0.0 key=none"), 0);
	assert_true(disk_dma_range_ok(r0, 16384));        /* across two adjacent ranges */
	assert_true(disk_dma_range_ok(r0 + 8000, 1000));
	assert_false(disk_dma_range_ok(r0, 16385));       /* into Lamina's region */
	assert_false(disk_dma_range_ok(r1, 1));
	assert_false(disk_dma_range_ok(r1 - 1, 2));
	assert_false(disk_dma_range_ok(r2, 16));          /* reserved, not RAM */
	assert_false(disk_dma_range_ok(r0, 0));
	assert_false(disk_dma_range_ok(UINT64_MAX - 4, 16)); /* wraps */
	assert_false(disk_dma_range_ok(r0 + 100, UINT64_MAX));
	memset(buf, 0x3c, sizeof(buf));
	assert_int_equal(guest_phys_copy_out(r0 + 8190, buf, sizeof(buf)), 0);
	assert_int_equal(ram[0][8190], 0x3c);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(guest_phys_copy_in(buf, r0 + 8190, sizeof(buf)), 0);
	assert_int_equal(buf[15], 0x3c);
	assert_int_not_equal(guest_phys_copy_in(buf, r1 - 8, sizeof(buf)), 0);
	/* Lengths that are not whole 64-byte blocks, unaligned addresses. */
	u8 big[203], back[203];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i * 13 + 1;
	assert_int_equal(guest_phys_copy_out(r0 + 4001, big, sizeof(big)), 0);
	assert_memory_equal(ram[0] + 4001, big, sizeof(big));
	assert_int_equal(guest_phys_copy_in(back, r0 + 4001, sizeof(back)), 0);
	assert_memory_equal(back, big, sizeof(big));
	assert_int_not_equal(guest_phys_copy_out(r2, buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(targets_are_found),
		cmocka_unit_test(whole_disk_or_range),
		cmocka_unit_test(transform_matches_xts_and_range),
		cmocka_unit_test(key_none_copies),
		cmocka_unit_test(passphrase_is_pbkdf2),
		cmocka_unit_test(keyfile_module_is_taken_and_wiped),
		cmocka_unit_test(dma_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
