package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/collectors/snapshot"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// readEvalInputs reads the subjects of `policy eval --input FILE`. kind is
// resource, drift, event, plan or "" (detect): a `terraform show -json`
// plan, a CloudTrail record (bare, in {"Records": [...]} or an EventBridge
// envelope), an event in driftwarden's form, a drift, a resource in
// driftwarden's form (has native_id) or snapshot lines.
func readEvalInputs(ctx context.Context, path, kind string) ([]evaluator.Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	data, err := readAllDecoded(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("reading input %s: %w", path, err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	docErr := dec.Decode(&doc)
	if docErr == nil && kind == "" {
		kind = detectKind(doc)
	}
	switch kind {
	case "plan":
		p, err := evaluator.ReadPlan(bytes.NewReader(data), path)
		if err != nil {
			return nil, err
		}
		p.Stack = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		return []evaluator.Input{{Plan: &p}}, nil
	case "event":
		if docErr != nil {
			return nil, fmt.Errorf("reading input %s: %w", path, docErr)
		}
		evs, err := eventsOf(doc)
		if err != nil {
			return nil, fmt.Errorf("reading input %s: %w", path, err)
		}
		out := make([]evaluator.Input, len(evs))
		for i := range evs {
			out[i] = evaluator.Input{Event: &evs[i]}
		}
		return out, nil
	case "drift":
		if docErr != nil {
			return nil, fmt.Errorf("reading input %s: %w", path, docErr)
		}
		var d model.Drift
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("reading input %s as a drift: %w", path, err)
		}
		if d.Resource.ID == "" {
			d.Resource.ID = model.CanonicalID(d.Resource.Provider, d.Resource.Type, d.Resource.NativeID)
		}
		return []evaluator.Input{{Drift: &d}}, nil
	case "resource-model":
		var r model.Resource
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("reading input %s as a resource: %w", path, err)
		}
		if r.ID == "" {
			r.ID = model.CanonicalID(r.Provider, r.Type, r.NativeID)
		}
		return []evaluator.Input{{Resource: &r}}, nil
	case "resource", "":
		if docErr == nil {
			if _, ok := doc["native_id"]; ok {
				return readEvalInputs(ctx, path, "resource-model")
			}
		}
		// Snapshot lines: the snapshot source's own reader.
		src := snapshot.NewSource("policy-eval", snapshot.Config{Paths: []string{path}})
		inv, errs := src.Inventory(ctx)
		if len(errs) > 0 {
			return nil, fmt.Errorf("reading input %s as snapshot lines: %w", path, errors.Join(errs...))
		}
		if len(inv.Resources) == 0 {
			return nil, fmt.Errorf("reading input %s: no resource found (expected a plan, a CloudTrail record, an event, a drift, a resource or snapshot lines)", path)
		}
		out := make([]evaluator.Input, len(inv.Resources))
		for i := range inv.Resources {
			r := inv.Resources[i].Resource
			out[i] = evaluator.Input{Resource: &r}
		}
		return out, nil
	}
	return nil, fmt.Errorf("--kind %q is not one of resource, drift, event, plan", kind)
}

func readAllDecoded(f *os.File) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(fileinput.DecodedReader(f))
	return b.Bytes(), err
}

// detectKind guesses the input kind of a JSON document.
func detectKind(doc map[string]any) string {
	has := func(k string) bool { _, ok := doc[k]; return ok }
	switch {
	case has("format_version") && (has("resource_changes") || has("planned_values")):
		return "plan"
	case has("Records"), has("eventVersion"), has("eventName") && has("eventSource"), has("detail-type") && has("detail"):
		return "event"
	case doc["kind"] == "event" && has("event"):
		return "event"
	case has("action") && has("principal"):
		return "event"
	case has("resource") && has("kind"):
		return "drift"
	case has("native_id"):
		return "resource-model"
	}
	return "resource"
}

// eventsOf converts a CloudTrail record (or a Records file, or an
// EventBridge envelope) or an event in driftwarden's form.
func eventsOf(doc map[string]any) ([]model.Event, error) {
	if recs, ok := doc["Records"].([]any); ok {
		var out []model.Event
		for i, r := range recs {
			m, ok := r.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("Records[%d] is not an object", i)
			}
			out = append(out, cloudTrailEvent(m))
		}
		return out, nil
	}
	if d, ok := doc["detail"].(map[string]any); ok && doc["detail-type"] != nil {
		return []model.Event{cloudTrailEvent(d)}, nil
	}
	if doc["eventName"] != nil || doc["eventVersion"] != nil {
		return []model.Event{cloudTrailEvent(doc)}, nil
	}
	if ev, ok := doc["event"].(map[string]any); ok && doc["kind"] == "event" {
		doc = ev
	}
	bs, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var ev model.Event
	if err := json.Unmarshal(bs, &ev); err != nil {
		return nil, fmt.Errorf("reading an event: %w", err)
	}
	return []model.Event{ev}, nil
}

// cloudTrailEvent maps the CloudTrail record fields policies read; the
// collector does the full normalisation (identities, resources, redaction)
// in the daemon.
func cloudTrailEvent(r map[string]any) model.Event {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	ui, _ := r["userIdentity"].(map[string]any)
	if ui == nil {
		ui = map[string]any{}
	}
	service := strings.TrimSuffix(str(r, "eventSource"), ".amazonaws.com")
	ev := model.Event{
		ID:        str(r, "eventID"),
		Source:    "cloudtrail",
		Service:   service,
		Action:    service + ":" + str(r, "eventName"),
		SourceIP:  str(r, "sourceIPAddress"),
		UserAgent: str(r, "userAgent"),
		ErrorCode: str(r, "errorCode"),
		Account:   str(r, "recipientAccountId"),
		Region:    str(r, "awsRegion"),
		Principal: model.Principal{ID: str(ui, "arn"), Type: str(ui, "type")},
	}
	if ev.Principal.ID == "" {
		ev.Principal.ID = str(ui, "principalId")
	}
	if t, err := time.Parse(time.RFC3339, str(r, "eventTime")); err == nil {
		ev.Time = t
	}
	if ro, ok := r["readOnly"].(bool); ok {
		ev.ReadOnly = ro
	}
	if req, ok := r["requestParameters"].(map[string]any); ok {
		ev.Request = req
	}
	if rs, ok := r["resources"].([]any); ok {
		for _, x := range rs {
			if m, ok := x.(map[string]any); ok && str(m, "ARN") != "" {
				ev.Resources = append(ev.Resources, str(m, "ARN"))
			}
		}
	}
	if sc, ok := ui["sessionContext"].(map[string]any); ok {
		if iss, ok := sc["sessionIssuer"].(map[string]any); ok {
			ev.Principal.Issuer = str(iss, "arn")
		}
	}
	return ev
}
