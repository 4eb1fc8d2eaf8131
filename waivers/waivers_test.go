package waivers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestMatch(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f := model.Finding{Fingerprint: "fp1", Kind: model.FindingViolation, PolicyID: "DW-AWS-S3-001", Stack: "storage", Team: "data",
		ResourceID: "arn:aws:s3:::legacy-logs", Address: "module.logs.aws_s3_bucket.this"}
	later := now.Add(time.Hour)
	tests := []struct {
		name string
		w    Waiver
		want bool
	}{
		{"policy", Waiver{PolicyID: "DW-AWS-S3-001", Expires: later}, true},
		{"policy glob", Waiver{PolicyID: "DW-AWS-*", Expires: later}, true},
		{"other policy", Waiver{PolicyID: "DW-AWS-EC2-001", Expires: later}, false},
		{"resource id glob across slashes and colons", Waiver{Resource: "arn:aws:s3:::legacy-*", Expires: later}, true},
		{"resource by address", Waiver{Resource: "module.logs.*", Expires: later}, true},
		{"stack and team", Waiver{Stack: "stor*", Team: "data", Expires: later}, true},
		{"wrong team", Waiver{Stack: "storage", Team: "web", Expires: later}, false},
		{"kind", Waiver{Kind: "violation", Expires: later}, true},
		{"wrong kind", Waiver{Kind: "changed", Expires: later}, false},
		{"fingerprint (snooze)", Waiver{Fingerprint: "fp1", Expires: later}, true},
		{"expired", Waiver{PolicyID: "DW-AWS-S3-001", Expires: now}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.w.Matches(f, now))
			s := New([]Waiver{tt.w})
			_, ok := s.Match(f, now)
			require.Equal(t, tt.want, ok)
			require.Equal(t, tt.want, s.Func(now)(f))
		})
	}
}

func TestSetForReports(t *testing.T) {
	exp := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	s := New([]Waiver{{PolicyID: "P", Resource: "r*", Reason: "why", Approver: "who", Expires: exp}})
	ws := s.Waivers()
	require.Len(t, ws, 1)
	require.Equal(t, "policy=P resource=r*", ws[0].Selector)
	require.Equal(t, "why", ws[0].Reason)
	require.Equal(t, "who", ws[0].Approver)
	require.Equal(t, exp, ws[0].Expires)
	// An empty set still manages waivers (so removed waivers reopen findings).
	require.NotNil(t, New(nil).Func(exp))
	require.False(t, New(nil).Func(exp)(model.Finding{}))
}
