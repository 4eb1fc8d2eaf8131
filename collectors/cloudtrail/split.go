package cloudtrail

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// The fast record splitter finds the end of a record and its top-level keys
// as scanValue does, but from bitmasks: a kernel (AVX2 on amd64, see
// split_amd64.s; splitBlocksGeneric is the portable reference) classifies
// 64 bytes at a time and works out which quotes are real and which bytes lie
// inside strings, so that the walk (splitWalk, in assembly on amd64 too)
// looks only at the brackets and the colons outside strings, one by one.
// On the benchmark's records it splits at about 4 GB/s where scanValue does
// about 1.4 GB/s. Other architectures keep scanValue (splitFast is false):
// the kernel in Go would be slower than it.
//
// It reads JSON as scanValue does: a backslash escapes the byte after it,
// inside a string; '{' and '[' open a level, '}' and ']' close one; other
// bytes are skipped. The kernel applies backslashes wherever they are, so
// the splitter hands a record with a backslash outside strings (never in
// valid JSON) to scanValue.
//
// The kernel classifies a window of the scanner's buffer at a time, past
// the record at hand: what it found after a record's end holds for the
// next record when only commas and whitespace lie between them, since the
// kernel then enters the next record outside strings, as scanValue does.

// splitWindow is how many 64-byte blocks the kernel classifies per call.
const splitWindow = 64

// splitState carries what the kernel knows from one block to the next.
type splitState struct {
	inString uint64 // all ones when the previous block ended inside a string
	escaped  uint64 // 1 when the next block's first byte is escaped
}

// splitter walks records over the kernel's masks of the scanner's buffer.
type splitter struct {
	masks [4 * splitWindow]uint64 // four masks per block (splitBlocksGeneric)
	tail  [64]byte                // the buffer's last, partial, block, zero-padded
	st    splitState              // the kernel's state at wEnd
	// The window: masks hold the blocks of buf[wStart:wEnd] (wEnd is past
	// the end of the buffer after its last, partial, block).
	wStart, wEnd int
	// clean is the end of the last record split from the window: the
	// window holds for a record that follows it after commas and spaces.
	// -1 when there is no window (the buffer changed).
	clean int
	w     splitWalkState // splitWalk's state

	// kernel and walk replace splitBlocks and splitWalk when set (tests
	// run splitBlocksGeneric and splitWalkGeneric).
	kernel func(src []byte, out []uint64, st *splitState)
	walk   func(masks []uint64, buf []byte, mem []int32, w *splitWalkState) int
}

// reset forgets the window: the buffer's bytes moved or changed.
func (sp *splitter) reset() { sp.clean = -1 }

// classify runs the kernel on the blocks of buf from from on, with sp.st.
func (sp *splitter) classify(buf []byte, from int) {
	src := buf[from:]
	switch {
	case len(src) >= splitWindow*64:
		src = src[:splitWindow*64]
	case len(src) >= 64:
		src = src[:len(src)&^63]
	default:
		// Zero bytes are neither quotes nor backslashes nor structure:
		// the padding adds nothing to the masks.
		sp.tail = [64]byte{}
		copy(sp.tail[:], src)
		src = sp.tail[:]
	}
	kernel := sp.kernel
	if kernel == nil {
		kernel = splitBlocks
	}
	kernel(src, sp.masks[:len(src)/64*4], &sp.st)
	sp.wStart, sp.wEnd = from, from+len(src)
}

