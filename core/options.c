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

static const struct {
	const char *name;
	int (*set)(struct word val, struct options *o);
} option_table[] = {
	{ "memory", set_memory },
	{ "serial", set_serial },
	{ "loglevel", set_loglevel },
	{ "quiet", set_quiet },
	{ "boot", set_boot },
	{ "selftest", set_selftest },
	{ "trap", set_trap },
	{ "pciwatch", set_pciwatch },
};

static int apply_option(struct word opt, struct options *o)
{
	struct word key = opt, val = { opt.s + opt.len, 0 };

	for (size_t i = 0; i < opt.len; i++) {
		if (opt.s[i] == '=') {
			key.len = i;
			val = (struct word){ opt.s + i + 1, opt.len - i - 1 };
			break;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(option_table); i++) {
		if (!word_is(key, option_table[i].name))
			continue;
		if (option_table[i].set(val, o)) {
			pr_err("bad value in option '%.*s'", (int)opt.len, opt.s);
			return -EINVAL;
		}
		return 1;
	}
	pr_warn("unknown option '%.*s' (ignored)", (int)opt.len, opt.s);
	return 0;
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
		if (r > 0)
			textbuf_printf(&taken, "%s%.*s", taken.len ? " " : "", (int)w.len, w.s);
next:
		first = false;
	}
	if (!taken.len)
		textbuf_printf(&taken, "(defaults)");
	return 0;
}
