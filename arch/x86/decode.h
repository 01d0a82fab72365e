/*
 * x86 instruction decoder for the guest's accesses to memory-mapped and
 * port I/O: the data moves, ALU operations with a memory operand, string
 * instructions and IN/OUT/INS/OUTS, in 16-, 32- and 64-bit code.  Pure
 * logic over a copy of the instruction bytes (no guest access, no state),
 * so it is unit-tested and fuzzed on the host.  Anything else decodes to
 * DECODE_UNSUPPORTED.
 */
#ifndef ARCH_X86_DECODE_H
#define ARCH_X86_DECODE_H

#include "core/types.h"

#define X86_MAX_INSN_LEN 15

/* General-purpose register numbers (the encoding order). */
enum {
	REG_AX, REG_CX, REG_DX, REG_BX, REG_SP, REG_BP, REG_SI, REG_DI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	REG_NONE = 0xff,
};

/* Segment registers (the encoding order). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

enum decode_mode { DECODE_16 = 2, DECODE_32 = 4, DECODE_64 = 8 };

enum decode_op {
	DECODE_UNSUPPORTED,
	DECODE_MOV_LOAD,   /* reg <- mem (8A/8B, A0/A1) */
	DECODE_MOV_STORE,  /* mem <- reg or imm (88/89, A2/A3, C6/C7) */
	DECODE_MOVZX,      /* reg <- zero-extended mem (0F B6/B7) */
	DECODE_MOVSX,      /* reg <- sign-extended mem (0F BE/BF) */
	DECODE_ADD, DECODE_OR, DECODE_ADC, DECODE_SBB,
	DECODE_AND, DECODE_SUB, DECODE_XOR, DECODE_CMP, /* in group-1 order */
	DECODE_TEST,       /* 84/85, F6/F7 /0 /1 */
	DECODE_XCHG,       /* 86/87 (always locked) */
	DECODE_STOS, DECODE_LODS, DECODE_MOVS,
	DECODE_IN, DECODE_OUT, DECODE_INS, DECODE_OUTS,
	DECODE_BT, DECODE_BTS, DECODE_BTR, DECODE_BTC, /* in group-8 order; the
			 * bit offset is reg or imm (imm: an unsigned byte) */
	DECODE_OP_COUNT
};

enum decode_rep { REP_NONE, REP_REP, REP_REPNE }; /* F3 (REP/REPE), F2 */

struct decoded_mem {
	u8 seg;        /* SEG_*: the default or the override */
	u8 base;       /* REG_* or REG_NONE */
	u8 index;      /* REG_* or REG_NONE */
	u8 scale;      /* 1, 2, 4, 8 */
	u8 addr_size;  /* 2, 4, 8 */
	bool rip_rel;  /* disp is relative to the next instruction */
	s64 disp;
};

struct decoded_insn {
	u8 len;
	u8 op;          /* enum decode_op */
	u8 size;        /* bytes moved to or from memory / the port: 1, 2, 4, 8 */
	u8 reg_size;    /* size of the register operand (MOVZX/MOVSX: the
			 * destination); equals size otherwise */
	u8 reg;         /* register operand (REG_*) or REG_NONE */
	bool reg_high8; /* reg is AH, CH, DH or BH (no REX, size 1, 4..7) */
	bool has_imm;   /* source is imm (sign-extended to 64 bits) */
	bool mem_is_dst;/* memory is the first (destination) operand (CMP
			 * and TEST only read it); STOS, INS write memory */
	bool has_mem;   /* mem is valid (a ModRM memory operand or moffs) */
	bool lock;
	bool port_in_dx;/* IN/OUT port is DX; else port_imm */
	u8 rep;         /* enum decode_rep */
	u8 opsize_bits; /* operand size attribute (2/4/8) for string counters */
	u16 port_imm;
	s64 imm;
	struct decoded_mem mem;
};

/* Decodes the instruction in buf[0..len) for code of the given mode (the
 * default operand/address size: CS.D for 16/32, 64 for long mode).
 * Returns 0, or -1 (unsupported, truncated, too long) with
 * out->op == DECODE_UNSUPPORTED and out->len the bytes examined. */
int x86_decode(const u8 *buf, size_t len, enum decode_mode mode, struct decoded_insn *out);

const char *decode_op_name(unsigned op);

#endif
