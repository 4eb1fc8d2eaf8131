package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/awsclient"
	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// Config configures an AWS Config inventory. Set exactly one of Paths,
// Bucket and API.
type Config struct {
	// Paths are local files, directories (every *.json and *.json.gz below)
	// and globs holding snapshots or other configuration item documents.
	Paths   []string
	BaseDir string
	// Bucket (with Prefix, the key prefix in front of AWSLogs/) is where
	// the delivery channel writes snapshots.
	Bucket string
	Prefix string
	// API queries the Config service.
	API *APIConfig
	// Types are resource types (Terraform or Config names) the recorder
	// records completely, added to the types seen in the data.
	Types []string
	// Client says how to reach AWS (region, endpoint, role).
	Client awsclient.ClientConfig
	// S3 and ConfigClient replace the clients (tests); ConfigClient is used
	// for every region.
	S3           s3state.API
	ConfigClient ConfigAPI
}

// APIConfig selects the advanced queries to run.
type APIConfig struct {
	// Aggregator runs SelectAggregateResourceConfig on this configuration
	// aggregator; empty runs SelectResourceConfig in each of Regions.
	Aggregator string
	// Accounts and Regions restrict the query (and coverage); for an
	// aggregator empty means every account and region it holds. Without an
	// aggregator, Regions default to the client's region.
	Accounts []string
	Regions  []string
	// Types are the resource types to query (Terraform or Config names);
	// default every Config type of the identity table.
	Types []string
}

// ConfigAPI is the part of the Config client the source uses.
type ConfigAPI interface {
	SelectResourceConfig(ctx context.Context, in *configservice.SelectResourceConfigInput, opts ...func(*configservice.Options)) (*configservice.SelectResourceConfigOutput, error)
	SelectAggregateResourceConfig(ctx context.Context, in *configservice.SelectAggregateResourceConfigInput, opts ...func(*configservice.Options)) (*configservice.SelectAggregateResourceConfigOutput, error)
}

// Source is an AWS Config inventory. It implements collectors.InventorySource.
type Source struct {
	name string
	cfg  Config

	mu      sync.Mutex
	now     func() time.Time // the clock that dates S3 snapshots (tests)
	s3      s3state.API
	configs map[string]ConfigAPI // per region
	cache   map[string]*docEntry
}

// docEntry is the outcome of the last decode of one document.
type docEntry struct {
	version string // size+mtime or ETag
	decoded
}

var _ collectors.InventorySource = (*Source)(nil)

