package gcpasset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	asset "cloud.google.com/go/asset/apiv1"
	"cloud.google.com/go/asset/apiv1/assetpb"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/identity"
)

// APIConfig configures a source reading CAI through ListAssets.
type APIConfig struct {
	// Parents: projects/P, folders/F or organizations/O.
	Parents []string
	// AssetTypes to list; default every asset type of identity's GCP table.
	AssetTypes []string
	// PageSize of ListAssets (max 1000, the default).
	PageSize int
	// ClientOptions are passed to asset.NewClient (credentials file,
	// endpoint for tests).
	ClientOptions []option.ClientOption
}

// APISource reads live resources with ListAssets, content types RESOURCE
// and IAM_POLICY, every page. It implements collectors.InventorySource.
// Its Coverage is the mapped asset types requested, restricted to the
// project parents (folder and organisation parents cover any project).
// A parent that fails is one error; the other parents still count, but
// the failed parent's projects leave the Coverage so nothing of it is
// reported missing.
type APISource struct {
	name string
	cfg  APIConfig

	mu     sync.Mutex
	client *asset.Client
}

var _ collectors.InventorySource = (*APISource)(nil)

// NewAPISource returns a CAI API source.
func NewAPISource(name string, cfg APIConfig) *APISource {
	if len(cfg.AssetTypes) == 0 {
		cfg.AssetTypes = identity.GCPAssetTypes()
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 1000 {
		cfg.PageSize = 1000
	}
	return &APISource{name: name, cfg: cfg}
}

// Name is the configured source name.
func (s *APISource) Name() string { return s.name }

// Close closes the API client.
func (s *APISource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	err := s.client.Close()
	s.client = nil
	return err
}

func (s *APISource) getClient(ctx context.Context) (*asset.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	c, err := asset.NewClient(ctx, s.cfg.ClientOptions...)
	if err != nil {
		return nil, fmt.Errorf("creating Cloud Asset client: %w", err)
	}
	s.client = c
	return c, nil
}

// Inventory lists every parent.
func (s *APISource) Inventory(ctx context.Context) (collectors.Inventory, []error) {
	inv := collectors.Inventory{Source: s.name}
	c, err := s.getClient(ctx)
	if err != nil {
		return inv, []error{err}
	}
	mp := newMapper(s.name)
	var errs []error
	var projects []string
	anyParent, orgParent := false, false
	for _, parent := range s.cfg.Parents {
		var got []Asset
		err := s.list(ctx, c, parent, &got)
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: parent, Err: err})
			continue
		}
		for _, a := range got {
			mp.add(a)
		}
		if p, ok := strings.CutPrefix(parent, "projects/"); ok {
			projects = append(projects, p)
		} else {
			anyParent = true
			// Only an organisation's listing holds every folder.
			orgParent = orgParent || strings.HasPrefix(parent, "organizations/")
		}
	}
	inv.Resources = mp.resources()
	if anyParent {
		projects = nil
	}
	if len(projects) == 0 && !anyParent {
		return inv, errs // nothing listed completely
	}
	sort.Strings(projects)
	inv.Coverage = coverage(s.cfg.AssetTypes, projects, orgParent)
	return inv, errs
}

func (s *APISource) list(ctx context.Context, c *asset.Client, parent string, out *[]Asset) error {
	byName := map[string]int{}
	for _, ct := range []assetpb.ContentType{assetpb.ContentType_RESOURCE, assetpb.ContentType_IAM_POLICY} {
		it := c.ListAssets(ctx, &assetpb.ListAssetsRequest{
			Parent: parent, AssetTypes: s.cfg.AssetTypes, ContentType: ct, PageSize: int32(s.cfg.PageSize),
		})
		for {
			a, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				return fmt.Errorf("listing assets (%s): %w", ct, err)
			}
			x := fromProto(a)
			if i, ok := byName[x.Name]; ok {
				if x.IAMPolicy != nil {
					(*out)[i].IAMPolicy = x.IAMPolicy
				}
				if x.Data != nil {
					(*out)[i].Data = x.Data
				}
				continue
			}
			byName[x.Name] = len(*out)
			*out = append(*out, x)
		}
	}
	return nil
}

// fromProto converts an API asset to the JSON form read from exports.
func fromProto(a *assetpb.Asset) Asset {
	x := Asset{Name: a.GetName(), AssetType: a.GetAssetType(), Ancestors: a.GetAncestors()}
	if r := a.GetResource(); r != nil {
		if d := r.GetData(); d != nil {
			x.Data = d.AsMap()
		}
		x.Location = r.GetLocation()
		x.Parent = r.GetParent()
	}
	if p := a.GetIamPolicy(); p != nil {
		var bs []any
		for _, b := range p.GetBindings() {
			ms := make([]any, len(b.GetMembers()))
			for i, m := range b.GetMembers() {
				ms[i] = m
			}
			bm := map[string]any{"role": b.GetRole(), "members": ms}
			if c := b.GetCondition(); c != nil {
				// Conditional bindings of one role are distinct grants.
				bm["condition"] = map[string]any{"title": c.GetTitle(), "description": c.GetDescription(), "expression": c.GetExpression()}
			}
			bs = append(bs, bm)
		}
		x.IAMPolicy = map[string]any{"bindings": bs}
	}
	return x
}
