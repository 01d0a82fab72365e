/* The status text served to `laminactl status`. */
#include "arch/x86/apic.h"
#include "arch/x86/guard.h"
#include "arch/x86/mmio.h"
#include "arch/x86/vmx/ept.h"
#include "core/format.h"
#include "core/hypercall.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/version.h"
#include "drivers/disk/ahci.h"
#include "drivers/disk/ide.h"
#include "drivers/pci.h"

const struct vcpu_backend *hv_backend;

size_t status_format(char *buf, size_t size)
{
	struct textbuf tb = { buf, size, 0 };
	u64 total = 0, per_reason[EXIT_REASON_COUNT] = { 0 }, cycles[EXIT_REASON_COUNT] = { 0 };
	u64 up_ms = time_ns() / 1000000;

	for (unsigned i = 0; i < nr_vcpus; i++) {
		total += vcpus[i]->exits_total;
		for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
			per_reason[r] += vcpus[i]->exits[r];
			cycles[r] += vcpus[i]->exit_cycles[r];
		}
	}
	textbuf_printf(&tb, "version: %s\n", LAMINA_VERSION);
	textbuf_printf(&tb, "backend: %s\n", hv_backend->name);
	textbuf_printf(&tb, "paging: %s\n", hv_backend->paging);
	textbuf_printf(&tb, "cpus: %u\n", nr_vcpus);
	textbuf_printf(&tb, "memory: 0x%llx-0x%llx\n", (unsigned long long)hv_region.base,
		       (unsigned long long)(hv_region.base + hv_region.size));
	textbuf_printf(&tb, "memory_free_kib: %llu\n",
		       (unsigned long long)(page_alloc_free_pages() * PAGE_SIZE / KiB));
	textbuf_printf(&tb, "uptime: %llu.%03llu\n", (unsigned long long)(up_ms / 1000),
		       (unsigned long long)(up_ms % 1000));
	textbuf_printf(&tb, "exits_total: %llu\n", (unsigned long long)total);
	for (unsigned i = 0; i < nr_vcpus; i++)
		textbuf_printf(&tb, "cpu%u_exits: %llu (apic %u, %s)\n", i,
			       (unsigned long long)vcpus[i]->exits_total, vcpus[i]->apic_id,
			       vcpus[i]->state == VCPU_RUNNING ? "running" : "waiting for SIPI");
	for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
		if (per_reason[r])
			textbuf_printf(&tb, "exits_%s: %llu\n", exit_reason_names[r],
				       (unsigned long long)per_reason[r]);
	/* Time in Lamina's handlers only: the world switch is not in it. */
	for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
		if (per_reason[r])
			textbuf_printf(&tb, "handling_%s: %llu ns per exit\n", exit_reason_names[r],
				       (unsigned long long)(tsc_to_ns(cycles[r]) / per_reason[r]));
	textbuf_printf(&tb, "guard_blocked_reads: %llu\n", (unsigned long long)guard_stats.reads);
	textbuf_printf(&tb, "guard_blocked_writes: %llu\n", (unsigned long long)guard_stats.writes);
	textbuf_printf(&tb, "guard_blocked_fetches: %llu\n",
		       (unsigned long long)guard_stats.fetches);
	textbuf_printf(&tb, "emul_mmio: %llu reads, %llu writes\n",
		       (unsigned long long)emul_stats.mmio_reads,
		       (unsigned long long)emul_stats.mmio_writes);
	textbuf_printf(&tb, "emul_io: %llu reads, %llu writes\n",
		       (unsigned long long)emul_stats.io_reads,
		       (unsigned long long)emul_stats.io_writes);
	textbuf_printf(&tb, "emul_unsupported: %llu (%llu passed through)\n",
		       (unsigned long long)emul_stats.unsupported,
		       (unsigned long long)emul_stats.fallbacks);
	textbuf_printf(&tb, "emul_decodes_remembered: %llu\n",
		       (unsigned long long)emul_stats.decodes_remembered);
	textbuf_printf(&tb, "emul_operand_walks: %llu\n",
		       (unsigned long long)emul_stats.operand_walks);
	textbuf_printf(&tb, "ipi_emulated: %llu init, %llu sipi, %llu init de-assert, %llu to no CPU\n",
		       (unsigned long long)apic_stats.inits, (unsigned long long)apic_stats.sipis,
		       (unsigned long long)apic_stats.init_deasserts,
		       (unsigned long long)apic_stats.dropped);
	textbuf_printf(&tb, "pci_devices: %u\n", pci_devices.count + pci_devices.dropped);
	textbuf_printf(&tb, "pci_config_writes: %llu\n", (unsigned long long)pci_stats.config_writes);
	textbuf_printf(&tb, "pci_bar_moves: %llu\n", (unsigned long long)pci_stats.bar_moves);
	ept_status(&tb);
	ahci_status(&tb);
	ide_status(&tb);
	return tb.len;
}
