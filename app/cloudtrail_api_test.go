package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/metrics"
	"github.com/driftwarden/driftwarden/store"
)

type noCheckpoints struct{}

func (noCheckpoints) Checkpoint(context.Context, string, string) (string, error) {
	return "", store.ErrNotFound
}

// TestCloudTrailAPIWiring builds a cloudtrail_api source from configuration
// and reads a LookupEvents endpoint that throttles once: the events and the
// throttled call are counted under the source's name, and the credentials
// reach neither the logs nor the metrics.
func TestCloudTrailAPIWiring(t *testing.T) {
	const secret = "PLANTEDSECRETcloudtrailapi0042"
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDWIRE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")

	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if calls.Add(1) == 1 {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		if !strings.Contains(string(body), `"AttributeKey":"ReadOnly"`) {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"InvalidLookupAttributesException","message":"write events only expected"}`)
			return
		}
		now := time.Now().UTC()
		var evs []map[string]any
		for i, id := range []string{"w1", "w2"} {
			ts := now.Add(-time.Duration(i+1) * time.Minute)
			rec := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333"},"eventTime":%q,"eventSource":"ec2.amazonaws.com","eventName":"DeleteSecurityGroup","awsRegion":"eu-west-1","requestParameters":{"groupId":"sg-1"},"eventID":%q,"readOnly":false,"recipientAccountId":"111122223333"}`,
				ts.Format(time.RFC3339), id)
			evs = append(evs, map[string]any{"EventId": id, "EventTime": float64(ts.Unix()), "CloudTrailEvent": rec})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Events": evs})
	}))
	defer srv.Close()

	cfg, err := config.Parse([]byte(fmt.Sprintf(`
events:
  - name: ct-api
    type: cloudtrail_api
    regions: [eu-west-1]
    rate_limit: 2
    endpoint_url: %s
`, srv.URL)), "dw.yaml", t.TempDir())
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, "test")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := eventSource(context.Background(), cfg.Events[0], m, log)
	require.NoError(t, err)
	require.Equal(t, "ct-api", src.Name())
	b, errs := src.Events(context.Background(), noCheckpoints{})
	require.Empty(t, errs)
	require.Len(t, b.Events, 2)
	require.Contains(t, b.Checkpoints, "api:default/eu-west-1")
	require.Equal(t, 2.0, testutil.ToFloat64(m.EventsIngested.WithLabelValues("ct-api")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.APIThrottled.WithLabelValues("ct-api")))

	var exposition strings.Builder
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		exposition.WriteString(mf.String())
	}
	require.Contains(t, exposition.String(), "api_throttled_total")
	require.NotContains(t, exposition.String(), secret)
	require.NotContains(t, logs.String(), secret)
}
