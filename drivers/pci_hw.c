/*
 * The platform's PCI configuration mechanisms and Lamina's PCI start:
 * ECAM windows from the ACPI MCFG table when there are usable ones, else
 * the legacy 0xCF8/0xCFC ports; enumerate, log, bind mediators.
 *
 * When a mediator is bound, the guest's config writes are trapped
 * (0xCF8-0xCFF always, the ECAM pages of the mediated functions) so that
 * pci_config_write_observed() sees BAR moves.  Lamina's own legacy
 * accesses put the guest's 0xCF8 value back afterwards.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmio.h"
#include "arch/x86/paging.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/spinlock.h"
#include "drivers/pci.h"
#include "drivers/registry.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc
#define PCI_ADDR_ENABLE 0x80000000u
#define LOG_DEVICES_MAX 64

static u32 hw_port_in(u16 port, unsigned size)
{
	return port_read(port, size);
}

static void hw_port_out(u16 port, unsigned size, u32 v)
{
	port_write(port, size, v);
}

static const struct pci_port_ops hw_ports = { hw_port_in, hw_port_out };

/* The guest's 0xCF8 as Lamina keeps it while trapping the ports; also
 * what Lamina's own accesses leave behind. */
static struct pci_legacy_trap legacy_trap = { &hw_ports, 0 };

/* Legacy mechanism #1: segment 0, 256 bytes per function. */
static spinlock_t legacy_lock;

static bool legacy_reaches(void *ctx, u16 seg, u8 bus)
{
	(void)ctx;
	(void)bus;
	return seg == 0;
}

static u32 legacy_address(struct pci_addr a, u16 off)
{
	return PCI_ADDR_ENABLE | (u32)a.bus << 16 | (u32)a.dev << 11 | (u32)a.fn << 8 | (off & 0xfc);
}

static u32 legacy_read(void *ctx, struct pci_addr a, u16 off, unsigned width)
{
	u16 port = PCI_DATA_PORT + (off & 3);
	u32 v;

	(void)ctx;
	spin_lock(&legacy_lock);
	outl(PCI_ADDR_PORT, legacy_address(a, off));
	v = hw_port_in(port, width);
	outl(PCI_ADDR_PORT, legacy_trap.cf8);
	spin_unlock(&legacy_lock);
	return v;
}

static void legacy_write(void *ctx, struct pci_addr a, u16 off, unsigned width, u32 v)
{
	u16 port = PCI_DATA_PORT + (off & 3);

	(void)ctx;
	spin_lock(&legacy_lock);
	outl(PCI_ADDR_PORT, legacy_address(a, off));
	hw_port_out(port, width, v);
	outl(PCI_ADDR_PORT, legacy_trap.cf8);
	spin_unlock(&legacy_lock);
}

static const struct pci_cfg_ops legacy_ops = {
	.name = "legacy 0xcf8",
	.reaches = legacy_reaches,
	.read = legacy_read,
	.write = legacy_write,
};

/* ECAM: every window is identity-mapped in Lamina's address space. */
struct ecam_set {
	struct pci_ecam win[PCI_MAX_ECAM];
	unsigned n;
};

static struct ecam_set ecam;

static const struct pci_ecam *ecam_window(const struct ecam_set *s, u16 seg, u8 bus)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->win[i].seg == seg && bus >= s->win[i].bus_start && bus <= s->win[i].bus_end)
			return &s->win[i];
	return NULL;
}

static bool ecam_reaches(void *ctx, u16 seg, u8 bus)
{
	return ecam_window(ctx, seg, bus) != NULL;
}

static u32 ecam_read(void *ctx, struct pci_addr a, u16 off, unsigned width)
{
	const struct pci_ecam *w = ecam_window(ctx, a.seg, a.bus);
	void *p;

	if (!w)
		return 0xffffffffu;
	p = phys_to_virt(pci_ecam_address(w, a, off));
	if (width == 1)
		return *(volatile u8 *)p;
	if (width == 2)
		return *(volatile u16 *)p;
	return *(volatile u32 *)p;
}

