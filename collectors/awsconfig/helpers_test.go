package awsconfig_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	acct   = "111122223333"
	region = "eu-west-1"
)

// snapshot builds a delivered snapshot body.
func snapshot(items ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"fileVersion": "1.0", "configSnapshotId": "0f1e2d3c-aaaa-bbbb-cccc-000000000001", "configurationItems": items})
	if err != nil {
		panic(err)
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// snapshotKey is the delivery key of a snapshot.
func snapshotKey(account, reg string, y, m, d int, ts string) string {
	return fmt.Sprintf("AWSLogs/%s/Config/%s/%d/%d/%d/ConfigSnapshot/%s_Config_%s_ConfigSnapshot_%s_3f0e6a0c-1b2c-4d5e-8f90-123456789abc.json.gz", account, reg, y, m, d, account, reg, ts)
}

func writeFile(t *testing.T, dir, rel string, body []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, body, 0o644))
	return p
}

// item builds a snapshot-dialect configuration item.
func item(typ, id, name, arn string, configuration, supplementary map[string]any, tags map[string]string) map[string]any {
	m := map[string]any{
		"configurationItemVersion":     "1.3",
		"configurationItemCaptureTime": "2026-11-20T10:00:00.000Z",
		"configurationStateId":         1763632800000,
		"awsAccountId":                 acct,
		"configurationItemStatus":      "OK",
		"resourceType":                 typ,
		"resourceId":                   id,
		"ARN":                          arn,
		"awsRegion":                    region,
		"availabilityZone":             "Not Applicable",
		"configurationStateMd5Hash":    "",
		"relationships":                []any{},
		"configuration":                configuration,
		"supplementaryConfiguration":   supplementary,
		"tags":                         tags,
	}
	if name != "" {
		m["resourceName"] = name
	}
	if supplementary == nil {
		m["supplementaryConfiguration"] = map[string]any{}
	}
	if tags == nil {
		m["tags"] = map[string]string{}
	}
	return m
}

func perm(proto string, from, to int, cidrs map[string]string) map[string]any {
	var v4 []any
	var plain []any
	for c, d := range cidrs {
		r := map[string]any{"cidrIp": c}
		if d != "" {
			r["description"] = d
		}
		v4 = append(v4, r)
		plain = append(plain, c)
	}
	p := map[string]any{"ipProtocol": proto, "ipv4Ranges": v4, "ipRanges": plain, "ipv6Ranges": []any{}, "prefixListIds": []any{}, "userIdGroupPairs": []any{}}
	if proto != "-1" {
		p["fromPort"], p["toPort"] = from, to
	}
	return p
}

func sgItem(id, name string, ingress []any) map[string]any {
	return item("AWS::EC2::SecurityGroup", id, "", "arn:aws:ec2:"+region+":"+acct+":security-group/"+id, map[string]any{
		"ownerId": acct, "groupName": name, "groupId": id, "description": name, "vpcId": "vpc-0a1b2c3d",
		"ipPermissions":       ingress,
		"ipPermissionsEgress": []any{perm("-1", 0, 0, map[string]string{"0.0.0.0/0": ""})},
		"tags":                []any{map[string]any{"key": "team", "value": "web"}, map[string]any{"key": "env", "value": "prod"}},
	}, nil, map[string]string{"team": "web", "env": "prod"})
}

const bucketPolicyLive = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecure","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::acme-logs/*","arn:aws:s3:::acme-logs"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

func bucketItem(name string, versioning string) map[string]any {
	sup := map[string]any{
		"AccessControlList":                 `"{\"grantSet\":null,\"grantList\":[],\"owner\":{\"displayName\":null,\"id\":\"abc\"},\"isRequesterCharged\":false}"`,
		"BucketAccelerateConfiguration":     map[string]any{"status": nil},
		"BucketLoggingConfiguration":        map[string]any{"destinationBucketName": nil, "logFilePrefix": nil},
		"BucketPolicy":                      map[string]any{"policyText": bucketPolicyLive},
		"BucketVersioningConfiguration":     `{"status":"` + versioning + `","isMfaDeleteEnabled":null}`,
		"IsRequesterPaysEnabled":            false,
		"PublicAccessBlockConfiguration":    map[string]any{"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true},
		"ServerSideEncryptionConfiguration": `{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"AES256","kmsMasterKeyID":null},"bucketKeyEnabled":false}]}`,
	}
	return item("AWS::S3::Bucket", name, name, "arn:aws:s3:::"+name, map[string]any{
		"name": name, "owner": map[string]any{"displayName": nil, "id": "abc"}, "creationDate": "2026-01-02T03:04:05.000Z",
	}, sup, map[string]string{"team": "data", "aws:cloudformation:stack-name": "x"})
}

func roleItem(name string, trust string) map[string]any {
	it := item("AWS::IAM::Role", "AROAEXAMPLEID0000001", name, "arn:aws:iam::"+acct+":role/"+name, map[string]any{
		"path": "/", "roleName": name, "roleId": "AROAEXAMPLEID0000001", "arn": "arn:aws:iam::" + acct + ":role/" + name,
		"createDate": "2026-01-01T00:00:00Z", "assumeRolePolicyDocument": url.QueryEscape(trust),
		"instanceProfileList": []any{}, "rolePolicyList": []any{}, "attachedManagedPolicies": []any{},
		"permissionsBoundary": nil, "tags": []any{}, "roleLastUsed": nil, "description": nil, "maxSessionDuration": 3600,
	}, nil, nil)
	it["awsRegion"] = "global"
	return it
}

func instanceItem(id, typ string) map[string]any {
	return item("AWS::EC2::Instance", id, "", "arn:aws:ec2:"+region+":"+acct+":instance/"+id, map[string]any{
		"instanceId": id, "instanceType": typ, "imageId": "ami-0123456789abcdef0", "subnetId": "subnet-0a1b", "vpcId": "vpc-0a1b2c3d",
		"securityGroups": []any{map[string]any{"groupName": "web", "groupId": "sg-0web"}},
		"state":          map[string]any{"code": 16, "name": "running"}, "launchTime": "2026-01-01T00:00:00.000Z",
	}, nil, map[string]string{"Name": "app-1"})
}
