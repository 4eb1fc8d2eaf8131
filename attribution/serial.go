package attribution

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/driftwarden/driftwarden/collectors"
)

// serialObservation is one state serial and when cycles saw it.
type serialObservation struct {
	Serial    int64     `json:"serial"`
	Lineage   string    `json:"lineage,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// serialHistory is a stack's recent serials, oldest first.
type serialHistory struct {
	Observations []serialObservation `json:"observations"`
}

const maxObservations = 50

func loadHistory(ctx context.Context, cp collectors.CheckpointReader, stack string) (*serialHistory, error) {
	h := &serialHistory{}
	if cp == nil {
		return h, nil
	}
	v, err := cp.Checkpoint(ctx, CheckpointSource, historyKey(stack))
	if err != nil {
		if isNotFound(err) {
			return h, nil
		}
		return h, fmt.Errorf("reading serial history of stack %s: %w", stack, err)
	}
	if err := json.Unmarshal([]byte(v), h); err != nil {
		return &serialHistory{}, fmt.Errorf("decoding serial history of stack %s (starting afresh): %w", stack, err)
	}
	return h, nil
}

// observe records that the stack had serial s at t.
func (h *serialHistory) observe(s int64, lineage string, t time.Time) {
	if n := len(h.Observations); n > 0 {
		last := &h.Observations[n-1]
		if last.Serial == s && last.Lineage == lineage {
			if t.After(last.LastSeen) {
				last.LastSeen = t
			}
			return
		}
	}
	h.Observations = append(h.Observations, serialObservation{Serial: s, Lineage: lineage, FirstSeen: t, LastSeen: t})
	if len(h.Observations) > maxObservations {
		h.Observations = h.Observations[len(h.Observations)-maxObservations:]
	}
}

// before reports whether t precedes every observation: nothing is known of
// the stack at t.
func (h *serialHistory) before(t time.Time) bool {
	return len(h.Observations) == 0 || t.Before(h.Observations[0].FirstSeen)
}

// duringApply reports whether t falls in a window in which an apply wrote a
// new serial: after the last sighting of the previous serial (minus slack)
// and no later than the first sighting of the new one.
func (h *serialHistory) duringApply(t time.Time, slack time.Duration) bool {
	for i := 1; i < len(h.Observations); i++ {
		prev, next := h.Observations[i-1], h.Observations[i]
		if t.After(prev.LastSeen.Add(-slack)) && !t.After(next.FirstSeen) {
			return true
		}
	}
	return false
}

// appliedAfter reports whether a new serial appeared after t.
func (h *serialHistory) appliedAfter(t time.Time) bool {
	for i := 1; i < len(h.Observations); i++ {
		if h.Observations[i].FirstSeen.After(t) {
			return true
		}
	}
	return false
}
