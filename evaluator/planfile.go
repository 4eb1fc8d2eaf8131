package evaluator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// PlanInput is a Terraform plan as plan policies see it:
//
//	{"kind": "plan", "plan": {stack, branch, tracked_branch, format_version,
//	  resource_changes: [{address, type, name, provider_name, mode, actions, before, after}]}}
//
// Stack names the plan's subject (violations carry it as Subject); Branch
// is the branch the plan was made from and TrackedBranch the branch that
// deploys (policies warn rather than deny there, for instance).
type PlanInput struct {
	Stack           string           `json:"stack"`
	Branch          string           `json:"branch"`
	TrackedBranch   string           `json:"tracked_branch"`
	FormatVersion   string           `json:"format_version"`
	ResourceChanges []ResourceChange `json:"resource_changes"`
}

// ResourceChange is one entry of a plan's resource_changes. Before and
// After are the values in Terraform form with every value the plan marks
// sensitive (before_sensitive, after_sensitive) replaced by model.Redacted.
type ResourceChange struct {
	Address      string   `json:"address"`
	Type         string   `json:"type"`
	Name         string   `json:"name"`
	ProviderName string   `json:"provider_name"`
	Mode         string   `json:"mode"`
	Actions      []string `json:"actions"`
	Before       any      `json:"before"`
	After        any      `json:"after"`
}

// planJSON is the part of `terraform show -json` output read here.
type planJSON struct {
	FormatVersion    *string           `json:"format_version"`
	ResourceChanges  []json.RawMessage `json:"resource_changes"`
	PlannedValues    json.RawMessage   `json:"planned_values"`
	TerraformVersion string            `json:"terraform_version"`
	Values           json.RawMessage   `json:"values"`
}

type changeJSON struct {
	Address      string `json:"address"`
	Type         string `json:"type"`
	Name         string `json:"name"`
	ProviderName string `json:"provider_name"`
	Mode         string `json:"mode"`
	Change       *struct {
		Actions         []string `json:"actions"`
		Before          any      `json:"before"`
		After           any      `json:"after"`
		BeforeSensitive any      `json:"before_sensitive"`
		AfterSensitive  any      `json:"after_sensitive"`
	} `json:"change"`
}

// ReadPlanFile reads a `terraform show -json` plan (UTF-8, or UTF-16 with a
// byte order mark). Errors name the file and, for bad JSON, the line.
func ReadPlanFile(path string) (PlanInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return PlanInput{}, fmt.Errorf("reading plan: %w", err)
	}
	defer f.Close()
	p, err := ReadPlan(f, path)
	if err != nil {
		return PlanInput{}, err
	}
	return p, nil
}

// ReadPlan reads a `terraform show -json` plan from r; name labels errors.
// It keeps the plan's resource_changes (not resource_drift: those are the
// refresh, not the change being reviewed) and redacts sensitive values.
func ReadPlan(r io.Reader, name string) (PlanInput, error) {
	data, err := io.ReadAll(fileinput.DecodedReader(r))
	if err != nil {
		return PlanInput{}, fmt.Errorf("reading plan %s: %w", name, err)
	}
	var doc planJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return PlanInput{}, fmt.Errorf("reading plan %s: %w", name, jsonPlace(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		return PlanInput{}, fmt.Errorf("reading plan %s: line %d: unexpected data after the plan document", name, line)
	}
	if doc.FormatVersion == nil {
		return PlanInput{}, fmt.Errorf("reading plan %s: no format_version: not the output of `terraform show -json PLANFILE`", name)
	}
	if doc.ResourceChanges == nil && doc.PlannedValues == nil && doc.Values != nil {
		return PlanInput{}, fmt.Errorf("reading plan %s: this is a state (`terraform show -json` without a plan file), not a plan", name)
	}
	major, _, _ := strings.Cut(*doc.FormatVersion, ".")
	if major != "0" && major != "1" {
		return PlanInput{}, fmt.Errorf("reading plan %s: format_version %q is not supported (1.x)", name, *doc.FormatVersion)
	}
	out := PlanInput{FormatVersion: *doc.FormatVersion, ResourceChanges: make([]ResourceChange, 0, len(doc.ResourceChanges))}
	for i, raw := range doc.ResourceChanges {
		var c changeJSON
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&c); err != nil {
			return PlanInput{}, fmt.Errorf("reading plan %s: resource_changes[%d]: %w", name, i, err)
		}
		if c.Address == "" || c.Change == nil {
			return PlanInput{}, fmt.Errorf("reading plan %s: resource_changes[%d] has no address or no change", name, i)
		}
		actions := c.Change.Actions
		if actions == nil {
			actions = []string{}
		}
		out.ResourceChanges = append(out.ResourceChanges, ResourceChange{
			Address:      c.Address,
			Type:         c.Type,
			Name:         c.Name,
			ProviderName: c.ProviderName,
			Mode:         c.Mode,
			Actions:      actions,
			Before:       redactTree(c.Change.Before, c.Change.BeforeSensitive),
			After:        redactTree(c.Change.After, c.Change.AfterSensitive),
		})
	}
	return out, nil
}

// redactTree replaces the parts of v that the sensitivity tree marks true
// (Terraform's before_sensitive/after_sensitive: true for a sensitive
// value, objects and arrays mirroring the value) with model.Redacted.
func redactTree(v, tree any) any {
	switch t := tree.(type) {
	case bool:
		if t && v != nil {
			return model.Redacted
		}
		return v
	case map[string]any:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = redactTree(x, t[k])
		}
		return out
	case []any:
		a, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(a))
		for i, x := range a {
			var sub any
			if i < len(t) {
				sub = t[i]
			}
			out[i] = redactTree(x, sub)
		}
		return out
	}
	return v
}

// jsonPlace adds line and column to a JSON syntax or type error.
func jsonPlace(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Errorf("line %d, column %s: %w", line, strconv.FormatInt(col, 10), err)
}
