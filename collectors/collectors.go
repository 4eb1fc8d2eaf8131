// Package collectors defines what every source of input produces: applied
// Terraform state (stacks) and live inventories. Each source lives in its own
// sub-package (tfstate, tfplan, snapshot, and later cloudtrail, awsconfig,
// gcpaudit, gcpasset) and turns its raw input into these types.
//
// Partial failure is normal: a source returns what it could read plus one
// *InputError per input it could not, and the cycle goes on with the rest.
package collectors

import (
	"context"
	"fmt"
	"slices"

	"github.com/driftwarden/driftwarden/model"
)

// Stack is one Terraform state: the resources it says were applied.
type Stack struct {
	// Name identifies the stack across cycles (unique across sources).
	Name string
	// Source is the configured source's name.
	Source string
	// Location is where the state was read (file path or redacted URL).
	Location         string
	Workspace        string
	Serial           int64
	Lineage          string
	TerraformVersion string
	// Resources are the managed resource instances (data sources excluded):
	// each instance's current object.
	Resources []model.Resource
	// Deposed are the deposed objects of managed instances: objects a
	// create_before_destroy replacement set aside to destroy, left in the
	// state when that destroy failed (or the apply stopped before it), and
	// sometimes without a current object when the create failed too. They
	// still exist in the cloud and Terraform still manages them (its next
	// apply destroys them): they are never unmanaged, their absence is no
	// drift, and their attributes are not compared.
	Deposed []DeposedObject
}

// DeposedObject is one deposed object of a managed resource instance.
// Resource.Address is the instance's address, which its current object (if
// any) shares; Resource.ID is computed from the object's own attributes, as
// for a current object.
type DeposedObject struct {
	model.Resource
	// Key is the deposed key the state gives the object (8 hex digits), as
	// Terraform prints it: "aws_security_group.web (deposed object 1a2b3c4d)".
	Key string
}

// StateSource yields applied state.
type StateSource interface {
	// Name is the configured source name.
	Name() string
	// States loads every stack the source knows. It returns the stacks it
	// could load and one error (an *InputError where possible) per stack or
	// file it could not; it never gives up on all because one failed.
	States(ctx context.Context) ([]Stack, []error)
}

// LiveResource is one resource as a live inventory saw it.
type LiveResource struct {
	model.Resource
	// Gone is true when the source saw the resource deleted (a refresh-only
	// plan that would delete it from state).
	Gone bool
	// Partial is true when Attributes hold only some attributes: an absent
	// key means "not observed", never "null".
	Partial bool
	// Before holds the applied attributes as the source saw them (a plan's
	// "before"), used when no state for the stack was loaded.
	Before map[string]any
	// BeforeSensitive lists sensitive attribute paths of Before.
	BeforeSensitive []string
}

// Coverage says which resources an inventory enumerates completely, so that
// absence from it means "missing" and presence outside every state means
// "unmanaged". An empty Coverage enumerates nothing (a plan only reports the
// addresses it lists).
type Coverage struct {
	// Types are the resource types enumerated completely.
	Types map[string]bool
	// Accounts and Regions restrict Types; empty means any.
	Accounts map[string]bool
	Regions  map[string]bool
	// Except are the (account, region) pairs not enumerated although their
	// account and region are in Accounts and Regions: an inventory read per
	// account and region that could not read one of them (a truncated
	// snapshot, a region without a recent one).
	Except map[AccountRegion]bool
}

// AccountRegion is one account in one region.
type AccountRegion struct{ Account, Region string }

// Covers reports whether a resource of this type, account and region would
// appear in the inventory if it existed.
func (c Coverage) Covers(typ, account, region string) bool {
	if !c.Types[typ] {
		return false
	}
	if len(c.Accounts) > 0 && account != "" && !c.Accounts[account] {
		return false
	}
	if len(c.Regions) > 0 && region != "" && !c.Regions[region] {
		return false
	}
	if len(c.Except) > 0 {
		if c.Except[AccountRegion{account, region}] {
			return false
		}
		// A resource that does not say its account (an S3 bucket's ARN)
		// may lie in any excepted pair of its region. (One without a
		// region is global: an inventory says how it covers those.)
		if account == "" {
			for p := range c.Except {
				if region == "" || p.Region == region {
					return false
				}
			}
		}
	}
	return true
}

// Inventory is one live source's view for one cycle.
type Inventory struct {
	Source    string
	Resources []LiveResource
	Coverage  Coverage
}

// InventorySource yields live resources.
type InventorySource interface {
	Name() string
	// Inventory reads the live view. Like StateSource.States it returns what
	// it could read plus one error per input it could not.
	Inventory(ctx context.Context) (Inventory, []error)
}

// InputError is a bad input: it names the source, the file or URL, and the
// place inside it (line, record, byte offset, JSON path) so that a user can
// find and fix it. It costs only that input.
type InputError struct {
	Source   string // configured source name
	Location string // file path or redacted URL
	Place    string // "line 12", "record 3", "offset 1043", "resources[4].instances[0]"
	Err      error
}

func (e *InputError) Error() string {
	s := e.Location
	if e.Source != "" {
		s = e.Source + ": " + s
	}
	if e.Place != "" {
		s += ": " + e.Place
	}
	return fmt.Sprintf("%s: %v", s, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// CheckpointReader reads a source's resume position from the store; it
// returns an error wrapping store.ErrNotFound when there is none yet.
type CheckpointReader interface {
	Checkpoint(ctx context.Context, source, key string) (string, error)
}

// EventBatch is what an event source read in one cycle.
type EventBatch struct {
	Source string
	// Events are the audit records read this cycle, de-duplicated by id
	// within the batch. Events already seen in an earlier cycle may appear
	// again (overlap windows); consumers de-duplicate by event id.
	Events []model.Event
	// Checkpoints are the resume positions (key -> value) to store once the
	// cycle is recorded: never before, so a crash re-reads instead of losing.
	Checkpoints map[string]string
	// Findings are findings the source itself raises (an audit-trail
	// integrity failure), with Fingerprint and Scope set.
	Findings []model.Finding
	// AuditedScopes are the scopes of Findings whose absence means resolution.
	AuditedScopes []string
}

// Add appends ev to the batch's events. A batch of a busy cycle holds
// hundreds of thousands of events of a few hundred bytes each: the slice
// doubles when full, where append would grow it by a quarter at a time and
// allocate about five times its final size on the way.
func (b *EventBatch) Add(ev model.Event) {
	if len(b.Events) == cap(b.Events) {
		b.Events = slices.Grow(b.Events, max(len(b.Events), 256))
	}
	b.Events = append(b.Events, ev)
}

// EventSource yields audit events (CloudTrail, GCP Cloud Audit Logs).
type EventSource interface {
	Name() string
	// Events reads what is new since the stored checkpoints. Like the other
	// sources it returns what it could read plus one error per input it could
	// not; a failed input must not advance its checkpoint.
	Events(ctx context.Context, cp CheckpointReader) (EventBatch, []error)
}
