//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// func splitBlocksAVX2(src *byte, n int, out *uint64, st *splitState)
//
// For each 64-byte block: compare the bytes with '"', '\\', ':' and, once
// or'ed with 0x20, with '{' and '}' (which also finds '[' and ']'); turn
// the comparisons into 64-bit masks; work out the escaped bytes from the
// runs of backslashes (as splitEscaped does), the real quotes, and the
// bytes inside strings by a carry-less multiplication of the quotes by all
// ones (a prefix xor); store the four masks of splitBlocksGeneric.
//
// Registers: SI src, DI out, CX blocks left, R9 inString, R10 escaped
// carry; AX quotes, DX backslashes, R11 colons, R12 brackets; BX, R8,
// R13-R15 scratch. Y10-Y15 hold the byte constants, X9 all ones.
TEXT ·splitBlocksAVX2(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	MOVQ st+24(FP), R8
	MOVQ splitState_inString(R8), R9
	MOVQ splitState_escaped(R8), R10

	MOVL $0x22, AX
	VMOVD AX, X0
	VPBROADCASTB X0, Y10
	MOVL $0x5c, AX
	VMOVD AX, X0
	VPBROADCASTB X0, Y11
	MOVL $0x3a, AX
	VMOVD AX, X0
	VPBROADCASTB X0, Y12
	MOVL $0x20, AX
	VMOVD AX, X0
	VPBROADCASTB X0, Y13
	MOVL $0x7b, AX
	VMOVD AX, X0
	VPBROADCASTB X0, Y14
	MOVL $0x7d, AX
	VMOVD AX, X0
	VPBROADCASTB X0, Y15
	VPCMPEQB X9, X9, X9

loop:
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1

	// quotes
	VPCMPEQB Y0, Y10, Y2
	VPCMPEQB Y1, Y10, Y3
	VPMOVMSKB Y2, AX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ  BX, AX

	// backslashes (rare: their masks only when there are some)
	VPCMPEQB Y0, Y11, Y2
	VPCMPEQB Y1, Y11, Y3
	XORL     DX, DX
	VPOR     Y2, Y3, Y4
	VPTEST   Y4, Y4
	JZ       nobackslash
	VPMOVMSKB Y2, DX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ  BX, DX

nobackslash:

	// colons
	VPCMPEQB Y0, Y12, Y2
	VPCMPEQB Y1, Y12, Y3
	VPMOVMSKB Y2, R11
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ  BX, R11

	// brackets: c|0x20 is '{' for '{' and '[', '}' for '}' and ']'
	VPOR     Y0, Y13, Y4
	VPOR     Y1, Y13, Y5
	VPCMPEQB Y4, Y14, Y2
	VPCMPEQB Y4, Y15, Y4
	VPOR     Y2, Y4, Y4
	VPCMPEQB Y5, Y14, Y3
	VPCMPEQB Y5, Y15, Y5
	VPOR     Y3, Y5, Y5
	VPMOVMSKB Y4, R12
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ  BX, R12

	// escaped bytes into BX
	TESTQ DX, DX
	JNZ   escapes
	MOVQ  R10, BX
	XORL  R10, R10
	JMP   escaped

escapes:
	MOVQ  R10, R13
	NOTQ  R13
	ANDQ  DX, R13         // R13 = backslashes not escaped themselves
	MOVQ  R13, BX
	SHLQ  $1, BX
	NOTQ  BX
	ANDQ  R13, BX         // BX = first backslash of each run
	MOVQ  $0xaaaaaaaaaaaaaaaa, R14
	MOVQ  BX, R15
	ANDQ  R14, R15        // R15 = runs starting at odd positions
	XORQ  R15, BX         // BX = runs starting at even positions
	ADDQ  R13, BX         // BX = the bytes after even runs (and the runs)
	ADDQ  R13, R15        // R15 = the bytes after odd runs; CF = past the block
	SBBQ  R8, R8
	NEGQ  R8              // R8 = the next block's first byte is escaped
	NOTQ  R13
	ANDQ  R13, BX
	ANDQ  R13, R15
	ANDQ  R14, BX         // after an even run, at an odd position
	NOTQ  R14
	ANDQ  R14, R15        // after an odd run, at an even position
	ORQ   R15, BX
	ORQ   R10, BX
	MOVQ  R8, R10

escaped:
	NOTQ BX
	ANDQ BX, AX           // AX = real quotes

	// BX = inside strings: prefix xor of the quotes, carried over
	VMOVQ      AX, X0
	VPCLMULQDQ $0, X9, X0, X0
	VMOVQ      X0, BX
	XORQ       R9, BX
	MOVQ       BX, R9
	SARQ       $63, R9

	ANDQ BX, AX           // opening quotes
	NOTQ BX
	ANDQ BX, R12          // brackets outside strings
	ANDQ BX, R11          // colons outside strings
	ANDQ BX, DX           // backslashes outside strings
	MOVQ R12, 0(DI)
	MOVQ R11, 8(DI)
	MOVQ AX, 16(DI)
	MOVQ DX, 24(DI)

	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  loop

	MOVQ st+24(FP), R8
	MOVQ R9, splitState_inString(R8)
	MOVQ R10, splitState_escaped(R8)
	VZEROUPPER
	RET

// func splitWalkAsm(masks *uint64, n int, buf *byte, bufLen int, mem *int32, memCap int, w *splitWalkState) int
//
// splitWalkGeneric in assembly (split.go has the description).
//
// Registers: SI masks, BX buf, DI mem, R9 w, R10 pos, R11 depth, R12 nk,
// R14 the block's colons at depth 1, R8 zero; in a block, DX brackets and
// R13 colons, then DX opening quotes and R13 a colon's offset; CX a bit
// index; AX, R15 scratch. n+8(FP) becomes the end of the masks, and ret
// the record's end once found.
TEXT ·splitWalkAsm(SB), NOSPLIT, $0-64
	MOVQ masks+0(FP), SI
	MOVQ n+8(FP), AX
	SHLQ $5, AX
	ADDQ SI, AX
	MOVQ AX, n+8(FP)
	MOVQ buf+16(FP), BX
	MOVQ mem+32(FP), DI
	MOVQ w+48(FP), R9
	MOVQ splitWalkState_pos(R9), R10
	MOVQ splitWalkState_depth(R9), R11
	MOVQ splitWalkState_nk(R9), R12
	XORL R8, R8
	MOVQ R8, ret+56(FP)

block:
	CMPQ SI, n+8(FP)
	JAE  exhausted
	LEAQ 64(R12), AX
	CMPQ AX, memCap+40(FP)
	JGT  full
	CMPQ 24(SI), $0
	JNE  bad
	MOVQ 0(SI), DX
	MOVQ 8(SI), R13
	XORL R14, R14
	TESTQ DX, DX
	JZ   blockend

brackets:
	BSFQ DX, CX
	MOVL $1, AX
	SHLQ CX, AX
	DECQ AX               // the bits before the bracket
	MOVQ R13, R15
	ANDQ AX, R15
	CMPQ R11, $1
	CMOVQNE R8, R15
	ORQ  R15, R14         // its colons, at depth 1
	NOTQ AX
	ANDQ AX, R13
	LEAQ (R10)(CX*1), AX
	MOVBLZX (BX)(AX*1), AX
	SHRL $1, AX
	ANDL $1, AX           // 1 for '{' and '[', 0 for '}' and ']'
	LEAQ -1(R11)(AX*2), R11
	TESTQ R11, R11
	JZ   closed
	LEAQ -1(DX), AX
	ANDQ AX, DX
	JNZ  brackets

blockend:
	CMPQ R11, $1
	CMOVQNE R8, R13
	ORQ  R13, R14
	JMP  flatten

closed:
	LEAQ 1(R10)(CX*1), AX
	MOVQ AX, ret+56(FP)

flatten:
	TESTQ R14, R14
	JZ   flattened
	MOVQ 16(SI), DX       // opening quotes

flat:
	BSFQ R14, CX
	LEAQ (R10)(CX*1), R13 // the colon
	CMPB -1(BX)(R13*1), $0x22
	JNE  odd
	MOVL $1, AX
	SHLQ CX, AX
	DECQ AX
	ANDQ DX, AX
	BSRQ AX, R15          // the last opening quote before the colon
	LEAQ (R10)(R15*1), R15
	CMOVQEQ splitWalkState_lastOpen(R9), R15   // or before the block
	TESTQ R15, R15
	JS   odd
	MOVQ R15, AX
	SUBQ splitWalkState_start(R9), AX
	MOVL AX, (DI)(R12*4)
	INCQ R12
	LEAQ 9(R15), AX
	CMPQ AX, bufLen+24(FP)
	JA   next
	MOVQ 1(BX)(R15*1), AX
	MOVQ $0x796c6e4f64616572, CX // "readOnly"
	CMPQ AX, CX
	JEQ  readonly
	MOVQ $0x6d614e746e657665, CX // "eventNam"
	CMPQ AX, CX
	JEQ  eventname

next:
	LEAQ -1(R14), AX
	ANDQ AX, R14
	JNZ  flat

flattened:
	CMPQ ret+56(FP), $0
	JNE  done
	MOVQ 16(SI), AX
	BSRQ AX, AX
	JZ   nextblock
	ADDQ R10, AX
	MOVQ AX, splitWalkState_lastOpen(R9)

nextblock:
	ADDQ $64, R10
	ADDQ $32, SI
	JMP  block

readonly:
	LEAQ 10(R15), AX
	CMPQ AX, R13
	JNE  next
	JMP  special

eventname:
	LEAQ 11(R15), AX
	CMPQ AX, R13
	JNE  next
	CMPB 9(BX)(R15*1), $0x65
	JNE  next

special:
	MOVQ splitWalkState_nspecial(R9), AX
	CMPQ AX, $const_splitSpecials
	JAE  odd
	MOVQ R15, splitWalkState_special(R9)(AX*8)
	INCQ AX
	MOVQ AX, splitWalkState_nspecial(R9)
	JMP  next

done:
	MOVQ R12, splitWalkState_nk(R9)
	RET

exhausted:
	MOVQ R10, splitWalkState_pos(R9)
	MOVQ R11, splitWalkState_depth(R9)
	MOVQ R12, splitWalkState_nk(R9)
	RET

full:
	MOVQ R10, splitWalkState_pos(R9)
	MOVQ R11, splitWalkState_depth(R9)
	MOVQ R12, splitWalkState_nk(R9)
	MOVQ $const_splitWalkFull, ret+56(FP)
	RET

bad:
	MOVQ $const_splitWalkBad, ret+56(FP)
	RET

odd:
	MOVQ $const_splitWalkOdd, ret+56(FP)
	RET
