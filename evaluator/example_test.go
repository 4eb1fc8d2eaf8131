package evaluator_test

import (
	"context"
	"fmt"
	"os"

	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/model"
)

func Example() {
	ctx := context.Background()
	ev, err := evaluator.New(ctx, evaluator.Options{
		Builtin:  true,
		Severity: map[string]model.Severity{"DW-AWS-S3-001": model.SeverityCritical},
		Disabled: []string{"DW-TAG-001"},
		Data:     map[string]any{"production_stacks": []string{"prod-core"}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // names the file and line at fault
		return
	}
	violations, errs := ev.EvaluateResources(ctx, []model.Resource{{
		ID:         "arn:aws:s3:::logs",
		Type:       "aws_s3_bucket",
		Address:    "aws_s3_bucket.logs",
		Attributes: map[string]any{"acl": "public-read"},
	}})
	for _, err := range errs {
		fmt.Println("error:", err) // one policy on one resource; the rest still ran
	}
	for _, v := range violations {
		fmt.Println(v.PolicyID, v.Severity, v.Message)
	}
	// Output:
	// DW-AWS-S3-001 critical aws_s3_bucket.logs has the canned ACL "public-read", which opens the bucket to the public
}
