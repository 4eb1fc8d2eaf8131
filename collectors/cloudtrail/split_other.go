//go:build !amd64 || purego

package cloudtrail

// splitFast is false: without a vector kernel the scalar scanValue is the
// faster splitter.
var splitFast = false

func splitBlocks(src []byte, out []uint64, st *splitState) { splitBlocksGeneric(src, out, st) }

func splitWalk(masks []uint64, buf []byte, mem []int32, w *splitWalkState) int {
	return splitWalkGeneric(masks, buf, mem, w)
}

// splitAsm is whether splitBlocks and splitWalk are the assembly ones.
const splitAsm = false
