/*
 * PCI configuration space: one API over the legacy 0xCF8/0xCFC mechanism
 * and PCI Express ECAM (MMCONFIG, from the ACPI MCFG table), enumeration
 * of every reachable function with its BARs, and the model of the
 * guest's later writes (BAR moves) that mediators build on.
 *
 * The parsing and enumeration logic works over a `struct pci_cfg` (a
 * mechanism plus its context) so it runs unchanged on the host over a
 * synthetic config space (tests/unit/test_pci.c, tests/fuzz/fuzz_pci.c).
 * drivers/pci_hw.c provides the real mechanisms and pci_init().
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include "core/format.h"
#include "core/types.h"

#define PCI_DEVS_PER_BUS 32
#define PCI_FNS_PER_DEV 8
#define PCI_CFG_SIZE 256       /* conventional config space */
#define PCI_CFG_EXT_SIZE 4096  /* PCI Express extended config space */

/* Type 0/1 header registers. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08      /* then prog-if 0x09, subclass 0x0a, class 0x0b */
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_BAR0 0x10
#define PCI_PRIMARY_BUS 0x18   /* type 1: primary, secondary, subordinate */
#define PCI_SECONDARY_BUS 0x19
#define PCI_SUBORDINATE_BUS 0x1a
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_HEADER_NORMAL 0
#define PCI_HEADER_BRIDGE 1
#define PCI_HEADER_CARDBUS 2

#define PCI_BAR_IO_FLAG 0x1
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_PREFETCH 0x8
#define PCI_MAX_BARS 6

#define PCI_ENODEV 19
#define PCI_EINVAL 22

struct pci_addr {
	u16 seg;
	u8 bus;
	u8 dev; /* 0..31 */
	u8 fn;  /* 0..7 */
};

/*
 * A configuration mechanism.  read/write get an address and an offset
 * already checked by pci_cfg_read()/pci_cfg_write(): dev < 32, fn < 8,
 * off + width <= size, off aligned to width (1, 2 or 4).  `reaches` says
 * whether this segment and bus are behind the mechanism.  A read of an
 * absent function returns all ones, as the hardware does.
 */
struct pci_cfg_ops {
	const char *name;
	bool (*reaches)(void *ctx, u16 seg, u8 bus);
	u32 (*read)(void *ctx, struct pci_addr a, u16 off, unsigned width);
	void (*write)(void *ctx, struct pci_addr a, u16 off, unsigned width, u32 val);
};

struct pci_cfg {
	const struct pci_cfg_ops *ops;
	void *ctx;
	u16 size; /* bytes of config space per function: 256 or 4096 */
};

/* Bounds-checked access: 0, or -PCI_EINVAL for a bad offset/width/device
 * and -PCI_ENODEV for a segment or bus the mechanism does not reach (a
 * failed read yields all ones of the width in *val). */
int pci_cfg_read(const struct pci_cfg *c, struct pci_addr a, u16 off, unsigned width, u32 *val);
int pci_cfg_write(const struct pci_cfg *c, struct pci_addr a, u16 off, unsigned width, u32 val);

enum pci_bar_kind {
	PCI_BAR_NONE,     /* not implemented (reads back zero when sized) */
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,    /* the low half; the next register is PCI_BAR_MEM64_HI */
	PCI_BAR_MEM64_HI,
};

struct pci_bar {
	u64 base;     /* address as programmed (the low flag bits removed) */
	u64 size;     /* decoded size, a power of two; 0 when not implemented */
	u32 raw;      /* the register's value (the low half for 64-bit) */
	u32 wmask;    /* its writable bits, from the sizing probe */
	u8 kind;      /* enum pci_bar_kind */
	bool prefetch;
};

struct pci_mediator;

struct pci_dev {
	struct pci_addr addr;
	u16 vendor, device;
	u8 class, subclass, progif, revision;
	u8 header_type;   /* without the multi-function bit */
	bool multifunction;
	u8 irq_line, irq_pin;
	u8 primary, secondary, subordinate; /* bridges (header type 1) */
	u8 nr_bars;       /* registers: 6 for type 0, 2 for type 1, 0 else */
	u16 command;      /* the command register as last seen or written */
	struct pci_bar bar[PCI_MAX_BARS];
	const struct pci_mediator *mediator; /* bound mediator, or NULL */
	void *priv;                          /* the mediator's per-device data */
};

/* What an enumeration found; devs[] is provided by the caller. */
struct pci_topology {
	struct pci_dev *devs;
	unsigned max;          /* capacity of devs[] */
	unsigned count;        /* functions recorded */
	unsigned dropped;      /* functions found beyond max */
	unsigned buses;        /* buses scanned */
	unsigned bad_bridges;  /* bridges whose bus numbers were ignored */
};

/*
 * Scans the segment from bus `root`, following bridges' secondary bus
 * numbers within [root, last_bus]; each bus is scanned at most once
 * (a bridge leading back to a scanned bus or outside the range counts as
 * bad), so the walk is bounded whatever the config space holds.  BARs
 * are sized with decode disabled around the probe; every register
 * touched is restored.  Appends to t->devs; returns the number added.
 */
