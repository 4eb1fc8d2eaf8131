// Package relist keeps the resume position of sources that list files by
// name (CloudTrail log files, GCP log sink exports): a low-water mark plus
// the names already read after it, so that a file delivered late, whose
// name sorts before the newest one read, is still read exactly once while
// it falls within a window.
package relist

import "sort"

// Advance moves the low-water mark low to the start of the window ending at
// the newest name read (windowStart of it), never past held (a name not read
// yet, "" for none), forgets the names read up to the new mark and keeps at
// most max of them (dropping the oldest, the mark moving up to them). It
// returns the new mark and the names read after it, sorted.
func Advance(low string, done map[string]bool, held string, windowStart func(newest string) string, max int) (string, []string) {
	names := make([]string, 0, len(done))
	newest := low
	for n := range done {
		if n > low {
			names = append(names, n)
			if n > newest {
				newest = n
			}
		}
	}
	sort.Strings(names)
	next := low
	if newest != "" {
		if w := windowStart(newest); w > next {
			next = w
		}
	}
	if held != "" && next >= held {
		// Everything listed before held was read this cycle, and everything
		// before held is older than the window: move up to the last name
		// read before it.
		next = low
		for _, n := range names {
			if n < held {
				next = n
			}
		}
	}
	i := sort.SearchStrings(names, next)
	for i < len(names) && names[i] <= next {
		i++
	}
	names = names[i:]
	if over := len(names) - max; over > 0 {
		if held != "" {
			over = min(over, sort.SearchStrings(names, held))
		}
		if over > 0 {
			next = names[over-1]
			names = names[over:]
		}
	}
	return next, names
}
