package cloudtrail

import (
	"context"
	"io"
	"io/fs"
	"strings"
)

// A local directory is often a copy of a trail's bucket made with
// `aws s3 sync s3://bucket/team-a/ ./logs`: it holds the layout from
// AWSLogs/ on, without the bucket's key prefix (or under another one, the
// source's Prefix). Digests name S3 objects by their full key
// (digestS3Object, previousDigestS3Object, logFiles[].s3Object), so
// integrity validation maps those keys to where the copy keeps them: the
// part from the AWSLogs/ segment on, after the source's own prefix. That
// part carries everything CloudTrail signs about a file's place (account,
// organisation, region, day, and in the name account, region, trail and
// time), so a digest moved to another account's, region's or hour's path
// of the copy still names a different key and fails. Only the bucket and
// the prefix in front of AWSLogs/ cannot be checked against a copy (the
// signature still covers them). An S3 source compares full keys, and the
// configured bucket.

// storeKey returns the key under which the store keeps the S3 object a
// digest names. For an S3 source it is the key itself. For a local copy it
// is the source's prefix followed by the object's layout part (from its
// last AWSLogs/ segment on); ok is false when the key has no such part or
// has a segment that could leave the copy's directory ("", ".", "..").
func (s *FileSource) storeKey(s3Key string) (key string, ok bool) {
	if _, local := s.store.(localStore); !local {
		return s3Key, true
	}
	tail, ok := layoutPart(s3Key)
	if !ok {
		return "", false
	}
	if p := strings.Trim(s.cfg.Prefix, "/"); p != "" {
		return p + "/" + tail, true
	}
	return tail, true
}

// layoutPart returns the part of an object key from its last AWSLogs/
// segment on: AWSLogs/[o-org/]ACCOUNT/KIND/REGION/YYYY/MM/DD/NAME. Only the
// segment count after AWSLogs/ is checked here (the caller compares the
// result with real keys); no segment of that part may be empty, "." or
// "..".
func layoutPart(key string) (string, bool) {
	if strings.Contains(key, "\\") {
		return "", false
	}
	segs := strings.Split(key, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i] != "AWSLogs" {
			continue
		}
		// The prefix in front (a trail prefix ending in "/" gives an
		// empty segment there) is dropped; what is kept must be sound.
		if !soundSegments(segs[i:]) {
			return "", false
		}
		n := len(segs) - i // AWSLogs and what follows
		org := n > 1 && strings.HasPrefix(segs[i+1], "o-")
		if n == 8 && !org || n == 9 && org {
			return strings.Join(segs[i:], "/"), true
		}
		return "", false
	}
	return "", false
}

// mappedKey is storeKey for keys that are looked up (a log file, a
// previous digest): a key that cannot be mapped stays as it is, so that it
// is reported as missing from the copy (a key that could leave the copy's
// directory is never opened: see openObject).
func (v *validation) mappedKey(s3Key string) string {
	if k, ok := v.s.storeKey(s3Key); ok {
		return k
	}
	return s3Key
}

// openObject opens an object of the store for validation. In a local
// copy a key with a segment that could leave its directory ("", ".", "..",
// a backslash) is not opened: it does not exist there.
func (v *validation) openObject(ctx context.Context, key string) (io.ReadCloser, error) {
	if _, local := v.s.store.(localStore); local && (strings.Contains(key, "\\") || !soundSegments(strings.Split(key, "/"))) {
		return nil, &fs.PathError{Op: "open", Path: key, Err: fs.ErrNotExist}
	}
	return v.s.store.Open(ctx, key)
}

// soundSegments reports whether no segment of a key is "", "." or "..":
// joined to a directory, the key stays inside it.
func soundSegments(segs []string) bool {
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return true
}
