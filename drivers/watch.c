/*
 * pci-watch: a diagnostic mediator that takes the one device named by
 * `pciwatch=<vendor>:<device>` and only logs what the guest does to its
 * BARs.  It exercises the whole path a real mediator depends on (binding,
 * trapped config writes, BAR-move events) without changing the device's
 * behaviour; tests/system/pci.sh boots with it.
 */
#include "core/log.h"
#include "drivers/registry.h"

/* Empty (matches nothing) until pci_watch_enable(). */
static struct pci_match watch_match[2];

static int watch_probe(struct pci_dev *d)
{
	char addr[16];

	pci_addr_format(d->addr, addr, sizeof(addr));
	pr_info("pci-watch %s: logging the guest's BAR moves", addr);
	return 0;
}

static void format_addr(char *buf, size_t size, u64 a)
{
	if (a == PCI_BAR_UNMAPPED)
		snprintf(buf, size, "off");
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)a);
}

static void watch_bar_moved(struct pci_dev *d, unsigned bar, u64 from, u64 to)
{
	static struct ratelimit rl;
	char addr[16], a[24], b[24];

	if (!ratelimit_allow(&rl))
		return;
	pci_addr_format(d->addr, addr, sizeof(addr));
	format_addr(a, sizeof(a), from);
	format_addr(b, sizeof(b), to);
	pr_info("pci-watch %s: BAR%u %s -> %s", addr, bar, a, b);
}

static const struct pci_mediator watch = {
	.name = "pci-watch",
	.match = watch_match,
	.probe = watch_probe,
	.bar_moved = watch_bar_moved,
};
PCI_MEDIATOR(watch);

void pci_watch_enable(u16 vendor, u16 device)
{
	watch_match[0] = (struct pci_match)PCI_MATCH_ID(vendor, device);
}
