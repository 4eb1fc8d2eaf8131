package tfstate

import (
	"strings"
	"testing"
	"fmt"
)

func TestZZTmpCondition(t *testing.T) {
	st := `{"version":4,"terraform_version":"1.7.5","serial":3,"lineage":"0e7c7c4e-1111-2222-3333-444455556666","outputs":{},"resources":[
{"mode":"managed","type":"google_project_iam_member","name":"oncall","provider":"provider[\"registry.terraform.io/hashicorp/google\"]","instances":[{"schema_version":0,
"attributes":{"condition":[{"description":"","expression":"request.time.getHours(\"Europe/Berlin\") >= 9","title":"Business hours"}],"etag":"BwYb0dNq3Xs=",
"id":"acme-prod/roles/compute.instanceAdmin.v1/group:oncall@acme.example/Business hours//request.time.getHours(\"Europe/Berlin\") >= 9","member":"group:oncall@acme.example","project":"acme-prod","role":"roles/compute.instanceAdmin.v1"},"sensitive_attributes":[],"private":"bnVsbA=="}]},
{"mode":"managed","type":"google_project_iam_member","name":"plain","provider":"provider[\"registry.terraform.io/hashicorp/google\"]","instances":[{"schema_version":0,
"attributes":{"condition":[],"etag":"BwYb0dNq3Xs=","id":"acme-prod/roles/viewer/user:jane@acme.example","member":"user:jane@acme.example","project":"acme-prod","role":"roles/viewer"},"sensitive_attributes":[]}]}]}`
	s, err := Decode(strings.NewReader(st), DecodeOptions{})
	if err != nil { t.Fatal(err) }
	for _, r := range s.Resources { fmt.Println(r.Address, r.ID) }
}
