/*
 * x86 instruction decoder for I/O emulation (see decode.h).  Follows the
 * instruction format of the Intel SDM vol. 2, chapter 2: legacy prefixes,
 * REX (64-bit mode only, directly before the opcode), opcode, ModRM, SIB,
 * displacement, immediate.  Every byte read is bounds-checked against the
 * buffer and the architectural 15-byte limit.
 */
#include "arch/x86/decode.h"

struct cursor {
	const u8 *buf;
	size_t len, pos;
	bool bad;
};

static u8 get8(struct cursor *c)
{
	if (c->pos >= c->len || c->pos >= X86_MAX_INSN_LEN) {
		c->bad = true;
		return 0;
	}
	return c->buf[c->pos++];
}

/* Little-endian, `n` bytes (1, 2, 4, 8), zero-extended. */
static u64 getn(struct cursor *c, unsigned n)
{
	u64 v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (u64)get8(c) << (8 * i);
	return v;
}

static s64 sign_extend(u64 v, unsigned bytes)
{
	unsigned shift = 64 - 8 * bytes;

	return bytes >= 8 ? (s64)v : (s64)(v << shift) >> shift;
}

struct prefixes {
	bool opsize, addrsize, lock;
	u8 rep;
	u8 seg;     /* SEG_COUNT: no override */
	u8 rex;     /* 0 or 0x40..0x4f */
};

#define REX_W 8
#define REX_R 4
#define REX_X 2
#define REX_B 1

static void read_prefixes(struct cursor *c, enum decode_mode mode, struct prefixes *p)
{
	*p = (struct prefixes){ .seg = SEG_COUNT };
	for (;;) {
		if (c->pos >= c->len || c->pos >= X86_MAX_INSN_LEN) {
			c->bad = true;
			return;
		}
		u8 b = c->buf[c->pos];

		switch (b) {
		case 0x66: p->opsize = true; break;
		case 0x67: p->addrsize = true; break;
		case 0xf0: p->lock = true; break;
		case 0xf2: p->rep = REP_REPNE; break;
		case 0xf3: p->rep = REP_REP; break;
		case 0x26: p->seg = SEG_ES; break;
		case 0x2e: p->seg = SEG_CS; break;
		case 0x36: p->seg = SEG_SS; break;
		case 0x3e: p->seg = SEG_DS; break;
		case 0x64: p->seg = SEG_FS; break;
		case 0x65: p->seg = SEG_GS; break;
		default:
			if (mode == DECODE_64 && (b & 0xf0) == 0x40) {
				/* REX counts only right before the opcode:
				 * a legacy prefix after it cancels it. */
				p->rex = b;
				c->pos++;
				continue;
			}
			return;
		}
		p->rex = 0;
		c->pos++;
	}
}

/* The memory operand of a ModRM byte (mod != 3), SIB and displacement. */
static void decode_modrm_mem(struct cursor *c, u8 modrm, const struct prefixes *p,
			     unsigned addr_size, bool long_mode, struct decoded_mem *m)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;

	*m = (struct decoded_mem){ .seg = SEG_DS, .base = REG_NONE, .index = REG_NONE,
				   .scale = 1, .addr_size = addr_size };
	if (addr_size == 2) {
		static const u8 base16[8] = { REG_BX, REG_BX, REG_BP, REG_BP,
					      REG_SI, REG_DI, REG_BP, REG_BX };
		static const u8 index16[8] = { REG_SI, REG_DI, REG_SI, REG_DI,
					       REG_NONE, REG_NONE, REG_NONE, REG_NONE };

		if (mod == 0 && rm == 6) {
			m->disp = (s64)getn(c, 2); /* zero-extended: masked to 16 bits */
		} else {
			m->base = base16[rm];
			m->index = index16[rm];
			if (mod == 1)
				m->disp = sign_extend(getn(c, 1), 1);
			else if (mod == 2)
				m->disp = sign_extend(getn(c, 2), 2);
		}
		if (m->base == REG_BP)
			m->seg = SEG_SS;
	} else {
		if (rm == 4) {
			u8 sib = get8(c);
			unsigned idx = ((sib >> 3) & 7) | (p->rex & REX_X ? 8 : 0);
			unsigned base = sib & 7;

			m->scale = 1 << (sib >> 6);
			if (idx != REG_SP)
				m->index = idx;
			if (base == 5 && mod == 0)
				m->disp = sign_extend(getn(c, 4), 4);
			else
				m->base = base | (p->rex & REX_B ? 8 : 0);
		} else if (rm == 5 && mod == 0) {
			m->disp = sign_extend(getn(c, 4), 4);
			/* 64-bit mode: RIP- (or with 67, EIP-) relative. */
			m->rip_rel = long_mode;
		} else {
			m->base = rm | (p->rex & REX_B ? 8 : 0);
		}
		if (mod == 1)
			m->disp = sign_extend(getn(c, 1), 1);
		else if (mod == 2)
			m->disp = sign_extend(getn(c, 4), 4);
		if (m->base == REG_SP || m->base == REG_BP)
			m->seg = SEG_SS;
	}
	if (p->seg != SEG_COUNT)
		m->seg = p->seg;
}

