/*
 * PCI: bounds-checked config access over any mechanism, enumeration,
 * BAR sizing, MCFG parsing and the model of guest config writes.  Pure
 * logic: the hardware mechanisms live in drivers/pci_hw.c.
 */
#include "drivers/pci.h"
#include "core/string.h"
#include "drivers/registry.h"

#define MCFG_ENTRIES_OFFSET 44
#define MCFG_ENTRY_SIZE 16

static u32 width_mask(unsigned width)
{
	return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

static int cfg_check(const struct pci_cfg *c, struct pci_addr a, u16 off, unsigned width)
{
	if (!c || !c->ops)
		return -PCI_ENODEV;
	if ((width != 1 && width != 2 && width != 4) || (off & (width - 1)) ||
	    (u32)off + width > c->size || a.dev >= PCI_DEVS_PER_BUS || a.fn >= PCI_FNS_PER_DEV)
		return -PCI_EINVAL;
	if (!c->ops->reaches(c->ctx, a.seg, a.bus))
		return -PCI_ENODEV;
	return 0;
}

int pci_cfg_read(const struct pci_cfg *c, struct pci_addr a, u16 off, unsigned width, u32 *val)
{
	int err = cfg_check(c, a, off, width);

	*val = width_mask(width == 1 || width == 2 ? width : 4);
	if (err)
		return err;
	*val = c->ops->read(c->ctx, a, off, width) & width_mask(width);
	return 0;
}

int pci_cfg_write(const struct pci_cfg *c, struct pci_addr a, u16 off, unsigned width, u32 val)
{
	int err = cfg_check(c, a, off, width);

	if (err)
		return err;
	c->ops->write(c->ctx, a, off, width, val & width_mask(width));
	return 0;
}

static u32 rd(const struct pci_cfg *c, struct pci_addr a, u16 off, unsigned width)
{
	u32 v;

	pci_cfg_read(c, a, off, width, &v);
	return v;
}

static void wr(const struct pci_cfg *c, struct pci_addr a, u16 off, unsigned width, u32 v)
{
	pci_cfg_write(c, a, off, width, v);
}

static u64 lowest_bit(u64 m)
{
	return m & (~m + 1);
}

/* The base and size of a BAR from its register(s) and writable mask. */
static void bar_decode(struct pci_dev *d, unsigned i)
{
	struct pci_bar *b = &d->bar[i];
	u64 mask;

	switch (b->kind) {
	case PCI_BAR_IO:
		b->base = b->raw & ~3u;
		mask = b->wmask & ~3u;
		break;
	case PCI_BAR_MEM32:
		b->base = b->raw & ~0xfu;
		mask = b->wmask & ~0xfu;
		break;
	case PCI_BAR_MEM64:
		b->base = ((u64)d->bar[i + 1].raw << 32) | (b->raw & ~0xfu);
		mask = ((u64)d->bar[i + 1].wmask << 32) | (b->wmask & ~0xfu);
		break;
	default:
		b->base = 0;
		mask = 0;
	}
	b->size = lowest_bit(mask);
}

/*
 * Sizes the BARs: for each register, write all ones, read back the
 * writable bits, put the original value back.  Decode is off meanwhile so
 * the device never answers at the probe's address.
 */
static void size_bars(const struct pci_cfg *c, struct pci_addr a, struct pci_dev *d)
{
	u16 cmd = d->command;
	bool decoding = cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

	/* A host bridge's decode may be what the CPU reaches memory through:
	 * it is never turned off (its BARs, rare, stay unsized). */
	if (decoding && d->class == 0x06 && d->subclass == 0x00) {
		for (unsigned i = 0; i < d->nr_bars; i++)
			d->bar[i].raw = rd(c, a, PCI_BAR0 + 4 * i, 4);
		return;
	}
	if (decoding)
		wr(c, a, PCI_COMMAND, 2, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < d->nr_bars; i++) {
		u16 reg = PCI_BAR0 + 4 * i;
		struct pci_bar *b = &d->bar[i];

		b->raw = rd(c, a, reg, 4);
		wr(c, a, reg, 4, 0xffffffffu);
		b->wmask = rd(c, a, reg, 4);
		wr(c, a, reg, 4, b->raw);
		if (b->raw & PCI_BAR_IO_FLAG) {
			b->kind = PCI_BAR_IO;
		} else if ((b->raw & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64 &&
			   i + 1 < d->nr_bars) {
			struct pci_bar *hi = &d->bar[i + 1];

			hi->raw = rd(c, a, reg + 4, 4);
			wr(c, a, reg + 4, 4, 0xffffffffu);
			hi->wmask = rd(c, a, reg + 4, 4);
			wr(c, a, reg + 4, 4, hi->raw);
			b->kind = PCI_BAR_MEM64;
			hi->kind = PCI_BAR_MEM64_HI;
		} else {
			/* 32-bit, below-1M, or a reserved type (or a 64-bit
			 * BAR in the last register): sized as 32-bit. */
			b->kind = PCI_BAR_MEM32;
		}
		b->prefetch = b->kind != PCI_BAR_IO && (b->raw & PCI_BAR_MEM_PREFETCH);
		bar_decode(d, i);
		if (!b->size) {
			b->kind = PCI_BAR_NONE;
			if (i + 1 < d->nr_bars && d->bar[i + 1].kind == PCI_BAR_MEM64_HI)
				d->bar[i + 1].kind = PCI_BAR_NONE;
		}
		if (b->kind == PCI_BAR_MEM64)
			i++;
	}
	if (decoding)
		wr(c, a, PCI_COMMAND, 2, cmd);
}

int pci_probe_function(const struct pci_cfg *c, struct pci_addr a, struct pci_dev *d)
{
	u32 id, cls, hdr;

	memset(d, 0, sizeof(*d));
	if (pci_cfg_read(c, a, PCI_VENDOR_ID, 4, &id))
		return -PCI_ENODEV;
	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return -PCI_ENODEV;
	d->addr = a;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	cls = rd(c, a, PCI_REVISION, 4);
	d->revision = cls & 0xff;
	d->progif = (cls >> 8) & 0xff;
	d->subclass = (cls >> 16) & 0xff;
	d->class = cls >> 24;
	hdr = rd(c, a, PCI_HEADER_TYPE, 1);
	d->header_type = hdr & 0x7f;
	d->multifunction = hdr & PCI_HEADER_MULTIFUNCTION;
	d->irq_line = rd(c, a, PCI_INTERRUPT_LINE, 1);
	d->irq_pin = rd(c, a, PCI_INTERRUPT_PIN, 1);
	d->command = rd(c, a, PCI_COMMAND, 2);
	if (d->header_type == PCI_HEADER_NORMAL) {
		d->nr_bars = 6;
	} else if (d->header_type == PCI_HEADER_BRIDGE) {
		u32 buses = rd(c, a, PCI_PRIMARY_BUS, 4);

		d->nr_bars = 2;
		d->primary = buses & 0xff;
		d->secondary = (buses >> 8) & 0xff;
		d->subordinate = (buses >> 16) & 0xff;
	}
	size_bars(c, a, d);
	return 0;
}

static bool bit_test_set(u8 *map, unsigned n)
{
	bool was = map[n / 8] & (1u << (n % 8));

	map[n / 8] |= 1u << (n % 8);
	return was;
}

unsigned pci_enumerate(const struct pci_cfg *c, u16 seg, u8 root, u8 last_bus,
		       struct pci_topology *t)
{
	u8 seen[256 / 8] = { 0 };
	u8 queue[256];
	unsigned head = 0, tail = 0, added = 0;

	if (root > last_bus)
		return 0;
	queue[tail++] = root;
	bit_test_set(seen, root);
	while (head < tail) {
		u8 bus = queue[head++];

		t->buses++;
		for (unsigned dev = 0; dev < PCI_DEVS_PER_BUS; dev++) {
			for (unsigned fn = 0; fn < PCI_FNS_PER_DEV; fn++) {
				struct pci_addr a = { seg, bus, (u8)dev, (u8)fn };
				struct pci_dev d;

				if (pci_probe_function(c, a, &d)) {
					if (fn == 0)
						break; /* no function 0: no device */
					continue;
				}
				if (t->count < t->max) {
					t->devs[t->count++] = d;
					added++;
				} else {
					t->dropped++;
				}
				if (d.header_type == PCI_HEADER_BRIDGE) {
					/* A bridge forwards to [secondary, subordinate];
					 * both lie above its own bus.  Each bus is
					 * scanned once, so a loop cannot recur. */
					if (d.secondary > bus && d.secondary <= last_bus &&
					    d.subordinate >= d.secondary &&
					    !bit_test_set(seen, d.secondary))
						queue[tail++] = d.secondary;
					else if (d.secondary || d.subordinate)
						t->bad_bridges++;
					/* 0/0: not configured (an empty slot), skipped */
				}
				if (fn == 0 && !d.multifunction)
					break;
			}
		}
	}
	return added;
}

unsigned pci_mcfg_parse(const void *table, size_t len, struct pci_ecam *out, unsigned max)
{
	const u8 *p = table;
	unsigned n = 0;

	for (size_t off = MCFG_ENTRIES_OFFSET; off + MCFG_ENTRY_SIZE <= len && n < max;
	     off += MCFG_ENTRY_SIZE) {
		struct pci_ecam e;
		u64 base;

		memcpy(&base, p + off, 8);
		memcpy(&e.seg, p + off + 8, 2);
		e.bus_start = p[off + 10];
		e.bus_end = p[off + 11];
		e.base = base;
		/* Bus 0 of the window sits at base; each bus takes 1 MiB. */
		bool dup = false;

		if (!base || !IS_ALIGNED(base, MiB) || e.bus_start > e.bus_end ||
		    base + ((u64)e.bus_end + 1) * MiB < base)
			continue;
		/* A bus claimed twice would be enumerated twice: first wins. */
		for (unsigned k = 0; k < n; k++)
			dup |= out[k].seg == e.seg && e.bus_start <= out[k].bus_end &&
			       out[k].bus_start <= e.bus_end;
		if (!dup)
			out[n++] = e;
	}
	return n;
}

u64 pci_ecam_address(const struct pci_ecam *e, struct pci_addr a, u16 off)
{
	return e->base + ((u64)a.bus << 20) + ((u64)(a.dev & 31) << 15) +
	       ((u64)(a.fn & 7) << 12) + (off & 0xfff);
}

bool pci_ecam_decode(const struct pci_ecam *e, unsigned n, u64 pa, struct pci_addr *a,
		     u16 *off)
{
	for (unsigned i = 0; i < n; i++) {
		u64 lo = e[i].base + ((u64)e[i].bus_start << 20);
		u64 hi = e[i].base + (((u64)e[i].bus_end + 1) << 20);

		if (pa < lo || pa >= hi)
			continue;
		pa -= e[i].base;
		*a = (struct pci_addr){ e[i].seg, (u8)(pa >> 20), (u8)((pa >> 15) & 31),
					(u8)((pa >> 12) & 7) };
		*off = pa & 0xfff;
		return true;
	}
	return false;
}

bool pci_legacy_decode(u32 cf8, u16 port, struct pci_addr *a, u16 *off)
{
	if (!(cf8 & 0x80000000u) || port < 0xcfc || port > 0xcff)
		return false;
	*a = (struct pci_addr){ 0, (u8)(cf8 >> 16), (u8)((cf8 >> 11) & 31), (u8)((cf8 >> 8) & 7) };
	*off = (cf8 & 0xfc) + (port - 0xcfc);
	return true;
}

void pci_addr_format(struct pci_addr a, char *buf, size_t size)
{
	if (a.seg)
		snprintf(buf, size, "%04x:%02x:%02x.%u", a.seg, a.bus, a.dev, a.fn);
	else
		snprintf(buf, size, "%02x:%02x.%u", a.bus, a.dev, a.fn);
}

struct class_name {
	u8 class;
	s16 subclass, progif; /* -1: any */
	const char *name;
};

static const struct class_name class_names[] = {
	{ 0x01, 0x00, -1, "scsi" },       { 0x01, 0x01, -1, "ide" },
	{ 0x01, 0x05, -1, "ata" },        { 0x01, 0x06, 0x01, "ahci" },
	{ 0x01, 0x06, -1, "sata" },       { 0x01, 0x07, -1, "sas" },
	{ 0x01, 0x08, 0x02, "nvme" },     { 0x01, 0x08, -1, "nvm" },
	{ 0x02, 0x00, -1, "ethernet" },   { 0x02, -1, -1, "network" },
	{ 0x03, 0x00, -1, "vga" },        { 0x03, -1, -1, "display" },
	{ 0x04, 0x03, -1, "audio" },      { 0x05, -1, -1, "memory" },
	{ 0x06, 0x00, -1, "host-bridge" }, { 0x06, 0x01, -1, "isa-bridge" },
	{ 0x06, 0x04, -1, "pci-bridge" }, { 0x06, -1, -1, "bridge" },
	{ 0x07, 0x00, -1, "serial" },     { 0x08, -1, -1, "system" },
	{ 0x0c, 0x03, 0x00, "usb-uhci" }, { 0x0c, 0x03, 0x10, "usb-ohci" },
	{ 0x0c, 0x03, 0x20, "usb-ehci" }, { 0x0c, 0x03, 0x30, "usb-xhci" },
	{ 0x0c, 0x03, -1, "usb" },        { 0x0c, 0x05, -1, "smbus" },
};

const char *pci_class_name(u8 class, u8 subclass, u8 progif)
{
	for (size_t i = 0; i < ARRAY_SIZE(class_names); i++) {
		const struct class_name *n = &class_names[i];

		if (n->class == class && (n->subclass < 0 || n->subclass == subclass) &&
		    (n->progif < 0 || n->progif == progif))
			return n->name;
	}
	return "";
}

static void format_size(struct textbuf *tb, u64 size)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;

	if (size < KiB || size % KiB) {
		textbuf_printf(tb, "%llu", (unsigned long long)size);
		return;
	}
	size /= KiB;
	while (size >= KiB && size % KiB == 0 && u + 1 < sizeof(units) - 1) {
		size /= KiB;
		u++;
	}
	textbuf_printf(tb, "%llu%c", (unsigned long long)size, units[u]);
}

void pci_dev_format(const struct pci_dev *d, struct textbuf *tb)
{
	char addr[16];
	const char *name = pci_class_name(d->class, d->subclass, d->progif);

	pci_addr_format(d->addr, addr, sizeof(addr));
	textbuf_printf(tb, "%s %04x:%04x class %02x.%02x.%02x%s%s", addr, d->vendor, d->device,
		       d->class, d->subclass, d->progif, *name ? " " : "", name);
	if (d->header_type == PCI_HEADER_BRIDGE)
		textbuf_printf(tb, " bus %02x-%02x", d->secondary, d->subordinate);
	else if (d->header_type != PCI_HEADER_NORMAL)
		textbuf_printf(tb, " header %02x", d->header_type);
	if (d->irq_pin)
		textbuf_printf(tb, " irq %u/%c", d->irq_line, 'A' + (d->irq_pin - 1) % 26);
	for (unsigned i = 0; i < d->nr_bars && i < PCI_MAX_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (b->kind == PCI_BAR_NONE || b->kind == PCI_BAR_MEM64_HI)
			continue;
		textbuf_printf(tb, " %u:%s%s 0x%llx/", i,
			       b->kind == PCI_BAR_IO ? "io" : b->kind == PCI_BAR_MEM64 ? "mem64" : "mem",
			       b->prefetch ? "p" : "", (unsigned long long)b->base);
		format_size(tb, b->size);
	}
	if (d->mediator)
		textbuf_printf(tb, " [%s]", d->mediator->name);
}

static struct pci_dev device_table[256];
struct pci_topology pci_devices = { .devs = device_table, .max = ARRAY_SIZE(device_table) };

struct pci_dev *pci_find(struct pci_addr a)
{
	for (unsigned i = 0; i < pci_devices.count; i++) {
		struct pci_dev *d = &pci_devices.devs[i];

		if (d->addr.seg == a.seg && d->addr.bus == a.bus && d->addr.dev == a.dev &&
		    d->addr.fn == a.fn)
			return d;
	}
	return NULL;
}

struct pci_stats pci_stats;

u64 pci_bar_decoded(const struct pci_dev *d, unsigned i)
{
	const struct pci_bar *b;

	if (i >= d->nr_bars || i >= PCI_MAX_BARS)
		return PCI_BAR_UNMAPPED;
	b = &d->bar[i];
	switch (b->kind) {
	case PCI_BAR_IO:
		return d->command & PCI_COMMAND_IO ? b->base : PCI_BAR_UNMAPPED;
	case PCI_BAR_MEM32:
	case PCI_BAR_MEM64:
		return d->command & PCI_COMMAND_MEMORY ? b->base : PCI_BAR_UNMAPPED;
	default:
		return PCI_BAR_UNMAPPED;
	}
}

/* One byte of a guest write, applied as the hardware would: only the
 * BARs' writable bits change. */
static void apply_byte(struct pci_dev *d, u16 off, u8 v)
{
	if (off == PCI_COMMAND || off == PCI_COMMAND + 1) {
		unsigned sh = 8 * (off - PCI_COMMAND);

		d->command = (d->command & ~(0xffu << sh)) | (v << sh);
	} else if (off >= PCI_BAR0 && off < PCI_BAR0 + 4 * d->nr_bars) {
		struct pci_bar *b = &d->bar[(off - PCI_BAR0) / 4];
		unsigned sh = 8 * ((off - PCI_BAR0) % 4);
		u32 m = b->wmask & (0xffu << sh);

		if (b->kind != PCI_BAR_NONE)
			b->raw = (b->raw & ~m) | (((u32)v << sh) & m);
	} else if (d->header_type == PCI_HEADER_BRIDGE) {
		if (off == PCI_PRIMARY_BUS)
			d->primary = v;
		else if (off == PCI_SECONDARY_BUS)
			d->secondary = v;
		else if (off == PCI_SUBORDINATE_BUS)
			d->subordinate = v;
	}
}

void pci_config_write_observed(struct pci_addr a, u16 off, unsigned width, u32 val)
{
	struct pci_dev *d = pci_find(a);
	u64 before[PCI_MAX_BARS];

	if (!d || (width != 1 && width != 2 && width != 4) || (off & (width - 1)) ||
	    off + width > PCI_CFG_EXT_SIZE)
		return;
	pci_stats.config_writes++;
	for (unsigned i = 0; i < PCI_MAX_BARS; i++)
		before[i] = pci_bar_decoded(d, i);
	for (unsigned k = 0; k < width; k++)
		apply_byte(d, off + k, (val >> (8 * k)) & 0xff);
	for (unsigned i = 0; i < d->nr_bars && i < PCI_MAX_BARS; i++)
		if (d->bar[i].kind != PCI_BAR_NONE && d->bar[i].kind != PCI_BAR_MEM64_HI)
			bar_decode(d, i);
	if (!d->mediator)
		return;
	for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
		u64 now = pci_bar_decoded(d, i);

		if (now != before[i] && d->mediator->bar_moved) {
			pci_stats.bar_moves++;
			d->mediator->bar_moved(d, i, before[i], now);
		}
	}
	if (d->mediator->config_written)
		d->mediator->config_written(d, off, width, val);
}

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc

