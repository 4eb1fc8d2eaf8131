//go:build amd64 && !purego

package cloudtrail

import "golang.org/x/sys/cpu"

// splitFast is whether the scanner splits records with the fast splitter:
// the kernel needs AVX2 and carry-less multiplication (PCLMULQDQ).
var splitFast = cpu.X86.HasAVX && cpu.X86.HasAVX2 && cpu.X86.HasPCLMULQDQ

// splitBlocks is splitBlocksGeneric in AVX2 (split_amd64.s).
func splitBlocks(src []byte, out []uint64, st *splitState) {
	n := len(src) / 64
	if n == 0 {
		return
	}
	_ = out[4*n-1]
	splitBlocksAVX2(&src[0], n, &out[0], st)
}

// splitBlocksAVX2 classifies the n 64-byte blocks at src into 4*n masks at
// out, as splitBlocksGeneric does.
//
//go:noescape
func splitBlocksAVX2(src *byte, n int, out *uint64, st *splitState)

// splitWalk is splitWalkGeneric in assembly (split_amd64.s).
func splitWalk(masks []uint64, buf []byte, mem []int32, w *splitWalkState) int {
	n := len(masks) / 4
	if n == 0 {
		return splitWalkMore
	}
	if w.nk+64 > len(mem) {
		return splitWalkFull
	}
	_ = buf[w.pos] // the walk reads bytes at brackets and keys, inside buf
	return splitWalkAsm(&masks[0], n, &buf[0], len(buf), &mem[0], len(mem), w)
}

// splitWalkAsm is splitWalk over the n blocks' masks at masks, with room
// for memCap offsets at mem.
//
//go:noescape
func splitWalkAsm(masks *uint64, n int, buf *byte, bufLen int, mem *int32, memCap int, w *splitWalkState) int

// splitAsm is whether splitBlocks and splitWalk are the assembly ones.
const splitAsm = true