const char *decode_op_name(unsigned op)
{
	static const char *const names[DECODE_OP_COUNT] = {
		[DECODE_UNSUPPORTED] = "unsupported",
		[DECODE_MOV_LOAD] = "mov-load", [DECODE_MOV_STORE] = "mov-store",
		[DECODE_MOVZX] = "movzx", [DECODE_MOVSX] = "movsx",
		[DECODE_ADD] = "add", [DECODE_OR] = "or", [DECODE_ADC] = "adc",
		[DECODE_SBB] = "sbb", [DECODE_AND] = "and", [DECODE_SUB] = "sub",
		[DECODE_XOR] = "xor", [DECODE_CMP] = "cmp", [DECODE_TEST] = "test",
		[DECODE_XCHG] = "xchg", [DECODE_STOS] = "stos", [DECODE_LODS] = "lods",
		[DECODE_MOVS] = "movs", [DECODE_IN] = "in", [DECODE_OUT] = "out",
		[DECODE_INS] = "ins", [DECODE_OUTS] = "outs", [DECODE_BT] = "bt",
		[DECODE_BTS] = "bts", [DECODE_BTR] = "btr", [DECODE_BTC] = "btc",
	};

	return op < DECODE_OP_COUNT && names[op] ? names[op] : "?";
}

