#include "core/options.h"
#include "core/format.h"
#include "core/string.h"

#define EINVAL 22

struct word {
	const char *s;
	size_t len;
};

static bool word_is(struct word w, const char *name)
{
	return strlen(name) == w.len && !strncmp(w.s, name, w.len);
}

/* Parses a number with optional 0x prefix and K/M/G suffix. */
static bool parse_number(struct word w, u64 *out, bool allow_suffix)
{
	unsigned base = 10;
	u64 v = 0;
	size_t i = 0;

	if (w.len > 2 && w.s[0] == '0' && (w.s[1] == 'x' || w.s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == w.len)
		return false;
	for (; i < w.len; i++) {
		char c = w.s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (i < w.len) {
		u64 shift;

		if (!allow_suffix || i + 1 != w.len)
			return false;
		switch (w.s[i] | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		default: return false;
		}
		if (v >> (64 - shift))
			return false;
		v <<= shift;
	}
	*out = v;
	return true;
}

static int set_memory(struct word val, struct options *o)
{
	u64 v;

	if (!parse_number(val, &v, true))
		return -EINVAL;
	if (v < 4096)
		v *= MiB; /* a bare number means MiB */
	if (v < OPT_REGION_MIN || v > OPT_REGION_MAX || !IS_ALIGNED(v, 2 * MiB)) {
		pr_err("memory=%llu bytes: must be a multiple of 2M between %lluM and %lluM",
		       (unsigned long long)v, OPT_REGION_MIN / MiB, OPT_REGION_MAX / MiB);
		return -EINVAL;
	}
	o->region_size = v;
	return 0;
}

static int set_serial(struct word val, struct options *o)
{
	u64 port;

	if (word_is(val, "off") || word_is(val, "none")) {
		o->serial_port = 0;
		return 0;
	}
	if (!parse_number(val, &port, false) || port == 0 || port > 0xfff8)
		return -EINVAL;
	o->serial_port = port;
	return 0;
}

static int set_loglevel(struct word val, struct options *o)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (word_is(val, names[i])) {
			o->console_level = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_quiet(struct word val, struct options *o)
{
	if (val.len)
		return -EINVAL;
	o->console_level = LOG_WARN;
	return 0;
}

/* boot=linux, boot=chain or boot=chain:<BIOS drive number, 0..0xff>. */
static int set_boot(struct word val, struct options *o)
{
	struct word chain = { "chain", 5 };
	u64 drive;

	if (word_is(val, "linux")) {
		o->boot = BOOT_LINUX;
		return 0;
	}
	if (val.len < chain.len || strncmp(val.s, chain.s, chain.len))
		return -EINVAL;
	o->boot = BOOT_CHAIN;
	o->chain_drive = OPT_CHAIN_DRIVE_AUTO;
	if (val.len == chain.len)
		return 0;
	if (val.s[chain.len] != ':')
		return -EINVAL;
	val.s += chain.len + 1;
	val.len -= chain.len + 1;
	if (!parse_number(val, &drive, false) || drive > 0xff)
		return -EINVAL;
	o->chain_drive = drive;
	return 0;
}

static int set_selftest(struct word val, struct options *o)
{
	if (!word_is(val, "fault"))
		return -EINVAL;
	o->selftest_fault = true;
	return 0;
}

/* trap=mmio:<addr>[+<size>] (page-aligned, 4K by default),
 * trap=mmio-writes:<addr>[+<size>] or trap=io:<port>[-<last port>]. */
static int set_trap(struct word val, struct options *o)
{
	struct word num;
	struct opt_trap t = { 0 };
	u64 end = 0;
	size_t i, sep;

	if (o->nr_traps == OPT_MAX_TRAPS)
		return -EINVAL;
	if (val.len > 3 && !strncmp(val.s, "io:", 3)) {
		t.io = true;
		i = 3;
	} else if (val.len > 5 && !strncmp(val.s, "mmio:", 5)) {
		i = 5;
	} else if (val.len > 12 && !strncmp(val.s, "mmio-writes:", 12)) {
		t.writes_only = true;
		i = 12;
	} else {
		return -EINVAL;
	}
	for (sep = i; sep < val.len && val.s[sep] != '-' && val.s[sep] != '+'; sep++)
		;
	num = (struct word){ val.s + i, sep - i };
	if (!parse_number(num, &t.base, false))
		return -EINVAL;
	t.size = t.io ? 1 : PAGE_SIZE;
	if (sep < val.len) {
		num = (struct word){ val.s + sep + 1, val.len - sep - 1 };
		if (!parse_number(num, &end, !t.io))
			return -EINVAL;
		if (val.s[sep] == '+')
			t.size = end;
		else if (end >= t.base)
			t.size = end - t.base + 1;
		else
			return -EINVAL;
	}
	if (t.io ? t.base + t.size > 0x10000 || !t.size
		 : !IS_ALIGNED(t.base | t.size, PAGE_SIZE) || !t.size || t.size > 16 * MiB)
		return -EINVAL;
	o->traps[o->nr_traps++] = t;
	return 0;
}

/* pciwatch=<vendor>:<device>, both 4 hex digits. */
static int set_pciwatch(struct word val, struct options *o)
{
	if (val.len != 9 || val.s[4] != ':')
		return -EINVAL;
	o->pci_watch = 0;
	for (size_t i = 0; i < 9; i++) {
		char c = val.s[i] | 0x20;

		if (i == 4)
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		o->pci_watch = o->pci_watch << 4 | (c <= '9' ? c - '0' : c - 'a' + 10);
	}
	if ((o->pci_watch >> 16) == 0xffff || (o->pci_watch >> 16) == 0)
		return -EINVAL;
	return 0;
}

/* Splits w at the first c: *head before it, *tail after it (empty and
 * false when there is no c). */
static bool split_at(struct word w, char c, struct word *head, struct word *tail)
{
	for (size_t i = 0; i < w.len; i++) {
		if (w.s[i] == c) {
			*head = (struct word){ w.s, i };
			*tail = (struct word){ w.s + i + 1, w.len - i - 1 };
			return true;
		}
	}
	*head = w;
	*tail = (struct word){ w.s + w.len, 0 };
	return false;
}

static bool strip_prefix(struct word *w, const char *prefix)
{
	size_t n = strlen(prefix);

	if (w->len < n || strncmp(w->s, prefix, n))
		return false;
	w->s += n;
	w->len -= n;
	return true;
}

/* encrypt=ata:<channel>.<unit>[@<first>[+<count>]] | ahci:<port>[@...] */
static int set_encrypt(struct word val, struct options *o)
{
	struct opt_disk d = { 0 };
	struct word dev, range, first, count, unit;
	u64 a, b = 0;
	bool has_range = split_at(val, '@', &dev, &range);

	if (o->nr_disks == OPT_MAX_DISKS)
		return -EINVAL;

	if (strip_prefix(&dev, "ata:")) {
		d.bus = OPT_DISK_ATA;
		if (!split_at(dev, '.', &dev, &unit) || !parse_number(unit, &b, false) || b > 1)
			return -EINVAL;
	} else if (strip_prefix(&dev, "ahci:")) {
		d.bus = OPT_DISK_AHCI;
	} else {
		return -EINVAL;
	}
	if (!parse_number(dev, &a, false) || a > (d.bus == OPT_DISK_ATA ? 63 : 31))
		return -EINVAL;
	d.a = a;
	d.b = b;
	if (has_range) {
		if (split_at(range, '+', &first, &count) &&
		    (!parse_number(count, &d.count, false) || !d.count))
			return -EINVAL;
		if (!parse_number(first, &d.first_lba, false) ||
		    d.first_lba + d.count < d.first_lba)
			return -EINVAL;
	}
	for (unsigned i = 0; i < o->nr_disks; i++)
		if (o->disks[i].bus == d.bus && o->disks[i].a == d.a && o->disks[i].b == d.b)
			return -EINVAL;
	o->disks[o->nr_disks++] = d;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The one key source; a second one is an error. */
static bool claim_key_source(struct options *o, enum opt_key_source src)
{
	if (o->key.source != OPT_KEY_UNSET)
		return false;
	o->key.source = src;
	return true;
}

static bool copy_text(struct word val, char *dst, size_t cap)
{
	if (!val.len || val.len >= cap)
		return false;
	memcpy(dst, val.s, val.len);
	dst[val.len] = '\0';
	return true;
}

/* key=<64 or 128 hex digits> (XTS-AES-128 / -256) or key=none. */
static int set_key(struct word val, struct options *o)
{
	if (word_is(val, "none"))
		return claim_key_source(o, OPT_KEY_NONE) ? 0 : -EINVAL;
	if ((val.len != 64 && val.len != 128) || !claim_key_source(o, OPT_KEY_RAW))
		return -EINVAL;
	for (size_t i = 0; i < val.len; i += 2) {
		int hi = hex_digit(val.s[i]), lo = hex_digit(val.s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		o->key.raw[i / 2] = hi << 4 | lo;
	}
	o->key.raw_len = val.len / 2;
	return 0;
}

static int set_keyfile(struct word val, struct options *o)
{
	if (val.len > OPT_NAME_MAX || !claim_key_source(o, OPT_KEY_FILE))
		return -EINVAL;
	return copy_text(val, o->key.text, sizeof(o->key.text)) ? 0 : -EINVAL;
}

static int set_passphrase(struct word val, struct options *o)
{
	if (!claim_key_source(o, OPT_KEY_PASSPHRASE))
		return -EINVAL;
	return copy_text(val, o->key.text, sizeof(o->key.text)) ? 0 : -EINVAL;
}

static int set_salt(struct word val, struct options *o)
{
	return copy_text(val, o->key.salt, sizeof(o->key.salt)) ? 0 : -EINVAL;
}

static int set_iterations(struct word val, struct options *o)
{
	u64 n;

	if (!parse_number(val, &n, false) || !n || n > UINT32_MAX)
		return -EINVAL;
	o->key.iterations = n;
	return 0;
}

/* diskbuf=<size>: 4K..16M, whole pages. */
static int set_diskbuf(struct word val, struct options *o)
{
	u64 v;

	if (!parse_number(val, &v, true) || v < PAGE_SIZE || v > 16 * MiB ||
	    !IS_ALIGNED(v, PAGE_SIZE))
		return -EINVAL;
	o->disk_buffer = v;
	return 0;
}

/* cpus=<n>: run at most n CPUs, the boot CPU included (1..MAX_CPUS). */
static int set_cpus(struct word val, struct options *o)
{
	u64 n;

	if (!parse_number(val, &n, false) || !n || n > OPT_MAX_CPUS)
		return -EINVAL;
	o->max_cpus = n;
	return 0;
}

static const struct {
	const char *name;
	int (*set)(struct word val, struct options *o);
	bool secret; /* the value never reaches the log or the banner */
} option_table[] = {
	{ "memory", set_memory, false },
	{ "serial", set_serial, false },
	{ "loglevel", set_loglevel, false },
	{ "quiet", set_quiet, false },
	{ "boot", set_boot, false },
	{ "selftest", set_selftest, false },
	{ "trap", set_trap, false },
	{ "pciwatch", set_pciwatch, false },
	{ "encrypt", set_encrypt, false },
	{ "key", set_key, true },
	{ "keyfile", set_keyfile, false },
	{ "passphrase", set_passphrase, true },
	{ "salt", set_salt, false },
	{ "iterations", set_iterations, false },
	{ "diskbuf", set_diskbuf, false },
	{ "cpus", set_cpus, false },
};

static int find_option(struct word key)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_table); i++)
		if (word_is(key, option_table[i].name))
			return i;
	return -1;
}

static struct word option_key(struct word opt)
{
	struct word key, val;

	split_at(opt, '=', &key, &val);
	return key;
}

/* 1 taken, 0 unknown, -EINVAL bad value. */
static int apply_option(struct word opt, struct options *o)
{
	struct word key, val;
	int i;

	split_at(opt, '=', &key, &val);
	i = find_option(key);
	if (i < 0) {
		pr_warn("unknown option '%.*s' (ignored)", (int)key.len, key.s);
		return 0;
	}
	if (option_table[i].set(val, o)) {
		if (option_table[i].secret)
			pr_err("bad value in option '%s=' (value not shown)", option_table[i].name);
		else
			pr_err("bad value in option '%.*s'", (int)opt.len, opt.s);
		return -EINVAL;
	}
	return 1;
}

/* The key options need encrypt= targets and the targets need a key. */
static int check_disk_options(struct options *o)
{
	if (o->nr_disks && o->key.source == OPT_KEY_UNSET) {
		pr_err("encrypt= needs a key: key=<hex>, keyfile=<module>, passphrase=<text> or key=none");
		return -EINVAL;
	}
	if (!o->nr_disks && o->key.source != OPT_KEY_UNSET)
		pr_warn("a disk key is given but no encrypt= target: the key is not used");
	if (!o->key.salt[0])
		memcpy(o->key.salt, OPT_KDF_SALT_DEFAULT, sizeof(OPT_KDF_SALT_DEFAULT));
	if (!o->key.iterations)
		o->key.iterations = OPT_KDF_ITERATIONS_DEFAULT;
	return 0;
}

void options_scrub_secrets(char *cmdline)
{
	while (*cmdline) {
		struct word w = { cmdline, 0 };
		int i;

		while (w.s[w.len] && w.s[w.len] != ' ')
			w.len++;
		i = find_option(option_key(w));
		if (i >= 0 && option_table[i].secret)
			for (size_t k = strlen(option_table[i].name) + 1; k < w.len; k++)
				cmdline[k] = '-';
		cmdline += w.len;
		while (*cmdline == ' ')
			cmdline++;
	}
}

int options_parse(const char *cmdline, struct options *o)
{
	struct textbuf taken = { o->taken, sizeof(o->taken), 0 };
	bool first = true;

	*o = (struct options){
		.region_size = OPT_REGION_DEFAULT,
		.boot = BOOT_AUTO,
		.chain_drive = OPT_CHAIN_DRIVE_AUTO,
		.serial_port = 0x3f8,
		.console_level = LOG_INFO,
	};
	o->taken[0] = '\0';
	while (*cmdline) {
		struct word w = { cmdline, 0 };

		while (w.s[w.len] && w.s[w.len] != ' ')
			w.len++;
		cmdline += w.len;
		while (*cmdline == ' ')
			cmdline++;
		/* GRUB may pass the image path as the first word. */
		if (!w.len || (first && (w.s[0] == '/' || w.s[0] == '(')))
			goto next;
		int r = apply_option(w, o);

		if (r < 0)
			return r;
		if (r > 0) {
			struct word key = option_key(w);

			if (option_table[find_option(key)].secret)
				w.len = key.len + 1; /* "key=" without the value */
			textbuf_printf(&taken, "%s%.*s%s", taken.len ? " " : "", (int)w.len, w.s,
				       option_table[find_option(key)].secret ? "(hidden)" : "");
		}
next:
		first = false;
	}
	if (!taken.len)
		textbuf_printf(&taken, "(defaults)");
	return check_disk_options(o);
}
