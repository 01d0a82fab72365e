/* Lamina's own CPU exceptions: these are always Lamina bugs, so report
 * everything useful on the serial port and reset the machine.  NMIs are
 * not exceptions: they are counted for the CPU's vCPU (arch/x86/nmi.S). */
#include "arch/x86/cpu.h"
#include "arch/x86/traps.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/panic.h"
#include "core/string.h"

#define GDT_CODE 0x08
#define GDT_DATA 0x10
#define GDT_TSS 0x18
#define IST_STACK_SIZE 8192
#define IST_FAULT 1 /* #DF, #MC */
#define IST_NMI 2
#define VEC_NMI 2
#define VEC_MC 18

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};

struct idt_entry {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type;
	u16 offset_mid;
	u32 offset_hi;
	u32 zero;
} __packed;

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct descriptor_ptr {
	u16 limit;
	u64 base;
} __packed;

extern char trap_stubs[], nmi_entry[];

/* One CPU's descriptor tables and emergency stacks.  The NMI stack's top
 * 16 bytes hold the address of the CPU's NMI counter (see nmi.S). */
struct cpu_tables {
	u64 gdt[5];
	struct tss tss;
	u8 fault_stack[IST_STACK_SIZE] __aligned(16);
	u8 nmi_stack[IST_STACK_SIZE] __aligned(16);
};

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound", "#UD invalid opcode", "#NM no FPU", "#DF double fault",
	"coprocessor overrun", "#TS invalid TSS", "#NP not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
	"#MF x87 error", "#AC alignment", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection",
};

static struct idt_entry idt[32];
static struct cpu_tables boot_cpu_tables;

void __noreturn trap_handler(struct trap_frame *f)
{
	const char *name = f->vector < 32 && exception_names[f->vector]
				   ? exception_names[f->vector] : "exception";

	log_write(LOG_ERR, "PANIC: CPU exception %llu (%s) in Lamina, error code %llx",
		  (unsigned long long)f->vector, name, (unsigned long long)f->error_code);
	if (f->vector == VEC_PF)
		log_write(LOG_ERR, "  faulting address (cr2) %016llx", (unsigned long long)read_cr2());
	log_write(LOG_ERR, "  rip %016llx rsp %016llx rflags %016llx cs %llx",
		  (unsigned long long)f->rip, (unsigned long long)f->rsp,
		  (unsigned long long)f->rflags, (unsigned long long)f->cs);
	log_write(LOG_ERR, "  rax %016llx rbx %016llx rcx %016llx rdx %016llx",
		  (unsigned long long)f->rax, (unsigned long long)f->rbx,
		  (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	log_write(LOG_ERR, "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx",
		  (unsigned long long)f->rsi, (unsigned long long)f->rdi,
		  (unsigned long long)f->rbp, (unsigned long long)f->r8);
	log_write(LOG_ERR, "  r9  %016llx r10 %016llx r11 %016llx r12 %016llx",
		  (unsigned long long)f->r9, (unsigned long long)f->r10,
		  (unsigned long long)f->r11, (unsigned long long)f->r12);
	log_write(LOG_ERR, "  r13 %016llx r14 %016llx r15 %016llx cr3 %016llx",
		  (unsigned long long)f->r13, (unsigned long long)f->r14,
		  (unsigned long long)f->r15, (unsigned long long)read_cr3());
	print_backtrace(f->rip, f->rbp);
	machine_reset();
}

static void set_gate(unsigned vec, void *handler, unsigned ist)
{
	u64 a = (u64)handler;

	idt[vec] = (struct idt_entry){
		.offset_lo = a & 0xffff,
		.selector = GDT_CODE,
		.ist = ist,
		.type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
		.offset_mid = (a >> 16) & 0xffff,
		.offset_hi = a >> 32,
	};
}

static void build_idt(void)
{
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, trap_stubs + 16 * v, v == VEC_DF || v == VEC_MC ? IST_FAULT : 0);
	set_gate(VEC_NMI, nmi_entry, IST_NMI);
}

/* Loads t's GDT and TSS and the shared IDT on the calling CPU. */
static void load_tables(struct cpu_tables *t, volatile u32 *nmi_counter)
{
	u64 tss = (u64)&t->tss;
	u64 *nmi_top = (u64 *)(t->nmi_stack + IST_STACK_SIZE - 16);
	struct descriptor_ptr gdtr = { sizeof(t->gdt) - 1, (u64)t->gdt };
	struct descriptor_ptr idtr = { sizeof(idt) - 1, (u64)idt };

	t->gdt[1] = 0x00af9a000000ffffull; /* 64-bit code */
	t->gdt[2] = 0x00cf92000000ffffull; /* data */
	t->gdt[3] = (sizeof(t->tss) - 1) | (tss & 0xffffff) << 16 | 0x89ull << 40 |
		    ((tss >> 24) & 0xff) << 56;
	t->gdt[4] = tss >> 32;
	/* Faults that may come with a broken stack get a known-good one. */
	t->tss.ist[IST_FAULT - 1] = (u64)t->fault_stack + IST_STACK_SIZE;
	t->tss.ist[IST_NMI - 1] = (u64)nmi_top;
	t->tss.iomap_base = sizeof(t->tss);
	nmi_top[1] = (u64)nmi_counter;

	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movl %2, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "ltr %w3\n\t"
		     "lidt %4"
		     :
		     : "m"(gdtr), "i"(GDT_CODE), "i"(GDT_DATA), "r"(GDT_TSS), "m"(idtr)
		     : "rax", "memory");
}

void traps_init(volatile u32 *nmi_counter)
{
	build_idt();
	load_tables(&boot_cpu_tables, nmi_counter);
}

int traps_init_cpu(volatile u32 *nmi_counter)
{
	struct cpu_tables *t = page_alloc(ALIGN_UP(sizeof(*t), PAGE_SIZE) / PAGE_SIZE);

	if (!t)
		return -12; /* ENOMEM */
	load_tables(t, nmi_counter);
	return 0;
}
