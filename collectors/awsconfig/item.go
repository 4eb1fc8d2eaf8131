package awsconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// Configuration item statuses.
const (
	StatusOK                         = "OK"
	StatusResourceDiscovered         = "ResourceDiscovered"
	StatusResourceNotRecorded        = "ResourceNotRecorded"
	StatusResourceDeleted            = "ResourceDeleted"
	StatusResourceDeletedNotRecorded = "ResourceDeletedNotRecorded"
)

// Item is one AWS Config configuration item, normalised from whichever
// dialect carried it (API and rule events: accountId/arn; snapshot and
// history files: awsAccountId/ARN), with configuration and
// supplementaryConfiguration decoded from JSON strings where they were
// strings.
type Item struct {
	Version       string
	AccountID     string
	CaptureTime   time.Time
	Status        string
	StateID       string
	ARN           string
	ResourceType  string
	ResourceID    string
	ResourceName  string
	Region        string
	Tags          map[string]string
	RelatedEvents []string
	// Configuration is the resource's own description (camelCase, as the
	// service's Describe call returns it); nil when the item has none.
	Configuration map[string]any
	// Supplementary holds supplementaryConfiguration with every value that
	// was a JSON document in a string decoded (repeatedly: some values are
	// stringified twice).
	Supplementary map[string]any
}

// Deleted reports whether the item records the resource's deletion.
func (it *Item) Deleted() bool {
	return it.Status == StatusResourceDeleted || it.Status == StatusResourceDeletedNotRecorded
}

// NotRecorded reports whether Config stopped recording the resource's type:
// the item says nothing about the resource's current state.
func (it *Item) NotRecorded() bool { return it.Status == StatusResourceNotRecorded }

// parseItem normalises one configuration item decoded with UseNumber.
// defaultType is used when the item has no resourceType (advanced query
// results selecting only some fields of one type). An item that names its
// resource but whose configuration cannot be read comes back with the
// error and a nil Configuration: the resource still counts for presence.
func parseItem(m map[string]any, defaultType string) (*Item, error) {
	it := &Item{
		Version:      firstString(m, "configurationItemVersion", "version"),
		AccountID:    firstString(m, "accountId", "awsAccountId", "AccountId"),
		Status:       firstString(m, "configurationItemStatus"),
		StateID:      firstString(m, "configurationStateId"),
		ARN:          firstString(m, "arn", "ARN"),
		ResourceType: firstString(m, "resourceType"),
		ResourceID:   firstString(m, "resourceId"),
		ResourceName: firstString(m, "resourceName"),
		Region:       firstString(m, "awsRegion"),
	}
	if it.ResourceType == "" {
		it.ResourceType = defaultType
	}
	if it.ResourceType == "" {
		return nil, errors.New("configuration item has no resourceType")
	}
	if it.ResourceID == "" && it.ARN == "" {
		return nil, fmt.Errorf("configuration item of type %s has neither resourceId nor arn", it.ResourceType)
	}
	if it.ResourceID == "" {
		it.ResourceID = it.ARN
	}
	if it.Status == "" {
		it.Status = StatusOK
	}
	it.CaptureTime = parseTime(m["configurationItemCaptureTime"])
	if ev, ok := m["relatedEvents"].([]any); ok {
		for _, e := range ev {
			if s, ok := e.(string); ok && s != "" {
				it.RelatedEvents = append(it.RelatedEvents, s)
			}
		}
	}
	var confErr error
	switch c := m["configuration"].(type) {
	case map[string]any:
		it.Configuration = c
	case string:
		if strings.TrimSpace(c) != "" && c != "null" {
			v, err := decodeJSONString(c)
			if err != nil {
				confErr = fmt.Errorf("configuration of %s %s is a string that is not a JSON document (kept for presence only): %w", it.ResourceType, it.ResourceID, err)
			} else if mv, ok := v.(map[string]any); ok {
				it.Configuration = mv
			} else {
				confErr = fmt.Errorf("configuration of %s %s is not a JSON object (kept for presence only)", it.ResourceType, it.ResourceID)
			}
		}
	case nil:
	default:
		confErr = fmt.Errorf("configuration of %s %s is %s, not an object (kept for presence only)", it.ResourceType, it.ResourceID, fileinput.JSONKind(c))
	}
	if sc, ok := m["supplementaryConfiguration"].(map[string]any); ok {
		it.Supplementary = make(map[string]any, len(sc))
		for k, v := range sc {
			it.Supplementary[k] = unstring(v)
		}
	} else if s, ok := m["supplementaryConfiguration"].(string); ok && strings.TrimSpace(s) != "" {
		if v, err := decodeJSONString(s); err == nil {
			if mv, ok := v.(map[string]any); ok {
				it.Supplementary = make(map[string]any, len(mv))
				for k, v := range mv {
					it.Supplementary[k] = unstring(v)
				}
			}
		}
	}
	it.Tags = tagMap(m["tags"])
	if len(it.Tags) == 0 && it.Configuration != nil {
		// IAM and others carry tags only inside configuration, as a list.
		it.Tags = tagMap(it.Configuration["tags"])
		if len(it.Tags) == 0 {
			it.Tags = tagMap(it.Configuration["Tags"])
		}
	}
	if len(it.Tags) == 0 && it.Supplementary != nil {
		it.Tags = tagMap(it.Supplementary["Tags"])
	}
	return it, confErr
}

