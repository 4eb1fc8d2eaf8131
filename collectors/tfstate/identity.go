package tfstate

import (
	"bytes"
	"math"
	"strings"

	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/model"
)

// The top-level attributes model.Identity reads. The reader records where
// their values lie while it compacts the attributes, so that identity
// extraction decodes only those bytes.
const (
	kID = iota
	kARN
	kRegion
	kLocation
	kZone
	kAccountID
	kOwnerID
	kProject
	kTagsAll // tag keys last, in model.Identity's order of precedence
	kTags
	kEffectiveLabels
	kLabels
	// The attributes identity.GCPCanonicalFromTerraform reads besides the
	// above (the GCP table's Attrs and IAM ParentAttr, role and member):
	// decoded for google_* resources only.
	kName
	kEmail
	kProjectID
	kDatasetID
	kManagedZone
	kType
	kCluster
	kBucket
	kTopic
	kServiceAccountID
	kCryptoKeyID
	kRole
	kMember
	kFolder
	kOrgID
	numIDKeys
)

// firstGCPKey is the first key only google_* resources decode.
const firstGCPKey = kName

var idKeyNames = [numIDKeys]string{"id", "arn", "region", "location", "zone", "account_id", "owner_id", "project", "tags_all", "tags", "effective_labels", "labels",
	"name", "email", "project_id", "dataset_id", "managed_zone", "type", "cluster", "bucket", "topic", "service_account_id", "crypto_key_id", "role", "member",
	"folder", "org_id"}

func idKeyIndex(k []byte) int {
	switch string(k) {
	case "id":
		return kID
	case "arn":
		return kARN
	case "region":
		return kRegion
	case "location":
		return kLocation
	case "zone":
		return kZone
	case "account_id":
		return kAccountID
	case "owner_id":
		return kOwnerID
	case "project":
		return kProject
	case "tags_all":
		return kTagsAll
	case "tags":
		return kTags
	case "effective_labels":
		return kEffectiveLabels
	case "labels":
		return kLabels
	case "name":
		return kName
	case "email":
		return kEmail
	case "project_id":
		return kProjectID
	case "dataset_id":
		return kDatasetID
	case "managed_zone":
		return kManagedZone
	case "type":
		return kType
	case "cluster":
		return kCluster
	case "bucket":
		return kBucket
	case "topic":
		return kTopic
	case "service_account_id":
		return kServiceAccountID
	case "crypto_key_id":
		return kCryptoKeyID
	case "role":
		return kRole
	case "member":
		return kMember
	case "folder":
		return kFolder
	case "org_id":
		return kOrgID
	}
	return -1
}

// span locates a value in an instance's compact attributes; end 0 means
// absent.
type span struct{ start, end int32 }

type idSpans [numIDKeys]span

// compactAttributes reads the attributes object (the scanner is on its
// '{'), appends its compact form to dst and records in sp where the values
// of the identity attributes lie in dst.
func compactAttributes(s *scanner, dst []byte, sp *idSpans, key *[]byte) ([]byte, error) {
	*sp = idSpans{}
	dst = append(dst, '{')
	empty, err := s.enter('}')
	if err != nil {
		return dst, err
	}
	if empty {
		return append(dst, '}'), nil
	}
	for {
		if err := s.expectQuote(); err != nil {
			return dst, err
		}
		ks := len(dst)
		if dst, err = s.rawStr(dst, true); err != nil {
			return dst, err
		}
		name := dst[ks+1 : len(dst)-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			var ksc scanner
			ksc.resetBytes(dst[ks:])
			if *key, err = ksc.str((*key)[:0]); err != nil {
				return dst, err
			}
			name = *key
		}
		idx := idKeyIndex(name)
		if err := s.expect(':', "':' after object key"); err != nil {
			return dst, err
		}
		dst = append(dst, ':')
		vs := len(dst)
		if dst, err = s.valueDepth(dst, true, 1); err != nil {
			return dst, err
		}
		if idx >= 0 && len(dst) < math.MaxInt32 {
			sp[idx] = span{int32(vs), int32(len(dst))}
		}
		more, err := s.next('}')
		if err != nil {
			return dst, err
		}
		if !more {
			return append(dst, '}'), nil
		}
		dst = append(dst, ',')
	}
}

