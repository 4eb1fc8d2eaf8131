package cloudtrail

import (
	"context"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

// Layouts of the objects a file source reads (FileConfig.Layout).
const (
	// LayoutCloudTrail is CloudTrail's own delivery (the default):
	// [prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json[.gz],
	// one checkpoint per account and region.
	LayoutCloudTrail = "cloudtrail"
	// LayoutFirehose is a Firehose stream's delivery to S3 (CloudTrail
	// through CloudWatch Logs and a subscription filter):
	// [prefix/]YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz],
	// Firehose's default time prefix after the configured one, whatever
	// the names' extension; one checkpoint for the prefix. Objects
	// elsewhere under the prefix (Firehose's processing-failed/ error
	// output) are not read.
	LayoutFirehose = "firehose"
)

func (s *FileSource) firehose() bool { return s.cfg.Layout == LayoutFirehose }

// logPrefixes returns the prefixes read, each with its checkpoint: the
// account/region prefixes of CloudTrail's layout, or the Firehose prefix.
func (s *FileSource) logPrefixes(ctx context.Context) ([]string, []error) {
	if !s.firehose() {
		return s.trailPrefixes(ctx, "CloudTrail")
	}
	return []string{s.firehoseRoot()}, nil
}

// firehoseRoot is the configured prefix as Firehose writes it in front of
// its YYYY/MM/DD/HH/ folders: a folder ("cloudtrail" or "cloudtrail/" give
// "cloudtrail/"), or, when it ends in another character than a letter, a
// digit or a slash, the literal string Firehose runs into the year ("ct-",
// "logs_"). "" for none.
func (s *FileSource) firehoseRoot() string {
	root := strings.TrimLeft(s.cfg.Prefix, "/")
	if root == "" {
		return ""
	}
	switch c := root[len(root)-1]; {
	case c == '/':
		return root
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return root + "/"
	}
	return root
}

// isLogKey reports whether a key listed under prefix p is a file to read.
func (s *FileSource) isLogKey(p, key string) bool {
	if s.firehose() {
		_, ok := firehoseHour(p, key)
		return ok
	}
	return strings.HasSuffix(key, ".json.gz") || strings.HasSuffix(key, ".json")
}

// firehoseHour returns the hour of a key <root>YYYY/MM/DD/HH/<name>: the
// time prefix Firehose gives an object (UTC unless the stream sets
// another time zone). ok is false for other keys.
func firehoseHour(root, key string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(key, root)
	if !ok || len(rest) < len("2006/01/02/15/x") || rest[13] != '/' || strings.Contains(rest[14:], "/") {
		return time.Time{}, false
	}
	t, err := time.Parse("2006/01/02/15", rest[:13])
	return t, err == nil
}

// firehoseWindowStart is windowStart for the Firehose layout: the start of
// the hour folder window before the newest file's.
func firehoseWindowStart(root string, window time.Duration) func(newest string) string {
	return func(newest string) string {
		t, ok := firehoseHour(root, newest)
		if !ok {
			return ""
		}
		return root + t.Add(-window).Truncate(time.Hour).Format("2006/01/02/15/")
	}
}

// fileTime is the time a file's name tells (its delivery minute, or its
// Firehose hour), zero when it tells none: the time of its records that
// have none of their own.
func (s *FileSource) fileTime(key string) time.Time {
	if s.firehose() {
		t, _ := firehoseHour(s.firehoseRoot(), key)
		return t
	}
	return deliveryTime(key)
}

// wanted reports whether an event passes the source's account and region
// filters. In CloudTrail's layout they choose folders (every event read
// passes); Firehose objects mix accounts and regions, so there they apply
// to each record (recipientAccountId, else the caller's account; awsRegion).
func (s *FileSource) wanted(ev model.Event) bool {
	if !s.firehose() {
		return true
	}
	return (len(s.cfg.Accounts) == 0 || contains(s.cfg.Accounts, ev.Account)) &&
		(len(s.cfg.Regions) == 0 || contains(s.cfg.Regions, ev.Region))
}
