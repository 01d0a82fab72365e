#!/usr/bin/env python3
"""Generates tests/unit/decode_vectors.h: instruction encodings produced by
GNU as on this machine (cross-checked with objdump) with the decoding we
expect, for tests/unit/test_decode.c.

    python3 tests/unit/gen_decode_vectors.py > tests/unit/decode_vectors.h
"""
import os, subprocess, sys, tempfile

# (bits, assembly, expected fields); unlisted fields take their defaults.
V = [
 (64, "mov %eax, 0xffffffffff5fc0b0", dict(op="MOV_STORE", size=4, reg="AX", disp=-0xa03f50)),
 (64, "mov 0xffffffffff5fc020, %eax", dict(op="MOV_LOAD", size=4, reg="AX", disp=-0xa03fe0)),
 (64, "mov %ah, (%rbx)", dict(op="MOV_STORE", size=1, reg="AX", high8=1, base="BX")),
 (64, "mov %sil, 0x10(%rdi,%rcx,4)", dict(op="MOV_STORE", size=1, reg="SI", base="DI", index="CX", scale=4, disp=0x10)),
 (64, "mov %r9, -8(%r13)", dict(op="MOV_STORE", size=8, reg="R9", base="R13", disp=-8)),
 (64, "mov 0x1234(%rip), %r10d", dict(op="MOV_LOAD", size=4, reg="R10", rip=1, disp=0x1234)),
 (64, "mov (%r12,%r15,8), %bx", dict(op="MOV_LOAD", size=2, reg="BX", base="R12", index="R15", scale=8)),
 (64, "movb $0x7f, %fs:(%rax)", dict(op="MOV_STORE", size=1, imm=0x7f, seg="FS", base="AX")),
 (64, "movl $0xdeadbeef, 4(%rsp)", dict(op="MOV_STORE", size=4, imm=-0x21524111, base="SP", disp=4, seg="SS")),
 (64, "movq $-2, (%rdx)", dict(op="MOV_STORE", size=8, imm=-2, base="DX")),
 (64, "movw $0x1234, %gs:0x10(%rbp)", dict(op="MOV_STORE", size=2, imm=0x1234, seg="GS", base="BP", disp=0x10)),
 (64, "movzbl (%rsi), %eax", dict(op="MOVZX", size=1, reg_size=4, reg="AX", base="SI")),
 (64, "movzwq 2(%rdi), %r8", dict(op="MOVZX", size=2, reg_size=8, reg="R8", base="DI", disp=2)),
 (64, "movsbw (%rcx), %dx", dict(op="MOVSX", size=1, reg_size=2, reg="DX", base="CX")),
 (64, "movswl (%rcx), %edx", dict(op="MOVSX", size=2, reg_size=4, reg="DX", base="CX")),
 (64, "movabs 0x1122334455667788, %al", dict(op="MOV_LOAD", size=1, reg="AX", moffs=1, disp=0x1122334455667788)),
 (64, "movabs %rax, 0xfee00300", dict(op="MOV_STORE", size=8, reg="AX", moffs=1, disp=0xfee00300)),
 (64, "addr32 mov 0x10(%eax), %ecx", dict(op="MOV_LOAD", size=4, reg="CX", base="AX", disp=0x10, asize=4)),
 (64, "lock orb $0x4, (%rdi)", dict(op="OR", size=1, imm=4, base="DI", lock=1)),
 (64, "andl $0xfffffffe, 0x30(%rbx)", dict(op="AND", size=4, imm=-2, base="BX", disp=0x30)),
 (64, "xorq $0x1000, (%rax)", dict(op="XOR", size=8, imm=0x1000, base="AX")),
 (64, "addw $0x5, (%rax)", dict(op="ADD", size=2, imm=5, base="AX")),
 (64, "sub %ecx, (%rax)", dict(op="SUB", size=4, reg="CX", base="AX")),
 (64, "sub (%rax), %ecx", dict(op="SUB", size=4, reg="CX", base="AX", dst=0)),
 (64, "cmpl $0, 0xb0(%r11)", dict(op="CMP", size=4, imm=0, base="R11", disp=0xb0)),
 (64, "cmp %r8b, (%rax)", dict(op="CMP", size=1, reg="R8", base="AX")),
 (64, "cmp (%rax), %dh", dict(op="CMP", size=1, reg="DX", high8=1, base="AX", dst=0)),
 (64, "testl $0x1000, 0x300(%rax)", dict(op="TEST", size=4, imm=0x1000, base="AX", disp=0x300)),
 (64, "testb $0x80, (%rdx)", dict(op="TEST", size=1, imm=-0x80, base="DX")),
 (64, "test %eax, (%rsi)", dict(op="TEST", size=4, reg="AX", base="SI")),
 (64, "xchg %eax, 0xffffffffff5fc0b0", dict(op="XCHG", size=4, reg="AX", disp=-0xa03f50)),
 (64, "xchg %r14, (%rdi)", dict(op="XCHG", size=8, reg="R14", base="DI")),
 (64, "adc %edx, (%rax)", dict(op="ADC", size=4, reg="DX", base="AX")),
 (64, "sbbb $1, (%rax)", dict(op="SBB", size=1, imm=1, base="AX")),
 (64, "lock btsl %ecx, (%rdi)", dict(op="BTS", size=4, reg="CX", base="DI", lock=1)),
 (64, "btq %rax, 8(%rsi)", dict(op="BT", size=8, reg="AX", base="SI", disp=8)),
 (64, "btrw %dx, (%rbx)", dict(op="BTR", size=2, reg="DX", base="BX")),
 (64, "btcl $31, (%rax)", dict(op="BTC", size=4, imm=31, base="AX")),
 (64, "btl $0x85, (%rax)", dict(op="BT", size=4, imm=0x85, base="AX")),
 (64, "rep stosl", dict(op="STOS", size=4, reg="AX", base="DI", seg="ES", rep="REP")),
 (64, "stosq", dict(op="STOS", size=8, reg="AX", base="DI", seg="ES")),
 (64, "rep movsb", dict(op="MOVS", size=1, base="SI", dst=0, rep="REP")),
 (64, "fs movsl", dict(op="MOVS", size=4, base="SI", seg="FS", dst=0)),
 (64, "lodsw", dict(op="LODS", size=2, reg="AX", base="SI", dst=0)),
 (64, "in $0x71, %al", dict(op="IN", size=1, reg="AX", port=0x71, mem=0, dst=0)),
 (64, "out %eax, $0x80", dict(op="OUT", size=4, reg="AX", port=0x80, mem=0)),
 (64, "in (%dx), %ax", dict(op="IN", size=2, reg="AX", dx=1, mem=0, dst=0)),
 (64, "outb %al, (%dx)", dict(op="OUT", size=1, reg="AX", dx=1, mem=0)),
 (64, "rep insw", dict(op="INS", size=2, base="DI", seg="ES", dx=1, rep="REP")),
 (64, "rep outsb", dict(op="OUTS", size=1, base="SI", dx=1, rep="REP", dst=0)),
 (32, "mov %eax, 0xfee000b0", dict(op="MOV_STORE", size=4, reg="AX", disp=0xfee000b0, asize=4)),
 (32, "mov 0x20(%ebx,%esi,2), %cx", dict(op="MOV_LOAD", size=2, reg="CX", base="BX", index="SI", scale=2, disp=0x20, asize=4)),
 (32, "movl $1, (%ebp)", dict(op="MOV_STORE", size=4, imm=1, base="BP", seg="SS", asize=4)),
 (32, "mov 0xfee00020, %eax", dict(op="MOV_LOAD", size=4, reg="AX", moffs=1, disp=0xfee00020, asize=4)),
 (32, "inc %eax; mov %al, (%ecx)", dict(skip=1, op="MOV_STORE", size=1, reg="AX", base="CX", asize=4)),
 (32, "addr16 mov (%bx,%si), %al", dict(op="MOV_LOAD", size=1, reg="AX", base="BX", index="SI", asize=2)),
 (16, "mov %ax, (%bx,%di)", dict(op="MOV_STORE", size=2, reg="AX", base="BX", index="DI", asize=2)),
 (16, "movl 0x10(%bp), %edx", dict(op="MOV_LOAD", size=4, reg="DX", base="BP", disp=0x10, seg="SS", asize=2)),
 (16, "movb $0x55, 0x1234", dict(op="MOV_STORE", size=1, imm=0x55, disp=0x1234, asize=2)),
 (16, "mov %es:(%eax,%ecx,4), %bl", dict(op="MOV_LOAD", size=1, reg="BX", base="AX", index="CX", scale=4, seg="ES", asize=4)),
 (16, "rep stosw", dict(op="STOS", size=2, reg="AX", base="DI", seg="ES", rep="REP", asize=2)),
 (16, "outw %ax, $0x70", dict(op="OUT", size=2, reg="AX", port=0x70, mem=0, asize=2)),
]

