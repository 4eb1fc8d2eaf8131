package awsconfig

import "time"

// SetNow sets the clock that dates S3 snapshots.
func SetNow(s *Source, now func() time.Time) { s.now = now }