static void ecam_write(void *ctx, struct pci_addr a, u16 off, unsigned width, u32 v)
{
	const struct pci_ecam *w = ecam_window(ctx, a.seg, a.bus);
	void *p;

	if (!w)
		return;
	p = phys_to_virt(pci_ecam_address(w, a, off));
	if (width == 1)
		*(volatile u8 *)p = v;
	else if (width == 2)
		*(volatile u16 *)p = v;
	else
		*(volatile u32 *)p = v;
}

static const struct pci_cfg_ops ecam_ops = {
	.name = "ecam",
	.reaches = ecam_reaches,
	.read = ecam_read,
	.write = ecam_write,
};

static const struct pci_cfg legacy_cfg = { &legacy_ops, NULL, PCI_CFG_SIZE };
static const struct pci_cfg ecam_cfg = { &ecam_ops, &ecam, PCI_CFG_EXT_SIZE };

/* The mechanism Lamina uses, or NULL when there is none. */
const struct pci_cfg *pci_platform;

static bool legacy_present(void)
{
	u32 back;

	legacy_trap.cf8 = inl(PCI_ADDR_PORT);
	outl(PCI_ADDR_PORT, PCI_ADDR_ENABLE);
	back = inl(PCI_ADDR_PORT);
	outl(PCI_ADDR_PORT, legacy_trap.cf8);
	return back == PCI_ADDR_ENABLE;
}

/* Keeps the MCFG windows Lamina can reach: inside its identity map and
 * clear of its own region. */
static void ecam_setup(u64 loader_rsdp)
{
	struct acpi_header *mcfg = acpi_find_table(acpi_find_rsdp(loader_rsdp), "MCFG");
	struct pci_ecam found[PCI_MAX_ECAM];
	unsigned n;

	if (!mcfg)
		return;
	n = pci_mcfg_parse(mcfg, mcfg->length, found, PCI_MAX_ECAM);
	for (unsigned i = 0; i < n; i++) {
		const struct pci_ecam *w = &found[i];
		u64 lo = w->base + ((u64)w->bus_start << 20);
		u64 len = ((u64)w->bus_end - w->bus_start + 1) << 20;

		if (lo + len > paging_identity_limit() ||
		    ranges_overlap(lo, len, hv_region.base, hv_region.size)) {
			pr_warn("pci: ECAM window 0x%llx (segment %u) out of reach, ignored",
				(unsigned long long)lo, w->seg);
			continue;
		}
		ecam.win[ecam.n++] = *w;
	}
	if (ecam.n) {
		/* A firmware whose MCFG points at nothing: check one function
		 * both ways before trusting the table. */
		struct pci_addr host = { 0, 0, 0, 0 };
		u32 via_ecam, via_legacy;

		if (legacy_present() && !pci_cfg_read(&ecam_cfg, host, 0, 4, &via_ecam) &&
		    !pci_cfg_read(&legacy_cfg, host, 0, 4, &via_legacy) && via_ecam != via_legacy) {
			pr_warn("pci: ECAM disagrees with the legacy mechanism at 00:00.0 "
				"(%08x vs %08x); using legacy", via_ecam, via_legacy);
			ecam.n = 0;
		}
	}
}

static void log_devices(void)
{
	unsigned shown = MIN(pci_devices.count, (unsigned)LOG_DEVICES_MAX);

	for (unsigned i = 0; i < shown; i++) {
		char line[200];
		struct textbuf tb = { line, sizeof(line), 0 };

		pci_dev_format(&pci_devices.devs[i], &tb);
		pr_info("pci %s", line);
	}
	if (pci_devices.count > shown || pci_devices.dropped)
		pr_info("pci: %u more functions not listed here (laminactl pci)",
			pci_devices.count - shown + pci_devices.dropped);
}

/* ---- the guest's config writes, for mediators ------------------------- */

static u64 trap_port_read(struct vcpu *vcpu, void *ctx, u64 port, unsigned size)
{
	u32 v;

	(void)vcpu;
	(void)ctx;
	spin_lock(&legacy_lock);
	v = pci_legacy_trap_read(&legacy_trap, port, size);
	spin_unlock(&legacy_lock);
	return v;
}