// object is scanValue(buf[start:], members) for a value that starts with
// '{' and a non-nil members: it returns the same results (end relative to
// start) and appends the same key offsets. buf must not change between
// calls without a reset.
func (sp *splitter) object(buf []byte, start int, members *[]int32) (end int, readOnly, eventName []byte, ok bool) {
	if len(buf) > math.MaxInt32 { // the walk notes offsets as int32
		return scanValue(buf[start:], members)
	}
	if sp.clean < 0 || start < sp.clean || start >= sp.wEnd || !splitSeparators(buf[sp.clean:start]) {
		sp.st = splitState{}
		sp.classify(buf, start)
	}
	walk := sp.walk
	if walk == nil {
		walk = splitWalk
	}
	k := (start - sp.wStart) >> 6
	w := &sp.w
	*w = splitWalkState{pos: sp.wStart + k<<6, lastOpen: -1, nk: len(*members), start: start}
	mem := (*members)[:cap(*members)]
	// Forget the first block's bits before start: the records that
	// follow from this window start later.
	lo := ^uint64(0) << uint(start-w.pos)
	m := sp.masks[4*k : 4*k+4]
	m[0], m[1], m[2], m[3] = m[0]&lo, m[1]&lo, m[2]&lo, m[3]&lo
	for {
		switch e := walk(sp.masks[4*k:(sp.wEnd-sp.wStart)>>6*4], buf, mem, w); {
		case e > 0:
			*members = mem[:w.nk]
			for _, o := range w.special[:w.nspecial] {
				n := len("eventName")
				if buf[o+1] == 'r' {
					n = len("readOnly")
				}
				readOnly, eventName = scanKeyValue(buf, buf[o+1:o+1+n], o+2+n, readOnly, eventName)
			}
			sp.clean = e
			return e - start, readOnly, eventName, true
		case e == splitWalkFull:
			mem = append(mem[:w.nk], make([]int32, 64+len(mem))...)
			mem = mem[:cap(mem)]
			k = (w.pos - sp.wStart) >> 6
			continue
		case e == splitWalkMore && sp.wEnd < len(buf):
			sp.classify(buf, sp.wEnd)
			k = 0
			continue
		case e == splitWalkMore:
			// buf ends inside the value; scanValue notes the same keys.
			*members = mem[:w.nk]
			return 0, nil, nil, false
		}
		// What the splitter does not expect: scanValue decides.
		sp.clean = -1
		return scanValue(buf[start:], members)
	}
}