// NewSource returns an AWS Config inventory source.
func NewSource(name string, cfg Config) *Source {
	return &Source{name: name, cfg: cfg, now: time.Now, s3: cfg.S3, configs: map[string]ConfigAPI{}, cache: map[string]*docEntry{}}
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// unit is what one snapshot or query covers.
type unit struct {
	account, region string
	items           []*Item
	// incomplete: the unit may lack resources (unreadable or truncated
	// document, failed query): it counts for no coverage, or a managed
	// resource it did not list would be reported missing.
	incomplete bool
	// failedTypes are types whose enumeration failed (a query, an item
	// naming its type but no resource): not covered at all.
	failedTypes []string
}

// Inventory reads the latest snapshot per account and region (or runs the
// queries) and converts the items. Each unreadable input costs only itself.
func (s *Source) Inventory(ctx context.Context) (collectors.Inventory, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var units []unit
	var errs []error
	switch {
	case s.cfg.API != nil:
		units, errs = s.query(ctx)
	case s.cfg.Bucket != "":
		units, errs = s.fromS3(ctx)
	case len(s.cfg.Paths) > 0:
		units, errs = s.fromFiles(ctx)
	default:
		errs = []error{&collectors.InputError{Source: s.name, Err: errors.New("an awsconfig inventory needs paths, a bucket or api")}}
	}
	return s.assemble(units), errs
}

// assemble converts the items, keeping the newest item per resource, and
// computes coverage from the complete units only: an incomplete one
// (unreadable, truncated, a failed query) must not make the resources it
// failed to list look missing.
func (s *Source) assemble(units []unit) collectors.Inventory {
	inv := collectors.Inventory{Source: s.name, Coverage: collectors.Coverage{Types: map[string]bool{}, Accounts: map[string]bool{}, Regions: map[string]bool{}, Except: map[collectors.AccountRegion]bool{}}}
	latest := map[string]*Item{}
	var order []string
	tfName := func(t string) string {
		if tf := identity.TerraformType(t); tf != "" {
			return tf
		}
		return t
	}
	failed := map[string]bool{}
	globalOK := map[string]bool{} // global types a complete unit listed
	var globalUnsure []string     // global types an incomplete snapshot may hold
	anyIncomplete := false
	for _, u := range units {
		for _, t := range u.failedTypes {
			failed[tfName(t)] = true
		}
		if u.incomplete {
			anyIncomplete = true
			if u.account != "" && u.region != "" && u.region != GlobalRegion {
				// Another unit may name this account and this region: the
				// pair itself stays uncovered.
				inv.Coverage.Except[collectors.AccountRegion{Account: u.account, Region: u.region}] = true
			}
			if u.account != "" || u.region != "" {
				// A snapshot covers every recorded type: the global ones it
				// may have held are unsure unless another snapshot has them.
				for _, t := range s.cfg.Types {
					if isGlobalType(identity.ConfigType(t)) || isGlobalType(t) {
						globalUnsure = append(globalUnsure, tfName(t))
					}
				}
			}
		} else {
			if u.account != "" {
				inv.Coverage.Accounts[u.account] = true
			}
			if u.region != "" && u.region != GlobalRegion {
				inv.Coverage.Regions[u.region] = true
			}
		}
		for _, it := range u.items {
			if it.NotRecorded() {
				continue
			}
			typ := tfName(it.ResourceType)
			global := it.Region == GlobalRegion || isGlobalType(it.ResourceType)
			if u.incomplete {
				if global {
					globalUnsure = append(globalUnsure, typ)
				}
			} else {
				if it.AccountID != "" {
					inv.Coverage.Accounts[it.AccountID] = true
				}
				if it.Region != "" && it.Region != GlobalRegion && it.Region != "Not Applicable" {
					inv.Coverage.Regions[it.Region] = true
				}
				inv.Coverage.Types[typ] = true
				if global {
					globalOK[typ] = true
				}
			}
			k := it.ResourceType + "\x00" + it.AccountID + "\x00" + it.ResourceID
			if prev, ok := latest[k]; !ok {
				order = append(order, k)
				latest[k] = it
			} else if newer(it, prev) {
				latest[k] = it
			}
		}
	}
	if !anyIncomplete || s.cfg.API != nil {
		// Declared types count only when every snapshot was read (a query
		// failure is precise: its type is in failed).
		for _, t := range s.cfg.Types {
			inv.Coverage.Types[tfName(t)] = true
		}
	}
	if s.cfg.API != nil && len(s.cfg.API.Types) > 0 {
		// Types configured for the queries are declared recorded: covered
		// even when no resource of theirs exists.
		for _, t := range QueryTypes(s.cfg.API.Types) {
			inv.Coverage.Types[tfName(t)] = true
		}
	}
	if s.cfg.API != nil {
		for _, a := range s.cfg.API.Accounts {
			inv.Coverage.Accounts[a] = true
		}
	}
	for _, t := range globalUnsure {
		if !globalOK[t] {
			failed[t] = true
		}
	}
	for t := range failed {
		delete(inv.Coverage.Types, t)
	}
	if anyIncomplete && len(inv.Coverage.Accounts) == 0 && len(inv.Coverage.Regions) == 0 {
		// Nothing complete to scope the types to: empty maps would mean
		// "every account and region".
		inv.Coverage.Types = map[string]bool{}
	}
	for _, k := range order {
		inv.Resources = append(inv.Resources, Resources(latest[k], s.name)...)
	}
	return inv
}

// ---- local files

func (s *Source) fromFiles(ctx context.Context) ([]unit, []error) {
	files, expandErrs := fileinput.Expand(s.cfg.BaseDir, s.cfg.Paths, fileinput.Options{DirPattern: "*.json*"})
	var errs []error
	for _, err := range expandErrs {
		errs = append(errs, &collectors.InputError{Source: s.name, Location: strings.Join(s.cfg.Paths, ", "), Err: fmt.Errorf("finding Config files: %w", err)})
	}
	// Delivered snapshots: only the latest per account and region.
	type snap struct {
		file string
		ts   string
	}
	latest := map[[2]string]snap{}
	var plain, changes []string
	for _, f := range files {
		base := filepath.Base(f)
		if !strings.HasSuffix(base, ".json") && !strings.HasSuffix(base, ".json.gz") {
			continue
		}
		if m := snapshotName.FindStringSubmatch(base); m != nil {
			k := [2]string{m[1], m[2]}
			if cur, ok := latest[k]; !ok || m[3] > cur.ts || (m[3] == cur.ts && f > cur.file) {
				latest[k] = snap{f, m[3]}
			}
			continue
		}
		if changeName.MatchString(base) {
			// History files and oversized change notifications record
			// changes, not the inventory: reading them would make every
			// resource they do not mention look absent.
			changes = append(changes, f)
			continue
		}
		if strings.Contains(base, "ConfigWritabilityCheckFile") {
			continue
		}
		plain = append(plain, f)
	}
	if len(latest) == 0 && len(plain) == 0 && len(changes) > 0 {
		errs = append(errs, &collectors.InputError{Source: s.name, Location: strings.Join(s.cfg.Paths, ", "),
			Err: fmt.Errorf("found %d configuration history or change notification file(s) (%s) but no configuration snapshot: "+
				"history files hold changes, not the inventory; turn on periodic snapshot delivery (delivery channel "+
				"configSnapshotDeliveryProperties.deliveryFrequency) or export the inventory with select-resource-config", len(changes), filepath.Base(changes[0]))})
	}
	var units []unit
	seen := map[string]bool{}
	keys := make([][2]string, 0, len(latest))
	for k := range latest {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		f := latest[k].file
		seen[f] = true
		d := s.readFile(ctx, f)
		errs = append(errs, d.errs...)
		units = append(units, unit{account: k[0], region: k[1], items: d.items, incomplete: d.incomplete, failedTypes: d.lostTypes})
	}
	for _, f := range plain {
		seen[f] = true
		d := s.readFile(ctx, f)
		errs = append(errs, d.errs...)
		units = append(units, unit{items: d.items, incomplete: d.incomplete, failedTypes: d.lostTypes})
	}
	s.prune(seen)
	return units, errs
}

// snapshotName matches <acct>_Config_<region>_ConfigSnapshot_<ts>_<uuid>.json.gz.
var snapshotName = regexp.MustCompile(`^(\d{12})_Config_([a-z0-9-]+)_ConfigSnapshot_(\d{8}T\d{6}Z)_`)

// changeName matches the other files a delivery channel writes: history
// files (<acct>_Config_<region>_ConfigHistory_<type>_<start>_<end>_<n>.json.gz)
// and oversized change notifications (..._ChangeNotification_<type>_<id>_...).
var changeName = regexp.MustCompile(`^\d{12}_Config_[a-z0-9-]+_(ConfigHistory|ChangeNotification)_`)

func (s *Source) readFile(ctx context.Context, file string) decoded {
	fail := func(err error) decoded {
		return decoded{errs: []error{&collectors.InputError{Source: s.name, Location: file, Err: err}}, incomplete: true}
	}
	fi, err := os.Stat(file)
	if err != nil {
		delete(s.cache, file)
		return fail(fmt.Errorf("reading Config file: %w", err))
	}
	ver := strconv.FormatInt(fi.Size(), 10) + "@" + fi.ModTime().UTC().Format(time.RFC3339Nano)
	if e := s.cache[file]; e != nil && e.version == ver {
		return e.decoded
	}
	if err := ctx.Err(); err != nil {
		return fail(fmt.Errorf("reading Config file: %w", err))
	}
	f, err := os.Open(file)
	if err != nil {
		return fail(fmt.Errorf("opening Config file: %w", err))
	}
	defer f.Close()
	d := decode(f, DecodeOptions{Source: s.name, Location: file})
	s.cache[file] = &docEntry{version: ver, decoded: d}
	return d
}

func (s *Source) prune(seen map[string]bool) {
	for k := range s.cache {
		if !seen[k] {
			delete(s.cache, k)
		}
	}
}

// ---- snapshots in S3

func (s *Source) s3Client(ctx context.Context) (s3state.API, error) {
	if s.s3 == nil {
		c, err := s3state.NewClient(ctx, s.cfg.Client)
		if err != nil {
			return nil, err
		}
		s.s3 = c
	}
	return s.s3, nil
}

// fromS3 finds the latest snapshot of every account and region under
// <prefix>AWSLogs/ by walking the dated folders newest first.
func (s *Source) fromS3(ctx context.Context) ([]unit, []error) {
	api, err := s.s3Client(ctx)
	root := strings.TrimPrefix(s.cfg.Prefix, "/")
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	root += "AWSLogs/"
	loc := s3state.URL(s.cfg.Bucket, root)
	if err != nil {
		return nil, []error{&collectors.InputError{Source: s.name, Location: loc, Err: err}}
	}
	w := &s3Walker{api: api, bucket: s.cfg.Bucket}
	now := s.now().UTC()
	cutoff := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -maxDaysBack)
	var errs []error
	var units []unit
	seen := map[string]bool{}
	accounts, err := w.dirs(ctx, root)
	if err != nil {
		return nil, []error{s.s3Err(root, "listing accounts", err)}
	}
	var acctDirs []string
	for _, a := range accounts {
		if strings.HasPrefix(a, "o-") { // organisation level
			sub, err := w.dirs(ctx, root+a+"/")
			if err != nil {
				errs = append(errs, s.s3Err(root+a+"/", "listing accounts", err))
				continue
			}
			for _, x := range sub {
				acctDirs = append(acctDirs, root+a+"/"+x+"/")
			}
			continue
		}
		acctDirs = append(acctDirs, root+a+"/")
	}
	for _, ad := range acctDirs {
		acct := filepath.Base(strings.TrimSuffix(ad, "/"))
		regions, err := w.dirs(ctx, ad+"Config/")
		if err != nil {
			errs = append(errs, s.s3Err(ad+"Config/", "listing regions", err))
			continue
		}
		for _, region := range regions {
			key, etag, err := w.latestSnapshot(ctx, ad+"Config/"+region+"/", cutoff)
			if err != nil {
				errs = append(errs, s.s3Err(ad+"Config/"+region+"/", "finding the latest snapshot", err))
				units = append(units, unit{account: acct, region: region, incomplete: true})
				continue
			}
			if key == "" {
				// Config delivered something here (history files, an old
				// snapshot) but no recent snapshot: the region is not
				// covered (an incomplete unit without items), and the user
				// should know why.
				units = append(units, unit{account: acct, region: region, incomplete: true})
				errs = append(errs, s.s3Err(ad+"Config/"+region+"/", "finding the latest snapshot",
					fmt.Errorf("no configuration snapshot delivered in the %d days before %s, so account %s in %s is not inventoried: "+
						"turn on periodic snapshot delivery (delivery channel configSnapshotDeliveryProperties.deliveryFrequency); "+
						"history files hold changes only", maxDaysBack, now.Format("2006-01-02"), acct, region)))
				continue
			}
			seen[key] = true
			d := s.readS3(ctx, api, key, etag)
			errs = append(errs, d.errs...)
			units = append(units, unit{account: acct, region: region, items: d.items, incomplete: d.incomplete, failedTypes: d.lostTypes})
		}
	}
	s.prune(seen)
	return units, errs
}