static void trap_port_write(struct vcpu *vcpu, void *ctx, u64 port, unsigned size, u64 val)
{
	(void)vcpu;
	(void)ctx;
	spin_lock(&legacy_lock);
	pci_legacy_trap_write(&legacy_trap, port, size, val);
	spin_unlock(&legacy_lock);
}

static u64 trap_ecam_read(struct vcpu *vcpu, void *ctx, u64 pa, unsigned size)
{
	(void)vcpu;
	(void)ctx;
	return phys_read(pa, size);
}

static void trap_ecam_write(struct vcpu *vcpu, void *ctx, u64 pa, unsigned size, u64 val)
{
	(void)vcpu;
	(void)ctx;
	phys_write(pa, size, val);
	pci_ecam_write_observed(ecam.win, ecam.n, pa, size, val);
}

/* An instruction the emulator does not know gets #UD (logged by the
 * framework): let through, it would move a mediated device's BAR unseen,
 * and the single-stepped window would open the page to every CPU. */
static const struct emul_handler port_handler = {
	.name = "pci config ports", .read = trap_port_read, .write = trap_port_write,
};
static const struct emul_handler ecam_handler = {
	.name = "pci ecam", .read = trap_ecam_read, .write = trap_ecam_write,
};

/* Traps the config space of mediated functions: nothing when no device
 * has a mediator, so the guest keeps direct access. */
static void trap_config_writes(bool legacy)
{
	unsigned mediated = 0;
	int err;

	for (unsigned i = 0; i < pci_devices.count; i++) {
		const struct pci_dev *d = &pci_devices.devs[i];
		const struct pci_ecam *w = ecam_window(&ecam, d->addr.seg, d->addr.bus);

		if (!d->mediator)
			continue;
		mediated++;
		if (w && (err = mmio_register(pci_ecam_address(w, d->addr, 0), PAGE_SIZE,
					      &ecam_handler, NULL)))
			pr_warn("pci: cannot trap the ECAM page of a mediated function (error %d); "
				"BAR moves through it go unseen", err);
	}
	/* The guest may use the ports for segment 0 even with ECAM (Linux
	 * does for offsets below 256). */
	if (mediated && legacy && (err = io_register(PCI_ADDR_PORT, 8, &port_handler, NULL)))
		pr_warn("pci: cannot trap ports 0xcf8-0xcff (error %d); BAR moves go unseen", err);
}

void pci_init(u64 loader_rsdp)
{
	bool legacy = legacy_present();

	ecam_setup(loader_rsdp);
	if (ecam.n) {
		pci_platform = &ecam_cfg;
		for (unsigned i = 0; i < ecam.n; i++)
			pci_enumerate(&ecam_cfg, ecam.win[i].seg, ecam.win[i].bus_start,
				      ecam.win[i].bus_end, &pci_devices);
	} else if (legacy) {
		pci_platform = &legacy_cfg;
		pci_enumerate(&legacy_cfg, 0, 0, 255, &pci_devices);
	} else {
		pr_warn("pci: no configuration mechanism found; no devices mediated");
		return;
	}
	if (pci_platform == &ecam_cfg)
		pr_info("pci: %u functions on %u bus%s via ECAM at 0x%llx (%u window%s)",
			pci_devices.count + pci_devices.dropped, pci_devices.buses,
			pci_devices.buses == 1 ? "" : "es",
			(unsigned long long)ecam.win[0].base, ecam.n, ecam.n == 1 ? "" : "s");
	else
		pr_info("pci: %u functions on %u bus%s via legacy 0xcf8",
			pci_devices.count + pci_devices.dropped, pci_devices.buses,
			pci_devices.buses == 1 ? "" : "es");
	if (pci_devices.bad_bridges)
		pr_warn("pci: %u bridges with bad bus numbers not followed",
			pci_devices.bad_bridges);
	log_devices();
	if (pci_bind_all())
		trap_config_writes(legacy);
}

/* Config access for mediators, through the mechanism chosen at start. */
int pci_read(struct pci_addr a, u16 off, unsigned width, u32 *val)
{
	return pci_cfg_read(pci_platform, a, off, width, val);
}

int pci_write(struct pci_addr a, u16 off, unsigned width, u32 val)
{
	return pci_cfg_write(pci_platform, a, off, width, val);
}
