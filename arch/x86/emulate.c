/* Performing a decoded guest access (see emulate.h). */
#include "arch/x86/emulate.h"

#define RFLAGS_ARITH 0x8d5ull /* CF PF AF ZF SF OF */
#define RFLAGS_DF BIT(10)
#define RFLAGS_CF BIT(0)

static u64 *gpr(struct guest_regs *r, unsigned n)
{
	/* Encoding order (AX CX DX BX SP BP SI DI R8..) to struct guest_regs. */
	static const u8 slot[16] = { 0, 2, 3, 1, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15 };

	return &((u64 *)r)[slot[n & 15]];
}

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

u64 emul_get_reg(const struct guest_regs *r, unsigned n, bool high8, unsigned size)
{
	u64 v = *gpr((struct guest_regs *)r, n);

	return (high8 ? v >> 8 : v) & size_mask(size);
}

void emul_set_reg(struct guest_regs *r, unsigned n, bool high8, unsigned size, u64 val)
{
	u64 *p = gpr(r, n);

	if (high8)
		*p = (*p & ~0xff00ull) | (val & 0xff) << 8;
	else if (size == 4)
		*p = (u32)val;
	else
		*p = (*p & ~size_mask(size)) | (val & size_mask(size));
}

static void add_addr_reg(struct guest_regs *r, unsigned n, unsigned addr_size, s64 delta)
{
	emul_set_reg(r, n, false, addr_size, *gpr(r, n) + delta);
}

bool emul_count_zero(const struct guest_regs *r, const struct decoded_insn *d)
{
	return !(emul_get_reg(r, REG_CX, false, d->mem.addr_size));
}

bool emul_string_step(struct guest_regs *r, const struct decoded_insn *d, bool si, bool di)
{
	s64 delta = r->rflags & RFLAGS_DF ? -(s64)d->size : d->size;
	unsigned as = d->mem.addr_size;

	if (si)
		add_addr_reg(r, REG_SI, as, delta);
	if (di)
		add_addr_reg(r, REG_DI, as, delta);
	if (!d->rep)
		return true;
	add_addr_reg(r, REG_CX, as, -1);
	return emul_count_zero(r, d);
}

/* Runs the guest's ALU operation on this CPU so the flags are exactly the
 * hardware's; only the arithmetic flags come from and go to the guest.
 * (Lamina is built with -mno-red-zone, so the pushes are safe; host
 * tests build this file with it too.) */
#define ALU_SIZES(insn, a, b, fl)                                                        \
	do {                                                                             \
		switch (size) {                                                          \
		case 1:                                                                  \
			asm("push %[f]; popfq; " insn "b %b[b], %b[a]; pushfq; pop %[f]"    \
			    : [a] "+q"(a), [f] "+r"(fl) : [b] "q"(b) : "cc");               \
			break;                                                           \
		case 2:                                                                  \
			asm("push %[f]; popfq; " insn "w %w[b], %w[a]; pushfq; pop %[f]"    \
			    : [a] "+r"(a), [f] "+r"(fl) : [b] "r"(b) : "cc");               \
			break;                                                           \
		case 4:                                                                  \
			asm("push %[f]; popfq; " insn "l %k[b], %k[a]; pushfq; pop %[f]"    \
			    : [a] "+r"(a), [f] "+r"(fl) : [b] "r"(b) : "cc");               \
			break;                                                           \
		default:                                                                 \
			asm("push %[f]; popfq; " insn "q %q[b], %q[a]; pushfq; pop %[f]"    \
			    : [a] "+r"(a), [f] "+r"(fl) : [b] "r"(b) : "cc");               \
			break;                                                           \
		}                                                                        \
	} while (0)