// tagMap reads tags as a map, a list of {key,value} (any capitalisation,
// also tagKey/tagValue), or S3's {tagSets:[{tags:{...}}]}.
func tagMap(v any) map[string]string {
	switch t := v.(type) {
	case map[string]any:
		if sets, ok := t["tagSets"].([]any); ok {
			out := map[string]string{}
			for _, s := range sets {
				if sm, ok := s.(map[string]any); ok {
					for k, v := range tagMap(sm["tags"]) {
						out[k] = v
					}
				}
			}
			return out
		}
		out := make(map[string]string, len(t))
		for k, v := range t {
			out[k] = scalarString(v)
		}
		return out
	case []any:
		out := make(map[string]string, len(t))
		for _, e := range t {
			em, ok := e.(map[string]any)
			if !ok {
				continue
			}
			k := firstString(em, "key", "Key", "tagKey", "TagKey")
			if k == "" {
				continue
			}
			out[k] = firstString(em, "value", "Value", "tagValue", "TagValue")
		}
		return out
	}
	return nil
}

// unstring decodes a value that is a JSON document held in a string,
// repeatedly (AccessControlList is sometimes stringified twice).
func unstring(v any) any {
	for i := 0; i < 3; i++ {
		s, ok := v.(string)
		if !ok {
			return v
		}
		t := strings.TrimSpace(s)
		if t == "" || (t[0] != '{' && t[0] != '[' && t[0] != '"') {
			return v
		}
		d, err := decodeJSONString(t)
		if err != nil {
			return v
		}
		v = d
	}
	return v
}

func decodeJSONString(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON document")
	}
	return v, nil
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := scalarString(m[k]); s != "" {
			return s
		}
	}
	return ""
}

// scalarString renders a scalar as a string ("" for null and non-scalars).
func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

// parseTime reads RFC 3339 text, epoch seconds, or the placebo
// {"__class__":"datetime",...} object.
func parseTime(v any) time.Time {
	switch t := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05"} {
			if tm, err := time.Parse(layout, t); err == nil {
				return tm.UTC()
			}
		}
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return time.UnixMilli(int64(math.Round(f * 1000))).UTC()
		}
	case map[string]any:
		if t["__class__"] == "datetime" {
			n := func(k string) int { i, _ := strconv.Atoi(scalarString(t[k])); return i }
			return time.Date(n("year"), time.Month(n("month")), n("day"), n("hour"), n("minute"), n("second"), n("microsecond")*1000, time.UTC)
		}
	}
	return time.Time{}
}

// newer reports whether a is a later view of the resource than b.
func newer(a, b *Item) bool {
	if !a.CaptureTime.Equal(b.CaptureTime) {
		return a.CaptureTime.After(b.CaptureTime)
	}
	ai, aerr := strconv.ParseInt(a.StateID, 10, 64)
	bi, berr := strconv.ParseInt(b.StateID, 10, 64)
	if aerr == nil && berr == nil {
		return ai > bi
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
