/* core/options.c: Lamina's command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/options.h"
#include "tests/unit/hv_host.h"

static int setup(void **state)
{
	(void)state;
	hv_host_reset();
	return 0;
}

static void defaults(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("", &o), 0);
	assert_int_equal(o.region_size, OPT_REGION_DEFAULT);
	assert_int_equal(o.serial_port, 0x3f8);
	assert_int_equal(o.console_level, LOG_INFO);
	assert_string_equal(o.taken, "(defaults)");
	assert_int_equal(hv_log_count, 0);
}

static void loader_path_is_skipped(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("/boot/lamina.elf  memory=64M", &o), 0);
	assert_int_equal(o.region_size, 64 << 20);
	assert_string_equal(o.taken, "memory=64M");
	assert_int_equal(hv_log_count, 0);
}

static void memory_values(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("memory=128", &o), 0);
	assert_int_equal(o.region_size, 128 << 20);
	assert_int_equal(options_parse("memory=0x4000000", &o), 0);
	assert_int_equal(o.region_size, 64 << 20);
	assert_int_equal(options_parse("memory=1G", &o), 0);
	assert_int_equal(o.region_size, 1 << 30);
	assert_int_not_equal(options_parse("memory=4M", &o), 0);   /* too small */
	assert_int_not_equal(options_parse("memory=2G", &o), 0);   /* too large */
	assert_int_not_equal(options_parse("memory=33M", &o), 0);  /* not 2M aligned */
	assert_int_not_equal(options_parse("memory=", &o), 0);
	assert_int_not_equal(options_parse("memory=12Q", &o), 0);
	assert_int_not_equal(options_parse("memory=99999999999999999999999", &o), 0);
	assert_int_not_equal(options_parse("memory=0xfffffffffffffffG", &o), 0);
}

static void serial_and_logging(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("serial=off loglevel=debug", &o), 0);
	assert_int_equal(o.serial_port, 0);
	assert_int_equal(o.console_level, LOG_DEBUG);
	assert_int_equal(options_parse("serial=0x2f8 quiet", &o), 0);
	assert_int_equal(o.serial_port, 0x2f8);
	assert_int_equal(o.console_level, LOG_WARN);
	assert_string_equal(o.taken, "serial=0x2f8 quiet");
	assert_int_not_equal(options_parse("serial=com1", &o), 0);
	assert_int_not_equal(options_parse("loglevel=loud", &o), 0);
	assert_int_not_equal(options_parse("quiet=yes", &o), 0);
	assert_int_equal(options_parse("selftest=fault", &o), 0);
	assert_true(o.selftest_fault);
	assert_int_not_equal(options_parse("selftest=reboot", &o), 0);
}

static void boot_values(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("", &o), 0);
	assert_int_equal(o.boot, BOOT_AUTO);
	assert_int_equal(o.chain_drive, OPT_CHAIN_DRIVE_AUTO);
	assert_int_equal(options_parse("boot=chain", &o), 0);
	assert_int_equal(o.boot, BOOT_CHAIN);
	assert_int_equal(o.chain_drive, OPT_CHAIN_DRIVE_AUTO);
	assert_int_equal(options_parse("boot=chain:0x81", &o), 0);
	assert_int_equal(o.boot, BOOT_CHAIN);
	assert_int_equal(o.chain_drive, 0x81);
	assert_int_equal(options_parse("boot=chain:0", &o), 0);
	assert_int_equal(o.chain_drive, 0);
	assert_int_equal(options_parse("boot=chain:128", &o), 0);
	assert_int_equal(o.chain_drive, 0x80);
	assert_string_equal(o.taken, "boot=chain:128");
	assert_int_equal(options_parse("boot=linux", &o), 0);
	assert_int_equal(o.boot, BOOT_LINUX);
	assert_int_not_equal(options_parse("boot=chain:0x100", &o), 0);
	assert_int_not_equal(options_parse("boot=chain:", &o), 0);
	assert_int_not_equal(options_parse("boot=chain:hd1", &o), 0);
	assert_int_not_equal(options_parse("boot=chainx", &o), 0);
	assert_int_not_equal(options_parse("boot=chain0x80", &o), 0);
	assert_int_not_equal(options_parse("boot=", &o), 0);
	assert_int_not_equal(options_parse("boot=windows", &o), 0);
	assert_int_not_equal(options_parse("boot", &o), 0);
	assert_int_equal(hv_log_count, 8);
}

static void unknown_is_reported_not_fatal(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("frobnicate=1 memory=16M", &o), 0);
	assert_int_equal(hv_log_count, 1);
	assert_non_null(strstr(hv_last_log, "unknown option 'frobnicate'"));
	assert_int_equal(o.region_size, 16 << 20);
}

