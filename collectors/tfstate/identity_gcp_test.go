package tfstate

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/identity"
)

// The streaming decoder extracts only some attributes: every attribute the
// GCP identity table reads must be among them, or a google resource would
// silently lose its canonical id.
func TestIDKeysCoverTheGCPTable(t *testing.T) {
	have := map[string]bool{}
	for _, k := range idKeyNames {
		have[k] = true
	}
	need := map[string]bool{"id": true, "project": true, "role": true, "member": true}
	for _, r := range identity.GCPTypes {
		for _, a := range r.Attrs {
			need[a] = true
		}
		if r.ParentAttr != "" {
			need[r.ParentAttr] = true
		}
	}
	for a := range need {
		require.True(t, have[a], "attribute %q of the GCP identity table is not extracted", a)
		require.Equal(t, a, idKeyNames[idKeyIndex([]byte(a))])
	}
}
