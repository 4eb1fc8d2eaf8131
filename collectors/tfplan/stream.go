package tfplan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// uiMessage is one line of `terraform plan -json` (the machine-readable UI).
type uiMessage struct {
	Level      string          `json:"@level"`
	Message    string          `json:"@message"`
	Type       string          `json:"type"`
	UI         string          `json:"ui"`
	Change     json.RawMessage `json:"change"`
	Diagnostic *uiDiagnostic   `json:"diagnostic"`
}

type uiDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Range    *struct {
		Filename string `json:"filename"`
		Start    struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
}

type uiChange struct {
	Resource struct {
		Addr            string `json:"addr"`
		Module          string `json:"module"`
		Resource        string `json:"resource"`
		ImpliedProvider string `json:"implied_provider"`
		ResourceType    string `json:"resource_type"`
	} `json:"resource"`
	Action string `json:"action"`
}

// readStream reads a machine-readable UI stream. A bad line costs only that
// line (its error is in entryErrs); the returned error is fatal for the file.
func readStream(r io.Reader, stack, source string) (planResult, error) {
	var (
		res      planResult
		messages int
		lr       = fileinput.NewLineReader(r, maxLineBytes)
	)
	for {
		line, tooLong, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("reading line %d: %w", lr.Line()+1, err)
		}
		place := fmt.Sprintf("line %d", lr.Line())
		if tooLong {
			res.entryErrs = append(res.entryErrs, placed(place, fmt.Errorf("line longer than %d bytes, skipped", maxLineBytes)))
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var m uiMessage
		if err := json.Unmarshal(line, &m); err != nil {
			res.entryErrs = append(res.entryErrs, placed(place, fmt.Errorf("decoding UI message: %w", err)))
			continue
		}
		if m.Type == "" {
			res.entryErrs = append(res.entryErrs, placed(place, errors.New("UI message has no type")))
			continue
		}
		messages++
		switch m.Type {
		case "version":
			if m.UI != "" {
				if major, _, ok := parseMajorMinor(m.UI); !ok || major != 1 {
					return res, placed(place, fmt.Errorf("machine-readable UI version %q is not supported (this reader understands 1.x): %w", m.UI, ErrUnsupportedVersion))
				}
			}
		case "diagnostic":
			if m.Diagnostic != nil && m.Diagnostic.Severity == "error" {
				res.entryErrs = append(res.entryErrs, placed(place, fmt.Errorf("the plan reported an error, so its drift list may be incomplete: %s", diagnosticText(m.Diagnostic))))
			}
		case "resource_drift":
			live, keep, err := uiDriftToLive(m.Change, stack, source)
			if err != nil {
				res.entryErrs = append(res.entryErrs, placed(place, err))
				continue
			}
			if keep {
				res.resources = append(res.resources, live)
			}
		}
	}
	if messages == 0 {
		return res, errors.New("no Terraform UI message found: not the output of `terraform plan -json`")
	}
	return res, nil
}

func diagnosticText(d *uiDiagnostic) string {
	s := d.Summary
	if d.Range != nil && d.Range.Filename != "" {
		s += fmt.Sprintf(" (%s line %d)", d.Range.Filename, d.Range.Start.Line)
	}
	return s
}

// uiDriftToLive turns a resource_drift message into a live resource. The UI
// stream carries no attribute values, so an update yields a Partial
// resource with no attributes and no identity beyond stack and address.
func uiDriftToLive(raw json.RawMessage, stack, source string) (lr collectors.LiveResource, keep bool, err error) {
	if len(raw) == 0 {
		return lr, false, errors.New("resource_drift message has no change")
	}
	var c uiChange
	if err := json.Unmarshal(raw, &c); err != nil {
		return lr, false, fmt.Errorf("decoding resource_drift change: %w", err)
	}
	res := c.Resource
	if res.Addr == "" || res.ResourceType == "" {
		return lr, false, errors.New("resource_drift message has no change.resource.addr or resource_type")
	}
	if strings.HasPrefix(res.Resource, "data.") || (res.Resource == "" && isDataAddress(res.Addr)) {
		return lr, false, nil
	}
	switch c.Action {
	case "delete":
		lr.Gone = true
	case "update", "replace", "create":
		lr.Partial = true
	default: // noop, move, import, read, remove: nothing observed changed
		return lr, false, nil
	}
	lr.Resource = model.Identity(res.ImpliedProvider, res.ResourceType, nil)
	lr.Address = res.Addr
	lr.Stack = stack
	lr.Source = source
	return lr, true, nil
}