def assemble(bits, text):
    with tempfile.TemporaryDirectory() as d:
        src, obj = os.path.join(d, "t.s"), os.path.join(d, "t.o")
        with open(src, "w") as f:
            f.write(".code%d\n%s\n" % (bits, text))
        subprocess.check_call(["as", "--64", src, "-o", obj])
        dump = subprocess.check_output(["objdump", "-d", "-M", {16: "i8086", 32: "i386", 64: "x86-64"}[bits], obj], text=True)
        out = subprocess.check_output(["objcopy", "-O", "binary", "-j", ".text", obj, "/dev/stdout"])
        return out, dump

print("/* Generated by tests/unit/gen_decode_vectors.py from GNU as output; do not edit. */")
for bits, text, e in V:
    code, dump = assemble(bits, text)
    if e.get("skip"):
        code = code[e["skip"]:]  # drop a preamble instruction of that many bytes
    mode = {16: "DECODE_16", 32: "DECODE_32", 64: "DECODE_64"}[bits]
    def r(k):
        v = e.get(k, "NONE")
        return "REG_" + v
    asize = e.get("asize", 8 if bits == 64 else bits // 8)
    print('{ "%s", %s, { %s }, %d,' % (text, mode, ", ".join("0x%02x" % b for b in code), len(code)))
    print('  { .len = %d, .op = DECODE_%s, .size = %d, .reg_size = %d, .reg = %s, .reg_high8 = %d,'
          % (len(code), e["op"], e["size"], e.get("reg_size", e["size"]), r("reg"), e.get("high8", 0)))
    print('    .has_imm = %d, .imm = %d, .mem_is_dst = %d, .has_mem = %d, .lock = %d, .port_in_dx = %d,'
          % (1 if "imm" in e else 0, e.get("imm", 0), e.get("dst", 0 if e["op"] in ("MOV_LOAD", "MOVZX", "MOVSX", "LODS", "MOVS", "IN", "OUT", "OUTS") else 1), e.get("mem", 1), e.get("lock", 0), e.get("dx", 0)))
    print('    .rep = REP_%s, .port_imm = %d,' % (e.get("rep", "NONE"), e.get("port", 0)))
    print('    .mem = { .seg = SEG_%s, .base = %s, .index = %s, .scale = %d, .addr_size = %d, .rip_rel = %d, .disp = %dll } } },'
          % (e.get("seg", "DS"), r("base"), r("index"), e.get("scale", 1), asize, e.get("rip", 0), e.get("disp", 0)))
