package store

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/driftwarden/driftwarden/model"
)

// Audited is what one cycle audited, kept small: how many resources of
// each type were evaluated, and the stacks, AWS accounts and GCP projects
// they came from. Reports use it to tell "checked and compliant" (pass)
// from "nothing in scope" (not_applicable), and to list coverage.
//
// It is stored as JSON in cycles.audited (migration 3). Cycles recorded
// before that migration, or by a caller that left CycleRecord.Audited nil,
// read back with Cycle.Audited nil: what they audited is unknown.
type Audited struct {
	// Types maps each resource type (aws_iam_user, or the cloud inventory
	// type when no Terraform type is known) to the number of resources of
	// it evaluated in the cycle.
	Types    map[string]int `json:"types"`
	Stacks   []string       `json:"stacks"`
	Accounts []string       `json:"accounts"`
	Projects []string       `json:"projects"`
}

// NewAudited summarises the resources a cycle evaluated and the stacks it
// read. Accounts are told from projects by provider (aws, google), else
// as reports do: 12 digits is an AWS account, anything else a GCP project.
func NewAudited(resources []model.Resource, stacks []string) *Audited {
	a := &Audited{Types: map[string]int{}, Stacks: []string{}, Accounts: []string{}, Projects: []string{}}
	for _, s := range stacks {
		addSorted(&a.Stacks, s)
	}
	for i := range resources {
		r := &resources[i]
		if r.Type != "" {
			a.Types[r.Type]++
		}
		if r.Account == "" {
			continue
		}
		switch {
		case r.Provider == "aws", r.Provider != "google" && isAWSAccount(r.Account):
			addSorted(&a.Accounts, r.Account)
		default:
			addSorted(&a.Projects, r.Account)
		}
	}
	return a
}

// auditedText encodes a cycle's Audited for the audited column: "{}" (unknown) when nil.
func auditedText(a *Audited) (string, error) {
	if a == nil {
		return "{}", nil
	}
	c := *a
	if c.Types == nil {
		c.Types = map[string]int{}
	}
	for _, l := range []*[]string{&c.Stacks, &c.Accounts, &c.Projects} {
		if *l == nil {
			*l = []string{}
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// parseAudited decodes the audited column; a document without "types"
// (the '{}' default of rows older than migration 3) is unknown: nil.
func parseAudited(id int64, text string) (*Audited, error) {
	if text == "" || text == "{}" {
		return nil, nil
	}
	var a Audited
	if err := json.Unmarshal([]byte(text), &a); err != nil {
		return nil, fmt.Errorf("decoding audited scope of cycle %d: %w", id, err)
	}
	if a.Types == nil {
		return nil, nil
	}
	return &a, nil
}

func isAWSAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func addSorted(list *[]string, v string) {
	if v == "" {
		return
	}
	if i, found := slices.BinarySearch(*list, v); !found {
		*list = slices.Insert(*list, i, v)
	}
}