// splitSeparators reports whether b holds only commas and whitespace.
func splitSeparators(b []byte) bool {
	for _, c := range b {
		if c != ',' && c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

// splitWalkState is where splitWalk is in a record.
type splitWalkState struct {
	pos      int // offset in buf of the block at masks
	depth    int
	lastOpen int // offset of the last opening quote before pos, or -1
	nk       int // offsets in mem
	start    int // the record's offset in buf
	// special are the offsets of the keys readOnly and eventName, in order.
	nspecial int
	special  [splitSpecials]int
}

// splitSpecials is how many readOnly and eventName keys a record may have
// for the splitter (scanValue takes records with more).
const splitSpecials = 8

// What splitWalk returns when it does not find the end of the record.
const (
	splitWalkMore = 0  // the masks end first
	splitWalkBad  = -1 // a backslash outside strings
	splitWalkFull = -2 // mem may not have room for the next block's keys
	splitWalkOdd  = -3 // a colon not right after a string, or too many specials
)

// Eight bytes of the keys whose values the scanner reports.
var (
	splitReadOnlyKey = binary.LittleEndian.Uint64([]byte("readOnly"))
	splitEventNamKey = binary.LittleEndian.Uint64([]byte("eventNam"))
)

// splitWalkGeneric is splitWalk in plain Go. It follows a record over the
// kernel's masks of its blocks, from w on, and returns the offset in buf
// of the record's end, or splitWalkMore (w tells where to go on with more
// masks), splitWalkFull (the same, with more room in mem), splitWalkBad
// or splitWalkOdd.
//
// A colon at depth 1 right after a string makes that string a key: its
// opening quote is the last one before the colon (w.lastOpen when none in
// the colon's block). It writes the key's offset from w.start to
// mem[w.nk], and notes the keys readOnly and eventName in w.special. A
// colon at depth 1 after anything else is splitWalkOdd.
func splitWalkGeneric(masks []uint64, buf []byte, mem []int32, w *splitWalkState) int {
	for k := 0; k+3 < len(masks); k += 4 {
		if w.nk+64 > len(mem) {
			return splitWalkFull
		}
		brk, col, oq, bad := masks[k], masks[k+1], masks[k+2], masks[k+3]
		if bad != 0 {
			return splitWalkBad
		}
		top, end := uint64(0), 0 // the block's colons at depth 1
		for brk != 0 {
			t := bits.TrailingZeros64(brk)
			below := uint64(1)<<t - 1
			if w.depth == 1 {
				top |= col & below
			}
			col &^= below
			// '{' and '[' have bit 1 set, '}' and ']' do not.
			w.depth += int(buf[w.pos+t]>>1&1)*2 - 1
			if w.depth == 0 {
				end = w.pos + t + 1
				break
			}
			brk &= brk - 1
		}
		if end == 0 && w.depth == 1 {
			top |= col
		}
		for ; top != 0; top &= top - 1 {
			c := bits.TrailingZeros64(top)
			p := w.pos + c
			if buf[p-1] != '"' {
				return splitWalkOdd
			}
			o := w.lastOpen
			if m := oq & (uint64(1)<<c - 1); m != 0 {
				o = w.pos + 63 - bits.LeadingZeros64(m)
			}
			if o < 0 {
				return splitWalkOdd
			}
			mem[w.nk] = int32(o - w.start)
			w.nk++
			if o+9 > len(buf) {
				continue // shorter than both keys
			}
			if k := binary.LittleEndian.Uint64(buf[o+1:]); k == splitReadOnlyKey && p == o+10 || k == splitEventNamKey && p == o+11 && buf[o+9] == 'e' {
				if w.nspecial == len(w.special) {
					return splitWalkOdd
				}
				w.special[w.nspecial] = o
				w.nspecial++
			}
		}
		if end != 0 {
			return end
		}
		if oq != 0 {
			w.lastOpen = w.pos + 63 - bits.LeadingZeros64(oq)
		}
		w.pos += 64
	}
	return splitWalkMore
}

// splitBlocksGeneric is the kernel in plain Go, for reference and tests.
// For each 64-byte block of src (len(src) is a multiple of 64) it writes
// four masks to out, bit i standing for the block's byte i:
//
//   - the brackets outside strings,
//   - the colons outside strings,
//   - the opening quotes of strings,
//   - the backslashes outside strings.
//
// A backslash escapes the byte after it (an odd run of backslashes escapes
// the byte after the run); a quote not escaped opens or closes a string.
func splitBlocksGeneric(src []byte, out []uint64, st *splitState) {
	for k := 0; k+64 <= len(src); k += 64 {
		var quote, bs, col, brk uint64
		for i, c := range src[k : k+64] {
			bit := uint64(1) << i
			switch c {
			case '"':
				quote |= bit
			case '\\':
				bs |= bit
			case ':':
				col |= bit
			case '{', '}', '[', ']':
				brk |= bit
			}
		}
		quote &^= splitEscaped(bs, &st.escaped)
		in := splitPrefixXor(quote) ^ st.inString // from an opening quote to its closing one
		st.inString = uint64(int64(in) >> 63)
		out[k/64*4] = brk &^ in
		out[k/64*4+1] = col &^ in
		out[k/64*4+2] = quote & in
		out[k/64*4+3] = bs &^ in
	}
}

// splitEscaped returns the bytes of a block escaped by a backslash, given
// its backslashes; *carry is 1 when the block's first byte is escaped by
// the block before and is updated for the next block.
func splitEscaped(bs uint64, carry *uint64) uint64 {
	const odd = 0xaaaaaaaaaaaaaaaa // bits at odd positions
	prev := *carry
	bs &^= prev               // an escaped backslash escapes nothing
	starts := bs &^ (bs << 1) // first backslash of each run
	oddStarts := starts & odd
	evenStarts := starts &^ odd
	// Adding a run's first bit to the run clears it and sets the bit
	// after it; the run has odd length when that bit's position has the
	// other parity from the run's start.
	afterEven := (bs + evenStarts) &^ bs
	afterOdd, c := bits.Add64(bs, oddStarts, 0)
	afterOdd &^= bs
	*carry = c // an odd run from an odd position to the block's end
	return afterEven&odd | afterOdd&^odd | prev
}

// splitPrefixXor sets bit i of the result to the xor of bits 0..i of x.
func splitPrefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}