static void pciwatch_values(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("", &o), 0);
	assert_int_equal(o.pci_watch, 0);
	assert_int_equal(options_parse("pciwatch=8086:2922", &o), 0);
	assert_int_equal(o.pci_watch, 0x80862922);
	assert_int_equal(options_parse("pciwatch=1AF4:1005", &o), 0);
	assert_int_equal(o.pci_watch, 0x1af41005);
	assert_int_not_equal(options_parse("pciwatch=8086:292", &o), 0);
	assert_int_not_equal(options_parse("pciwatch=8086-2922", &o), 0);
	assert_int_not_equal(options_parse("pciwatch=808g:2922", &o), 0);
	assert_int_not_equal(options_parse("pciwatch=ffff:2922", &o), 0);
	assert_int_not_equal(options_parse("pciwatch=0000:2922", &o), 0);
	assert_int_not_equal(options_parse("pciwatch", &o), 0);
}

static void cpus_values(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("", &o), 0);
	assert_int_equal(o.max_cpus, 0); /* all */
	assert_int_equal(options_parse("cpus=1", &o), 0);
	assert_int_equal(o.max_cpus, 1);
	assert_int_equal(options_parse("cpus=64", &o), 0);
	assert_int_equal(o.max_cpus, 64);
	assert_int_not_equal(options_parse("cpus=0", &o), 0);
	assert_int_not_equal(options_parse("cpus=65", &o), 0);
	assert_int_not_equal(options_parse("cpus=2x", &o), 0);
	assert_int_not_equal(options_parse("cpus", &o), 0);
}

static void trap_values(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("trap=mmio:0xfee00000 trap=io:0x70-0x71", &o), 0);
	assert_int_equal(o.nr_traps, 2);
	assert_false(o.traps[0].io);
	assert_false(o.traps[0].writes_only);
	assert_int_equal(o.traps[0].base, 0xfee00000);
	assert_int_equal(o.traps[0].size, 4096);
	assert_true(o.traps[1].io);
	assert_int_equal(o.traps[1].base, 0x70);
	assert_int_equal(o.traps[1].size, 2);
	assert_int_equal(options_parse("trap=mmio-writes:0xfec00000+8K trap=io:0x2f8", &o), 0);
	assert_true(o.traps[0].writes_only);
	assert_int_equal(o.traps[0].size, 8192);
	assert_int_equal(o.traps[1].size, 1);
	assert_int_not_equal(options_parse("trap=mmio:0x123", &o), 0);     /* not page-aligned */
	assert_int_not_equal(options_parse("trap=mmio:0x1000+100", &o), 0);
	assert_int_not_equal(options_parse("trap=io:0x71-0x70", &o), 0);   /* backwards */
	assert_int_not_equal(options_parse("trap=io:0xffff-0x10000", &o), 0);
	assert_int_not_equal(options_parse("trap=disk:1", &o), 0);
	assert_int_not_equal(options_parse("trap=io:", &o), 0);
	assert_int_not_equal(options_parse("trap=io:1 trap=io:2 trap=io:3 trap=io:4 trap=io:5", &o),
			     0);                                              /* at most 4 */
}


#define KEY64 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void encrypt_targets(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("encrypt=ata:0.1 encrypt=ahci:3@2048+1000 "
				       "encrypt=ata:2.0@63 key=none", &o), 0);
	assert_int_equal(o.nr_disks, 3);
	assert_int_equal(o.disks[0].bus, OPT_DISK_ATA);
	assert_int_equal(o.disks[0].a, 0);
	assert_int_equal(o.disks[0].b, 1);
	assert_int_equal(o.disks[0].first_lba, 0);
	assert_int_equal(o.disks[0].count, 0);
	assert_int_equal(o.disks[1].bus, OPT_DISK_AHCI);
	assert_int_equal(o.disks[1].a, 3);
	assert_int_equal(o.disks[1].first_lba, 2048);
	assert_int_equal(o.disks[1].count, 1000);
	assert_int_equal(o.disks[2].a, 2);
	assert_int_equal(o.disks[2].first_lba, 63);
	assert_int_equal(o.disks[2].count, 0);
	assert_int_equal(o.key.source, OPT_KEY_NONE);
	assert_int_equal(options_parse("diskbuf=64K", &o), 0);
	assert_int_equal(o.disk_buffer, 64 << 10);
	assert_int_not_equal(options_parse("diskbuf=100", &o), 0);  /* not whole pages */
	assert_int_not_equal(options_parse("diskbuf=32M", &o), 0);  /* over 16M */
	static const char *const bad[] = {
		"encrypt=ata:0 key=none",         "encrypt=ata:0.2 key=none",
		"encrypt=ata:64.0 key=none",      "encrypt=ahci:32 key=none",
		"encrypt=scsi:0 key=none",        "encrypt=ata:0.0@ key=none",
		"encrypt=ata:0.0@5+0 key=none",   "encrypt=ata:0.0@x key=none",
		"encrypt=ata:0.0 encrypt=ata:0.0 key=none",
		"encrypt=ahci:0@18446744073709551615+2 key=none",
		"encrypt=ata:0.0",                /* no key */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(options_parse(bad[i], &o), 0);
}

