/*
 * Lamina's start: take the boot loader's information, move into a region
 * at the top of RAM that the guest will never see, set up the CPU's
 * virtualization backend and nested paging, load the guest OS and run it.
 */
#include "arch/x86/apic.h"
#include "arch/x86/chain.h"
#include "arch/x86/cpu.h"
#include "arch/x86/guard.h"
#include "arch/x86/legacy.h"
#include "arch/x86/mmio.h"
#include "arch/x86/linux.h"
#include "arch/x86/nested.h"
#include "arch/x86/paging.h"
#include "arch/x86/smp.h"
#include "arch/x86/serial.h"
#include "arch/x86/simd.h"
#include "arch/x86/traps.h"
#include "boot/bootinfo.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/options.h"
#include "core/panic.h"
#include "core/time.h"
#include "core/version.h"
#include "drivers/disk/diskcrypt.h"
#include "drivers/disk/ide.h"
#include "drivers/pci.h"
#include "drivers/registry.h"

#define ENOMEM 12

extern const struct vcpu_backend *hv_backend;
const struct vcpu_backend *svm_backend_probe(void);
const struct vcpu_backend *vmx_backend_probe(void);
void __noreturn vcpu_loop(struct vcpu *v);

static struct boot_info boot_info;
static struct options options;
static struct vcpu boot_vcpu;

static void __noreturn fail(const char *what)
{
	pr_err("%s; Lamina cannot continue, halting", what);
	cpu_halt_forever();
}

static bool region_conflicts(u64 base, u64 size, const struct boot_info *bi)
{
	if (ranges_overlap(base, size, LOAD_PHYS, image_size()) ||
	    ranges_overlap(base, size, bi->info_start, bi->info_size))
		return true;
	for (unsigned i = 0; i < bi->nr_modules; i++)
		if (ranges_overlap(base, size, bi->modules[i].start, bi->modules[i].size))
			return true;
	return false;
}

/* The highest 2 MiB-aligned usable block below 4 GiB clear of the image,
 * the loader's data and the modules. */
static u64 choose_region(const struct boot_info *bi, u64 size)
{
	u64 best = 0;

	for (unsigned i = 0; i < bi->nr_mem; i++) {
		const struct mem_range *m = &bi->mem[i];
		u64 top = MIN(m->base + m->size, 4 * GiB);

		if (m->type != MEM_USABLE || top < size)
			continue;
		for (u64 b = ALIGN_DOWN(top - size, LARGE_PAGE_SIZE);
		     b >= m->base && b > best && b >= 16 * MiB; b -= LARGE_PAGE_SIZE) {
			if (!region_conflicts(b, size, bi)) {
				best = b;
				break;
			}
		}
	}
	return best;
}

/* The end of RAM (usable or ACPI); reserved ranges such as AMD's
 * HyperTransport hole at 1 TiB are not mapped up front: the guest's nested
 * map extends on demand. */
static u64 highest_ram_address(const struct boot_info *bi)
{
	u64 top = 0;

	for (unsigned i = 0; i < bi->nr_mem; i++) {
		u32 t = bi->mem[i].type;

		if (t == MEM_USABLE || t == MEM_ACPI_RECLAIM || t == MEM_ACPI_NVS)
			top = MAX(top, bi->mem[i].base + bi->mem[i].size);
	}
	return top;
}

static void print_banner(void)
{
	struct cpuid_regs v = cpuid(0, 0), f = cpuid(1, 0);
	char vendor[13];
	unsigned family = (f.eax >> 8) & 0xf, model = (f.eax >> 4) & 0xf;

	*(u32 *)&vendor[0] = v.ebx;
	*(u32 *)&vendor[4] = v.edx;
	*(u32 *)&vendor[8] = v.ecx;
	vendor[12] = '\0';
	if (family == 0xf)
		family += (f.eax >> 20) & 0xff;
	if (family >= 0x6)
		model |= ((f.eax >> 16) & 0xf) << 4;
	pr_info("Lamina v%s, a thin hypervisor", LAMINA_VERSION);
	pr_info("cpu: %s family %xh model %xh", vendor, family, model);
	pr_info("options: %s", options.taken);
}

