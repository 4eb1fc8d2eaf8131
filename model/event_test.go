package model

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEventUndecodedRequest(t *testing.T) {
	ev := Event{ID: "e1", RequestJSON: json.RawMessage(`{"groupId":"sg-1","fromPort":22}`)}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var back Event
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back.Request["groupId"] != "sg-1" || back.Request["fromPort"] != float64(22) {
		t.Fatalf("request lost in JSON: %s", out)
	}
	m := ev.Params()
	if m["groupId"] != "sg-1" || ev.Request == nil || ev.RequestJSON != nil {
		t.Fatalf("Params did not decode once: %v / %v", m, ev)
	}

	// A decoded Request wins; invalid bytes are left out rather than
	// failing the whole document.
	both := Event{ID: "e2", Request: map[string]any{"a": "b"}, RequestJSON: json.RawMessage(`{"a":"c"}`)}
	if out, _ := json.Marshal(both); !json.Valid(out) || !strings.Contains(string(out), `"request":{"a":"b"}`) {
		t.Fatalf("decoded request not kept: %s", out)
	}
	bad := Event{ID: "e3", RequestJSON: json.RawMessage(`{"a":`)}
	out, err = json.Marshal(bad)
	if err != nil || strings.Contains(string(out), `"request"`) {
		t.Fatalf("invalid request bytes: %s, %v", out, err)
	}
	if bad.Params() != nil {
		t.Fatal("invalid bytes decode to nil")
	}
	if (&Event{}).Params() != nil {
		t.Fatal("no request is nil")
	}
}
