package model

import "testing"

func TestIdentity(t *testing.T) {
	r := Identity("", "aws_s3_bucket", map[string]any{
		"id":       "logs",
		"arn":      "arn:aws:s3:::logs",
		"region":   "eu-west-1",
		"tags":     map[string]any{"team": "a"},
		"tags_all": map[string]any{"team": "a", "env": "prod"},
	})
	if r.ID != "arn:aws:s3:::logs" || r.NativeID != "logs" || r.Provider != "aws" {
		t.Fatalf("identity: %+v", r)
	}
	if r.Region != "eu-west-1" || r.Tags["env"] != "prod" {
		t.Fatalf("region/tags: %+v", r)
	}
	r = Identity("aws", "aws_security_group", map[string]any{"id": "sg-1", "arn": "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"})
	if r.Account != "111122223333" || r.Region != "us-east-1" {
		t.Fatalf("arn parts: %+v", r)
	}
	r = Identity("google", "google_compute_network", map[string]any{"id": "projects/p/global/networks/n", "project": "p", "labels": map[string]any{"team": "net"}})
	if r.ID != "google/google_compute_network/projects/p/global/networks/n" || r.Account != "p" || r.Tags["team"] != "net" {
		t.Fatalf("google: %+v", r)
	}
	if r := Identity("", "null_resource", map[string]any{}); r.ID != "" {
		t.Fatalf("no id must give empty identity, got %q", r.ID)
	}
}
