package gcpasset

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"

	"cloud.google.com/go/asset/apiv1/assetpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

type fakeAsset struct {
	assetpb.UnimplementedAssetServiceServer
	mu       sync.Mutex
	assets   map[assetpb.ContentType][]*assetpb.Asset
	requests []*assetpb.ListAssetsRequest
	fail     map[string]codes.Code // parent -> error
}

func (f *fakeAsset) ListAssets(_ context.Context, req *assetpb.ListAssetsRequest) (*assetpb.ListAssetsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if c, ok := f.fail[req.Parent]; ok {
		return nil, status.Error(c, "injected")
	}
	all := f.assets[req.ContentType]
	off, _ := strconv.Atoi(req.PageToken)
	end := min(off+2, len(all)) // two per page, whatever was asked
	resp := &assetpb.ListAssetsResponse{Assets: all[off:end]}
	if end < len(all) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

func startAsset(t *testing.T, f *fakeAsset) []option.ClientOption {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	assetpb.RegisterAssetServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return []option.ClientOption{option.WithEndpoint(lis.Addr().String()), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials()))}
}

func pbData(t *testing.T, m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	require.NoError(t, err)
	return s
}

func TestAPIListAssetsPagingAndIAM(t *testing.T) {
	f := &fakeAsset{assets: map[assetpb.ContentType][]*assetpb.Asset{}, fail: map[string]codes.Code{"projects/broken": codes.PermissionDenied}}
	for _, n := range []string{"fw1", "fw2", "fw3"} {
		f.assets[assetpb.ContentType_RESOURCE] = append(f.assets[assetpb.ContentType_RESOURCE], &assetpb.Asset{
			Name: "//compute.googleapis.com/projects/p1/global/firewalls/" + n, AssetType: "compute.googleapis.com/Firewall",
			Resource: &assetpb.Resource{Location: "global", Data: pbData(t, map[string]any{"name": n, "direction": "INGRESS",
				"sourceRanges": []any{"0.0.0.0/0"}, "allowed": []any{map[string]any{"IPProtocol": "tcp", "ports": []any{"22"}}}})},
		})
	}
	f.assets[assetpb.ContentType_IAM_POLICY] = []*assetpb.Asset{{
		Name: "//pubsub.googleapis.com/projects/p1/topics/t", AssetType: "pubsub.googleapis.com/Topic",
		IamPolicy: &iampb.Policy{Bindings: []*iampb.Binding{{Role: "roles/pubsub.publisher", Members: []string{"serviceAccount:x@p1.iam.gserviceaccount.com"}}}},
	}}
	src := NewAPISource("cai", APIConfig{Parents: []string{"projects/p1", "projects/broken"}, ClientOptions: startAsset(t, f)})
	defer src.Close()
	inv, errs := src.Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "projects/broken")
	require.Equal(t, codes.PermissionDenied, status.Code(errs[0]))

	ids := byID(inv)
	require.Len(t, ids, 3+3, "3 firewalls over two pages, and the topic policy, binding, member")
	fw := ids["//compute.googleapis.com/projects/p1/global/firewalls/fw3"]
	require.Equal(t, "google_compute_firewall", fw.Type)
	require.Equal(t, []any{map[string]any{"protocol": "tcp", "ports": []any{"22"}}}, fw.Attributes["allow"])
	require.Equal(t, "p1", fw.Account)
	require.Contains(t, ids, "//pubsub.googleapis.com/projects/p1/topics/t/iamPolicy/roles/pubsub.publisher/members/serviceAccount:x@p1.iam.gserviceaccount.com")

	// Both content types asked, with the table's asset types.
	var cts []assetpb.ContentType
	for _, r := range f.requests {
		if r.Parent == "projects/p1" && r.PageToken == "" {
			cts = append(cts, r.ContentType)
			require.Contains(t, r.AssetTypes, "storage.googleapis.com/Bucket")
		}
	}
	require.ElementsMatch(t, []assetpb.ContentType{assetpb.ContentType_RESOURCE, assetpb.ContentType_IAM_POLICY}, cts)

	// The failed parent is not covered: nothing of it can be "missing".
	require.True(t, inv.Coverage.Covers("google_compute_firewall", "p1", ""))
	require.False(t, inv.Coverage.Covers("google_compute_firewall", "broken", ""))
}