func (s *Source) s3Err(key, doing string, err error) error {
	return &collectors.InputError{Source: s.name, Location: s3state.URL(s.cfg.Bucket, key), Err: fmt.Errorf("%s: %w", doing, err)}
}

func (s *Source) readS3(ctx context.Context, api s3state.API, key, etag string) decoded {
	if e := s.cache[key]; e != nil && etag != "" && e.version == etag {
		return e.decoded
	}
	loc := s3state.URL(s.cfg.Bucket, key)
	resp, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		return decoded{errs: []error{&collectors.InputError{Source: s.name, Location: loc, Err: fmt.Errorf("reading snapshot (GetObject): %w", err)}}, incomplete: true}
	}
	defer resp.Body.Close()
	d := decode(resp.Body, DecodeOptions{Source: s.name, Location: loc})
	if v := aws.ToString(resp.ETag); v != "" {
		etag = v
	}
	if !d.incomplete {
		// An incomplete read may be a dropped connection, not the object:
		// the next cycle downloads it again.
		s.cache[key] = &docEntry{version: etag, decoded: d}
	} else {
		delete(s.cache, key)
	}
	return d
}

// s3Walker lists "folders" with a delimiter.
type s3Walker struct {
	api    s3state.API
	bucket string
}

// dirs returns the names of the folders directly under prefix.
func (w *s3Walker) dirs(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(w.api, &s3.ListObjectsV2Input{Bucket: aws.String(w.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/"))
		}
	}
	return out, nil
}

// maxDaysBack bounds how old (in days) the newest snapshot of a region may
// be: an older one describes a region Config no longer snapshots.
const maxDaysBack = 62

// latestSnapshot walks YYYY/M/D folders (not zero-padded) newest first,
// down to the day cutoff, and returns the newest ConfigSnapshot object and
// its ETag ("" when there is none).
func (w *s3Walker) latestSnapshot(ctx context.Context, regionDir string, cutoff time.Time) (string, string, error) {
	years, err := w.dirs(ctx, regionDir)
	if err != nil {
		return "", "", err
	}
	for _, y := range numericDesc(years) {
		yi, _ := strconv.Atoi(y)
		if yi < cutoff.Year() {
			return "", "", nil
		}
		months, err := w.dirs(ctx, regionDir+y+"/")
		if err != nil {
			return "", "", err
		}
		for _, m := range numericDesc(months) {
			mi, _ := strconv.Atoi(m)
			if yi == cutoff.Year() && mi < int(cutoff.Month()) {
				break
			}
			ds, err := w.dirs(ctx, regionDir+y+"/"+m+"/")
			if err != nil {
				return "", "", err
			}
			for _, d := range numericDesc(ds) {
				di, _ := strconv.Atoi(d)
				if time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC).Before(cutoff) {
					return "", "", nil
				}
				dir := regionDir + y + "/" + m + "/" + d + "/ConfigSnapshot/"
				var best, bestTS, etag string
				p := s3.NewListObjectsV2Paginator(w.api, &s3.ListObjectsV2Input{Bucket: aws.String(w.bucket), Prefix: aws.String(dir)})
				for p.HasMorePages() {
					page, err := p.NextPage(ctx)
					if err != nil {
						return "", "", err
					}
					for _, o := range page.Contents {
						k := aws.ToString(o.Key)
						m := snapshotName.FindStringSubmatch(filepath.Base(k))
						if m == nil {
							continue
						}
						if m[3] > bestTS || (m[3] == bestTS && k > best) {
							best, bestTS, etag = k, m[3], aws.ToString(o.ETag)
						}
					}
				}
				if best != "" {
					return best, etag, nil
				}
			}
		}
	}
	return "", "", nil
}

// numericDesc sorts numeric folder names, largest first, dropping others.
func numericDesc(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if _, err := strconv.Atoi(n); err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i])
		b, _ := strconv.Atoi(out[j])
		return a > b
	})
	return out
}