static void relocate(void)
{
	u64 size = options.region_size;
	u64 base = choose_region(&boot_info, size);
	u64 img = ALIGN_UP(image_size(), PAGE_SIZE);

	if (!base)
		fail("too little memory: no free block for Lamina's region below 4 GiB");
	hv_region = (struct hv_region){ base, size, img };
	page_alloc_init(base + img, base + size);
	if (paging_relocate(base, highest_ram_address(&boot_info)))
		fail("out of memory building Lamina's page tables");
	traps_init(&boot_vcpu.nmis);
	pr_info("memory: 0x%llx-0x%llx (%llu MiB, image %llu KiB)", (unsigned long long)base,
		(unsigned long long)(base + size), (unsigned long long)(size / MiB),
		(unsigned long long)(img / KiB));
}

static const struct vcpu_backend *select_backend(void)
{
	if (cpu_is_amd())
		return svm_backend_probe();
	if (cpu_is_intel())
		return vmx_backend_probe();
	pr_err("no supported virtualization: Lamina needs an AMD CPU with SVM "
	       "and nested paging or an Intel CPU with VT-x and EPT");
	return NULL;
}

/* The CPU's backend and the guest-physical map with Lamina's region hidden. */
static void setup_virtualization(void)
{
	hv_backend = select_backend();
	if (!hv_backend)
		fail("no usable virtualization backend");
	if (nested_init(hv_backend->nested_format, paging_identity_limit()) || guard_init())
		fail("out of memory building nested page tables");
	pr_info("backend: %s, nested paging %s", hv_backend->name, hv_backend->paging);
}

/* What Lamina watches or mediates: trap= ranges, PCI devices. */
static void setup_devices(void)
{
	if (emul_apply_options(&options))
		fail("cannot set up the trap= ranges");
	if (options.pci_watch)
		pci_watch_enable(options.pci_watch >> 16, options.pci_watch & 0xffff);
	if (disk_crypt_init(&options, &boot_info))
		fail("cannot set up disk encryption");
	pci_init(boot_info.acpi_rsdp);
}

/* Either the Linux bzImage module, or whatever the BIOS boots next. */
static void load_guest(struct vcpu *v)
{
	if (options.boot == BOOT_CHAIN ||
	    (options.boot == BOOT_AUTO && boot_info.nr_modules == 0)) {
		if (!hv_backend->real_mode)
			fail("boot=chain: this backend cannot start a real-mode guest yet");
		if (chain_load(&boot_info, &options, v))
			fail("cannot prepare the chain boot");
	} else if (linux_load(&boot_info, v)) {
		fail("cannot start the guest kernel");
	}
}

void __noreturn boot_main(u32 magic, u64 info_phys)
{
	legacy_save_uart(SERIAL_COM1);
	serial_init(SERIAL_COM1);
	if (multiboot2_parse(magic, info_phys, &boot_info))
		fail("bad boot information");
	if (options_parse(boot_info.cmdline, &options))
		fail("bad options");
	legacy_save_uart(options.serial_port);
	serial_init(options.serial_port);
	log_set_console_level(options.console_level);
	legacy_save_pit();
	time_init();
	print_banner();
	relocate();

	if (options.selftest_fault) {
		pr_info("selftest: faulting on purpose to show the crash report");
		*(volatile u64 *)phys_to_virt(hv_region.base) = 0; /* the image is not identity-mapped */
	}

	if (simd_init())
		pr_warn("continuing without crypto");

	setup_virtualization();
	setup_devices();

	struct vcpu *v = &boot_vcpu;

	v->backend = hv_backend;
	v->apic_id = apic_id();
	v->apic_dfr = ~0u;
	load_guest(v);
	if (simd_vcpu_init(v) || hv_backend->vcpu_init(v))
		fail("cannot set up the virtual CPU");
	vcpus[nr_vcpus++] = v;
	smp_start_cpus(&boot_info, options.max_cpus);
	ide_cpus_started(nr_vcpus);
	/* With other CPUs, the guest's INIT and SIPI go through Lamina. */
	if (nr_vcpus > 1 && apic_intercept_init_sipi())
		fail("cannot intercept the guest's INIT and startup IPIs");
	pr_info("starting the guest");
	vcpu_loop(v);
}