static void keys_are_parsed_and_hidden(void **state)
{
	struct options o;

	(void)state;
	assert_int_equal(options_parse("encrypt=ata:0.0 key=" KEY64, &o), 0);
	assert_int_equal(o.key.source, OPT_KEY_RAW);
	assert_int_equal(o.key.raw_len, 32);
	assert_int_equal(o.key.raw[0], 0x00);
	assert_int_equal(o.key.raw[31], 0x1f);
	assert_string_equal(o.taken, "encrypt=ata:0.0 key=(hidden)");
	assert_int_equal(options_parse("encrypt=ata:0.0 key=" KEY64 KEY64, &o), 0);
	assert_int_equal(o.key.raw_len, 64);

	hv_host_reset();
	assert_int_equal(options_parse("encrypt=ahci:0 passphrase=sekrit salt=s1 iterations=1000",
				       &o), 0);
	assert_int_equal(o.key.source, OPT_KEY_PASSPHRASE);
	assert_string_equal(o.key.text, "sekrit");
	assert_string_equal(o.key.salt, "s1");
	assert_int_equal(o.key.iterations, 1000);
	assert_null(strstr(o.taken, "sekrit"));
	assert_null(strstr(hv_last_log, "sekrit"));

	assert_int_equal(options_parse("encrypt=ahci:0 passphrase=p", &o), 0);
	assert_string_equal(o.key.salt, OPT_KDF_SALT_DEFAULT);
	assert_int_equal(o.key.iterations, OPT_KDF_ITERATIONS_DEFAULT);

	assert_int_equal(options_parse("encrypt=ahci:0 keyfile=/boot/disk.key", &o), 0);
	assert_int_equal(o.key.source, OPT_KEY_FILE);
	assert_string_equal(o.key.text, "/boot/disk.key");
	assert_string_equal(o.taken, "encrypt=ahci:0 keyfile=/boot/disk.key");

	/* A bad secret is reported without its value. */
	hv_host_reset();
	assert_int_not_equal(options_parse("encrypt=ata:0.0 key=0123456789zz", &o), 0);
	assert_null(strstr(hv_last_log, "0123456789zz"));
	assert_int_not_equal(options_parse("encrypt=ata:0.0 key=" KEY64 " passphrase=x", &o), 0);
	assert_int_not_equal(options_parse("encrypt=ata:0.0 key=" KEY64 "0", &o), 0);
	assert_int_not_equal(options_parse("encrypt=ata:0.0 passphrase=", &o), 0);
	assert_int_not_equal(options_parse("encrypt=ata:0.0 key=none iterations=0", &o), 0);
}

static void secrets_are_scrubbed(void **state)
{
	char line[] = "/boot/lamina.elf key=" KEY64 " encrypt=ata:0.0 passphrase=abc keyfile=k";

	(void)state;
	options_scrub_secrets(line);
	assert_null(strstr(line, "0102"));
	assert_null(strstr(line, "abc"));
	assert_non_null(strstr(line, "key=----"));
	assert_non_null(strstr(line, " encrypt=ata:0.0 passphrase=--- keyfile=k"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(defaults, setup),
		cmocka_unit_test_setup(loader_path_is_skipped, setup),
		cmocka_unit_test_setup(memory_values, setup),
		cmocka_unit_test_setup(serial_and_logging, setup),
		cmocka_unit_test_setup(boot_values, setup),
		cmocka_unit_test_setup(unknown_is_reported_not_fatal, setup),
		cmocka_unit_test_setup(pciwatch_values, setup),
		cmocka_unit_test_setup(cpus_values, setup),
		cmocka_unit_test_setup(trap_values, setup),
		cmocka_unit_test_setup(encrypt_targets, setup),
		cmocka_unit_test_setup(keys_are_parsed_and_hidden, setup),
		cmocka_unit_test_setup(secrets_are_scrubbed, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