int x86_decode(const u8 *buf, size_t len, enum decode_mode mode, struct decoded_insn *out)
{
	struct cursor c = { .buf = buf, .len = len };
	struct prefixes p;
	unsigned opsize, addr_size, imm_size = 0;
	bool modrm_mem = false, byte_op;
	u8 modrm = 0, op;

	*out = (struct decoded_insn){ .op = DECODE_UNSUPPORTED, .reg = REG_NONE };
	if (mode != DECODE_16 && mode != DECODE_32 && mode != DECODE_64)
		return -1;
	read_prefixes(&c, mode, &p);
	if (c.bad)
		goto fail;

	if (mode == DECODE_64) {
		opsize = p.rex & REX_W ? 8 : p.opsize ? 2 : 4;
		addr_size = p.addrsize ? 4 : 8;
	} else {
		opsize = (mode == DECODE_16) != p.opsize ? 2 : 4;
		addr_size = (mode == DECODE_16) != p.addrsize ? 2 : 4;
	}
	out->lock = p.lock;
	out->rep = p.rep;
	out->opsize_bits = opsize;

	op = get8(&c);
	byte_op = !(op & 1);
	if (op < 0x40 && (op & 7) < 4) {
		/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP r/m,reg and reg,r/m */
		out->op = DECODE_ADD + (op >> 3);
		out->mem_is_dst = !(op & 2);
		modrm_mem = true;
	} else {
		switch (op) {
		case 0x80: case 0x81: case 0x83:
			modrm = get8(&c);
			out->op = DECODE_ADD + ((modrm >> 3) & 7);
			out->mem_is_dst = true;
			out->has_imm = true;
			byte_op = op == 0x80;
			imm_size = op == 0x81 ? 4 : 1;
			modrm_mem = true;
			break;
		case 0x84: case 0x85:
			out->op = DECODE_TEST;
			out->mem_is_dst = true;
			modrm_mem = true;
			break;
		case 0x86: case 0x87:
			out->op = DECODE_XCHG;
			out->mem_is_dst = true;
			modrm_mem = true;
			break;
		case 0x88: case 0x89:
			out->op = DECODE_MOV_STORE;
			out->mem_is_dst = true;
			modrm_mem = true;
			break;
		case 0x8a: case 0x8b:
			out->op = DECODE_MOV_LOAD;
			modrm_mem = true;
			break;
		case 0xc6: case 0xc7:
			modrm = get8(&c);
			if ((modrm >> 3) & 7)
				goto fail;
			out->op = DECODE_MOV_STORE;
			out->mem_is_dst = true;
			out->has_imm = true;
			imm_size = op == 0xc6 ? 1 : 4;
			modrm_mem = true;
			break;
		case 0xf6: case 0xf7:
			modrm = get8(&c);
			if ((modrm >> 3) & 6) /* /0 and /1: TEST; NOT/NEG/MUL/DIV: no */
				goto fail;
			out->op = DECODE_TEST;
			out->mem_is_dst = true;
			out->has_imm = true;
			imm_size = op == 0xf6 ? 1 : 4;
			modrm_mem = true;
			break;
		case 0xa0: case 0xa1: case 0xa2: case 0xa3:
			out->op = op < 0xa2 ? DECODE_MOV_LOAD : DECODE_MOV_STORE;
			out->mem_is_dst = op >= 0xa2;
			out->reg = REG_AX;
			out->has_mem = true;
			out->mem = (struct decoded_mem){
				.seg = p.seg != SEG_COUNT ? p.seg : SEG_DS, .base = REG_NONE,
				.index = REG_NONE, .scale = 1, .addr_size = addr_size,
				.disp = (s64)getn(&c, addr_size),
			};
			break;
		case 0xa4: case 0xa5: case 0xaa: case 0xab: case 0xac: case 0xad:
		case 0x6c: case 0x6d: case 0x6e: case 0x6f: {
			bool dst_di = op == 0xa4 || op == 0xa5 || op == 0xaa || op == 0xab ||
				      op == 0x6c || op == 0x6d;

			if (op >= 0xa4 && op <= 0xa5)
				out->op = DECODE_MOVS;
			else if (op >= 0xaa && op <= 0xab)
				out->op = DECODE_STOS;
			else if (op >= 0xac)
				out->op = DECODE_LODS;
			else
				out->op = op < 0x6e ? DECODE_INS : DECODE_OUTS;
			if (out->op == DECODE_INS || out->op == DECODE_OUTS) {
				out->port_in_dx = true;
				if (opsize == 8)
					opsize = 4;
			}
			out->has_mem = true;
			/* mem: the destination ES:rDI for STOS/INS, else the
			 * source seg:rSI (MOVS writes ES:rDI too). */
			out->mem = (struct decoded_mem){
				.seg = dst_di && op != 0xa4 && op != 0xa5 ? SEG_ES
				       : p.seg != SEG_COUNT ? p.seg : SEG_DS,
				.base = dst_di && op != 0xa4 && op != 0xa5 ? REG_DI : REG_SI,
				.index = REG_NONE, .scale = 1, .addr_size = addr_size,
			};
			out->mem_is_dst = out->op == DECODE_STOS || out->op == DECODE_INS;
			if (out->op == DECODE_STOS || out->op == DECODE_LODS)
				out->reg = REG_AX;
			break;
		}
		case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		case 0xec: case 0xed: case 0xee: case 0xef:
			out->op = (op & 2) ? DECODE_OUT : DECODE_IN;
			out->reg = REG_AX;
			if (op & 8)
				out->port_in_dx = true;
			else
				out->port_imm = get8(&c);
			if (opsize == 8)
				opsize = 4;
			break;
		case 0x0f:
			op = get8(&c);
			if (op == 0xa3 || op == 0xab || op == 0xb3 || op == 0xbb) {
				/* BT/BTS/BTR/BTC r/m, reg */
				out->op = op == 0xa3 ? DECODE_BT : op == 0xab ? DECODE_BTS
					  : op == 0xb3 ? DECODE_BTR : DECODE_BTC;
				out->mem_is_dst = true;
				byte_op = false;
				modrm_mem = true;
				break;
			}
			if (op == 0xba) {
				/* group 8: BT/BTS/BTR/BTC r/m, imm8 (/4../7) */
				modrm = get8(&c);
				if (!((modrm >> 3) & 4))
					goto fail;
				out->op = DECODE_BT + ((modrm >> 3) & 3);
				out->mem_is_dst = true;
				out->has_imm = true;
				imm_size = 1;
				byte_op = false;
				modrm_mem = true;
				break;
			}
			if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
				goto fail;
			out->op = op < 0xb8 ? DECODE_MOVZX : DECODE_MOVSX;
			modrm_mem = true;
			modrm = get8(&c);
			if ((modrm >> 6) == 3)
				goto fail;
			out->reg = ((modrm >> 3) & 7) | (p.rex & REX_R ? 8 : 0);
			out->reg_size = opsize;
			out->size = op & 1 ? 2 : 1;
			out->has_mem = true;
			decode_modrm_mem(&c, modrm, &p, addr_size, mode == DECODE_64, &out->mem);
			goto done;
		default:
			goto fail;
		}
	}
	if (modrm_mem) {
		if (!out->has_imm)
			modrm = get8(&c);
		if ((modrm >> 6) == 3)
			goto fail; /* register operand: never an I/O access */
		if (!out->has_imm) {
			out->reg = ((modrm >> 3) & 7) | (p.rex & REX_R ? 8 : 0);
			out->reg_high8 = byte_op && !p.rex && out->reg >= 4;
			if (out->reg_high8)
				out->reg -= 4;
		}
		out->has_mem = true;
		decode_modrm_mem(&c, modrm, &p, addr_size, mode == DECODE_64, &out->mem);
	}
	out->size = byte_op ? 1 : opsize;
	out->reg_size = out->size;
	if (imm_size) {
		if (imm_size == 4 && out->size == 2)
			imm_size = 2;
		out->imm = sign_extend(getn(&c, imm_size), imm_size);
		if (out->op >= DECODE_BT && out->op <= DECODE_BTC)
			out->imm &= 0xff;
	}
done:
	if (c.bad)
		goto fail;
	out->len = c.pos;
	return 0;
fail:
	*out = (struct decoded_insn){ .op = DECODE_UNSUPPORTED, .reg = REG_NONE,
				      .len = c.pos };
	return -1;
}