const (
	// maxTagCache bounds the shared tag maps of one decode.
	maxTagCache = 1 << 14
	// maxTagCacheKey is the longest tags object worth caching.
	maxTagCacheKey = 4 << 10
)

// idExtractor derives identity fields from the recorded spans. Scalars go
// through model.Identity; tags, which Identity would copy into a fresh map
// per resource, are built here with the same rule (the first non-empty of
// tags_all, tags, effective_labels, labels; non-string values read as "")
// and shared between resources whose tags are byte-identical.
type idExtractor struct {
	d      *decoder
	attrs  map[string]any
	tagMap map[string]map[string]string
	s      scanner
	key    []byte
	val    []byte
}

func (x *idExtractor) resource(provider, typ string, raw []byte, sp *idSpans) (model.Resource, error) {
	if x.attrs == nil {
		x.attrs = make(map[string]any, 8)
		x.tagMap = make(map[string]map[string]string, 256)
	}
	clear(x.attrs)
	var arn string
	for _, k := range [...]int{kARN, kID, kRegion, kLocation, kZone, kAccountID, kOwnerID, kProject} {
		sv := sp[k]
		if sv.end == 0 || raw[sv.start] != '"' {
			continue // model.Identity ignores non-strings
		}
		b, err := x.unquote(raw[sv.start:sv.end])
		if err != nil {
			return model.Resource{}, err
		}
		switch k {
		case kARN:
			arn = string(b)
			x.attrs["arn"] = arn
		case kID:
			if n := len(arn) - len(b); n >= 0 && arn[n:] == string(b) {
				// The id often ends the ARN: share its bytes.
				x.attrs["id"] = arn[n:]
			} else {
				x.attrs["id"] = string(b)
			}
		default:
			x.attrs[idKeyNames[k]] = x.d.internAny(b)
		}
	}
	r := model.Identity(provider, typ, x.attrs)
	if strings.HasPrefix(typ, "google_") {
		// Google resources are named by their CAI full resource name, as
		// the asset inventory and the audit logs name them.
		for k := firstGCPKey; k < numIDKeys; k++ {
			sv := sp[k]
			if sv.end == 0 || raw[sv.start] != '"' {
				continue
			}
			b, err := x.unquote(raw[sv.start:sv.end])
			if err != nil {
				return model.Resource{}, err
			}
			x.attrs[idKeyNames[k]] = string(b)
		}
		if id := identity.GCPCanonicalFromTerraform(typ, x.attrs); id != "" {
			r.ID = id
		}
	}
	for k := kTagsAll; k < firstGCPKey; k++ {
		sv := sp[k]
		if sv.end == 0 || raw[sv.start] != '{' || sv.end-sv.start == 2 {
			continue
		}
		tags, err := x.tags(raw[sv.start:sv.end])
		if err != nil {
			return model.Resource{}, err
		}
		r.Tags = tags
		break
	}
	return r, nil
}

// unquote returns the content of a compact JSON string.
func (x *idExtractor) unquote(v []byte) ([]byte, error) {
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	x.s.resetBytes(v)
	var err error
	x.val, err = x.s.str(x.val[:0])
	return x.val, err
}

// tags returns the tag map of a compact tags object, shared with earlier
// resources holding the same bytes.
func (x *idExtractor) tags(v []byte) (map[string]string, error) {
	if m, ok := x.tagMap[string(v)]; ok {
		return m, nil
	}
	s := &x.s
	s.resetBytes(v)
	m := make(map[string]string)
	if _, err := s.enter('}'); err != nil {
		return nil, err
	}
	for more := true; more; {
		var err error
		if x.key, err = s.key(x.key); err != nil {
			return nil, err
		}
		name := x.d.intern(x.key)
		c, err := s.peek()
		if err != nil {
			return nil, err
		}
		if c == '"' {
			if x.val, err = s.str(x.val[:0]); err != nil {
				return nil, err
			}
			m[name] = x.d.intern(x.val)
		} else {
			if _, err := s.value(nil, false); err != nil {
				return nil, err
			}
			m[name] = ""
		}
		if more, err = s.next('}'); err != nil {
			return nil, err
		}
	}
	if len(x.tagMap) < maxTagCache && len(v) <= maxTagCacheKey {
		x.tagMap[string(v)] = m
	}
	return m, nil
}
