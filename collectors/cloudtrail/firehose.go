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

// firehoseRoot is the configured prefix, the literal string Firehose
// writes in front of its YYYY/MM/DD/HH/ folders ("" for none). Firehose
// adds no slash: a stream prefixed "cloudtrail" writes cloudtrail2024/…,
// one prefixed "cloudtrail/" writes cloudtrail/2024/…; keys of either form
// are taken under a prefix given without its slash (firehoseHour).
func (s *FileSource) firehoseRoot() string {
	return strings.TrimLeft(s.cfg.Prefix, "/")
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
// another time zone). Under a root without a closing slash, a slash may
// come before the year (the stream's prefix had it). ok is false for
// other keys.
func firehoseHour(root, key string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(key, root)
	if !ok {
		return time.Time{}, false
	}
	if root != "" && !strings.HasSuffix(root, "/") {
		rest = strings.TrimPrefix(rest, "/")
	}
	if len(rest) < len("2006/01/02/15/x") || rest[13] != '/' || strings.Contains(rest[14:], "/") {
		return time.Time{}, false
	}
	t, err := time.Parse("2006/01/02/15", rest[:13])
	return t, err == nil
}

// firehoseWindowStart is windowStart for the Firehose layout: the start of
// the hour folder window before the newest file's, spelt as its key is.
func firehoseWindowStart(root string, window time.Duration) func(newest string) string {
	return func(newest string) string {
		t, ok := firehoseHour(root, newest)
		if !ok {
			return ""
		}
		sep := ""
		if root != "" && !strings.HasSuffix(root, "/") && strings.HasPrefix(newest[len(root):], "/") {
			sep = "/"
		}
		return root + sep + t.Add(-window).Truncate(time.Hour).Format("2006/01/02/15/")
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