u32 pci_legacy_trap_read(struct pci_legacy_trap *t, u16 port, unsigned size)
{
	if (port == PCI_ADDR_PORT && size == 4)
		return t->cf8;
	if (port >= PCI_DATA_PORT)
		t->io->out(PCI_ADDR_PORT, 4, t->cf8);
	return t->io->in(port, size);
}

void pci_legacy_trap_write(struct pci_legacy_trap *t, u16 port, unsigned size, u32 val)
{
	struct pci_addr a;
	u16 off;

	if (port == PCI_ADDR_PORT && size == 4) {
		t->cf8 = val;
		t->io->out(PCI_ADDR_PORT, 4, val);
		return;
	}
	if (port < PCI_DATA_PORT) {
		t->io->out(port, size, val);
		return;
	}
	t->io->out(PCI_ADDR_PORT, 4, t->cf8);
	t->io->out(port, size, val);
	if (pci_legacy_decode(t->cf8, port, &a, &off))
		pci_config_write_observed(a, off, size, val);
}

void pci_ecam_write_observed(const struct pci_ecam *w, unsigned n, u64 pa, unsigned size,
			     u64 val)
{
	struct pci_addr a;
	u16 off;

	if (!pci_ecam_decode(w, n, pa, &a, &off))
		return;
	if (size == 8) {
		pci_config_write_observed(a, off, 4, (u32)val);
		if (off + 4 < PCI_CFG_EXT_SIZE)
			pci_config_write_observed(a, off + 4, 4, (u32)(val >> 32));
		return;
	}
	pci_config_write_observed(a, off, size, (u32)val);
}

size_t pci_format(char *buf, size_t size)
{
	struct textbuf tb = { buf, size, 0 };

	for (unsigned i = 0; i < pci_devices.count; i++) {
		pci_dev_format(&pci_devices.devs[i], &tb);
		textbuf_printf(&tb, "\n");
	}
	if (pci_devices.dropped)
		textbuf_printf(&tb, "# %u more functions not recorded\n", pci_devices.dropped);
	return MIN(tb.len, size);
}
