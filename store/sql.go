package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

// Timestamps are stored as Unix nanoseconds, UTC.

func toTS(t time.Time) int64 { return t.UnixNano() }

func toNullTS(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromTS(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullTS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromTS(n.Int64)
	return &t
}

// jsonText encodes v for a JSON column; empty means the zero document.
func jsonText(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if s := string(b); s != "null" {
		return s, nil
	}
	return empty, nil
}

// findingCols are the columns scanFinding reads, in order.
const findingCols = `fingerprint, kind, state, severity, policy_id, title, message, controls,
	remediation, resource_id, resource_type, address, stack, account, region, team, scope,
	first_seen, last_seen, resolved_at, evidence`

type scanner interface{ Scan(dest ...any) error }

func scanFinding(sc scanner) (model.Finding, error) {
	var (
		f                  model.Finding
		controls, evidence string
		first, last        int64
		resolved           sql.NullInt64
	)
	err := sc.Scan(&f.Fingerprint, &f.Kind, &f.State, &f.Severity, &f.PolicyID, &f.Title, &f.Message, &controls,
		&f.Remediation, &f.ResourceID, &f.ResourceType, &f.Address, &f.Stack, &f.Account, &f.Region, &f.Team, &f.Scope,
		&first, &last, &resolved, &evidence)
	if err != nil {
		return f, err
	}
	f.FirstSeen, f.LastSeen, f.ResolvedAt = fromTS(first), fromTS(last), fromNullTS(resolved)
	if err := json.Unmarshal([]byte(controls), &f.Controls); err != nil {
		return f, fmt.Errorf("decoding controls of finding %s: %w", f.Fingerprint, err)
	}
	if len(f.Controls) == 0 {
		f.Controls = nil
	}
	if err := json.Unmarshal([]byte(evidence), &f.Evidence); err != nil {
		return f, fmt.Errorf("decoding evidence of finding %s: %w", f.Fingerprint, err)
	}
	return f, nil
}