static u64 host_rflags(void)
{
	u64 f;

	asm volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static u64 alu(unsigned op, unsigned size, u64 a, u64 b, u64 *guest_flags)
{
	u64 fl = (host_rflags() & ~RFLAGS_ARITH) | (*guest_flags & RFLAGS_ARITH);

	switch (op) {
	case DECODE_ADD: ALU_SIZES("add", a, b, fl); break;
	case DECODE_OR: ALU_SIZES("or", a, b, fl); break;
	case DECODE_ADC: ALU_SIZES("adc", a, b, fl); break;
	case DECODE_SBB: ALU_SIZES("sbb", a, b, fl); break;
	case DECODE_AND: ALU_SIZES("and", a, b, fl); break;
	case DECODE_SUB: ALU_SIZES("sub", a, b, fl); break;
	case DECODE_XOR: ALU_SIZES("xor", a, b, fl); break;
	case DECODE_CMP: ALU_SIZES("cmp", a, b, fl); break;
	case DECODE_TEST: ALU_SIZES("test", a, b, fl); break;
	}
	*guest_flags = (*guest_flags & ~RFLAGS_ARITH) | (fl & RFLAGS_ARITH);
	return a & size_mask(size);
}

static u64 dev_read(const struct emul_dev *dev, u64 addr, unsigned size)
{
	return dev->read(dev->ctx, addr, size) & size_mask(size);
}

static void dev_write(const struct emul_dev *dev, u64 addr, unsigned size, u64 val)
{
	dev->write(dev->ctx, addr, size, val & size_mask(size));
}

enum emul_result emulate_access(struct guest_regs *r, const struct decoded_insn *d, u64 addr,
				const struct emul_dev *dev)
{
	unsigned size = d->size;
	u64 m, o, res;

	if (d->op == DECODE_UNSUPPORTED || !d->has_mem || !size || size > 8)
		return EMUL_UNSUPPORTED;
	switch (d->op) {
	case DECODE_MOV_LOAD:
		emul_set_reg(r, d->reg, d->reg_high8, size, dev_read(dev, addr, size));
		return EMUL_DONE;
	case DECODE_MOVZX:
		emul_set_reg(r, d->reg, false, d->reg_size, dev_read(dev, addr, size));
		return EMUL_DONE;
	case DECODE_MOVSX:
		m = dev_read(dev, addr, size);
		m = size == 1 ? (u64)(s64)(s8)m : (u64)(s64)(s16)m;
		emul_set_reg(r, d->reg, false, d->reg_size, m);
		return EMUL_DONE;
	case DECODE_MOV_STORE:
		dev_write(dev, addr, size,
			  d->has_imm ? (u64)d->imm : emul_get_reg(r, d->reg, d->reg_high8, size));
		return EMUL_DONE;
	case DECODE_XCHG:
		m = dev_read(dev, addr, size);
		dev_write(dev, addr, size, emul_get_reg(r, d->reg, d->reg_high8, size));
		emul_set_reg(r, d->reg, d->reg_high8, size, m);
		return EMUL_DONE;
	case DECODE_ADD: case DECODE_OR: case DECODE_ADC: case DECODE_SBB:
	case DECODE_AND: case DECODE_SUB: case DECODE_XOR: case DECODE_CMP: case DECODE_TEST:
		m = dev_read(dev, addr, size);
		o = d->has_imm ? (u64)d->imm : emul_get_reg(r, d->reg, d->reg_high8, size);
		if (d->mem_is_dst) {
			res = alu(d->op, size, m, o, &r->rflags);
			if (d->op != DECODE_CMP && d->op != DECODE_TEST)
				dev_write(dev, addr, size, res);
		} else {
			res = alu(d->op, size, o, m, &r->rflags);
			if (d->op != DECODE_CMP)
				emul_set_reg(r, d->reg, d->reg_high8, size, res);
		}
		return EMUL_DONE;
	case DECODE_BT: case DECODE_BTS: case DECODE_BTR: case DECODE_BTC:
		/* The fault is on the operand-sized unit holding the bit, so
		 * the offset counts within it (a register offset beyond it
		 * chose the unit). */
		o = (d->has_imm ? (u64)d->imm : emul_get_reg(r, d->reg, false, size)) &
		    (8 * size - 1);
		m = dev_read(dev, addr, size);
		r->rflags = (r->rflags & ~RFLAGS_CF) | ((m >> o) & 1 ? RFLAGS_CF : 0);
		if (d->op == DECODE_BTS)
			dev_write(dev, addr, size, m | 1ull << o);
		else if (d->op == DECODE_BTR)
			dev_write(dev, addr, size, m & ~(1ull << o));
		else if (d->op == DECODE_BTC)
			dev_write(dev, addr, size, m ^ 1ull << o);
		return EMUL_DONE;
	case DECODE_STOS:
	case DECODE_LODS:
		if (d->rep && emul_count_zero(r, d))
			return EMUL_DONE; /* never faults: only for completeness */
		if (d->op == DECODE_STOS)
			dev_write(dev, addr, size, emul_get_reg(r, REG_AX, false, size));
		else
			emul_set_reg(r, REG_AX, false, size, dev_read(dev, addr, size));
		return emul_string_step(r, d, d->op == DECODE_LODS, d->op == DECODE_STOS)
			       ? EMUL_DONE : EMUL_REPEAT;
	default:
		return EMUL_UNSUPPORTED;
	}
}