unsigned pci_enumerate(const struct pci_cfg *c, u16 seg, u8 root, u8 last_bus,
		       struct pci_topology *t);

/* Reads one function's identity, header and BARs (sizing them). */
int pci_probe_function(const struct pci_cfg *c, struct pci_addr a, struct pci_dev *d);

/* An ECAM window from the MCFG table: segment, bus range, base of bus 0. */
struct pci_ecam {
	u64 base;
	u16 seg;
	u8 bus_start, bus_end;
};

#define PCI_MAX_ECAM 8

/* Parses an MCFG table (len bytes, header included) into out[]; returns
 * the number of usable entries (bad entries are skipped). */
unsigned pci_mcfg_parse(const void *table, size_t len, struct pci_ecam *out, unsigned max);
/* Physical address of a config register in an ECAM window. */
u64 pci_ecam_address(const struct pci_ecam *e, struct pci_addr a, u16 off);
/* The reverse, for a trapped guest access to ECAM: true when pa falls in
 * one of the windows, with the function and offset. */
bool pci_ecam_decode(const struct pci_ecam *e, unsigned n, u64 pa, struct pci_addr *a,
		     u16 *off);
/* A guest access to data port 0xCFC+k with address register cf8: true when
 * the enable bit is set, with the function and register offset. */
bool pci_legacy_decode(u32 cf8, u16 port, struct pci_addr *a, u16 *off);

/* "00:01.1" or "0001:00:01.1"; buf must hold 16 bytes. */
void pci_addr_format(struct pci_addr a, char *buf, size_t size);
/* A short name for a class code ("ide", "ahci", "host-bridge", ...) or "". */
const char *pci_class_name(u8 class, u8 subclass, u8 progif);
/* One line per device (no newline inside): identity, class, irq, BARs. */
void pci_dev_format(const struct pci_dev *d, struct textbuf *tb);

/*
 * The devices Lamina found at start (drivers/pci_hw.c fills it; tests
 * may fill it through pci_enumerate on their own config space).
 */
extern struct pci_topology pci_devices;

struct pci_dev *pci_find(struct pci_addr a);

/*
 * The guest wrote `val` (`width` bytes at `off`) to a function's config
 * space, and the write went through to the device.  The I/O trapping
 * framework calls this for intercepted config writes (0xCFC-0xCFF after
 * decoding 0xCF8, or an ECAM page).  It updates Lamina's model of the
 * command register, BARs and bridge bus numbers and tells the bound
 * mediator when a BAR's decoded address changes (see registry.h).
 * Writes to functions Lamina did not record, or to other registers,
 * are ignored.  Never fails, whatever the values.
 */
void pci_config_write_observed(struct pci_addr a, u16 off, unsigned width, u32 val);

/*
 * Trapping the guest's config writes (drivers/pci_hw.c registers these
 * with the I/O trapping framework, arch/x86/mmio.h, once a mediator is
 * bound).  Legacy: Lamina keeps the guest's 0xCF8 value and performs
 * every access to 0xCF8-0xCFF for it through `io`, observing the writes
 * to 0xCFC-0xCFF; other widths at 0xCF8-0xCFB (0xCF9 is the reset
 * control register on many chipsets) pass straight through.
 */
struct pci_port_ops {
	u32 (*in)(u16 port, unsigned size);
	void (*out)(u16 port, unsigned size, u32 val);
};

struct pci_legacy_trap {
	const struct pci_port_ops *io;
	u32 cf8; /* the guest's address register */
};

u32 pci_legacy_trap_read(struct pci_legacy_trap *t, u16 port, unsigned size);
void pci_legacy_trap_write(struct pci_legacy_trap *t, u16 port, unsigned size, u32 val);
/* A guest write of `size` bytes (1, 2, 4 or 8) at pa in an ECAM window,
 * already performed: observed as config writes (8 bytes as two dwords). */
void pci_ecam_write_observed(const struct pci_ecam *w, unsigned n, u64 pa, unsigned size,
			     u64 val);

/* The address a BAR is decoded at now, or PCI_BAR_UNMAPPED when the
 * command register disables its decode or it is not implemented. */
#define PCI_BAR_UNMAPPED (~0ull)
u64 pci_bar_decoded(const struct pci_dev *d, unsigned bar);

/* Lamina's start (drivers/pci_hw.c): finds the mechanism (ECAM from the
 * MCFG table, else legacy), enumerates, logs the devices, binds mediators. */
void pci_init(u64 loader_rsdp);
/* The mechanism chosen by pci_init(), NULL when none. */
extern const struct pci_cfg *pci_platform;
/* Config access through it, for mediators (same rules as pci_cfg_read()). */
int pci_read(struct pci_addr a, u16 off, unsigned width, u32 *val);
int pci_write(struct pci_addr a, u16 off, unsigned width, u32 val);

/* Counters for `laminactl status`. */
struct pci_stats {
	u64 config_writes; /* observed guest writes to recorded functions */
	u64 bar_moves;     /* BAR-move events delivered to mediators */
};
extern struct pci_stats pci_stats;

/* The text of the `pci` hypercall stream: one line per device. */
size_t pci_format(char *buf, size_t size);

#endif
