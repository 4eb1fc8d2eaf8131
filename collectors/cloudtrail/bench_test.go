package cloudtrail

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// benchTemplates are realistic CloudTrail records (1-2 KB) of mixed kinds:
// read-only describes and gets, writes by Terraform, the console and the CLI,
// a failed call and an AWS service event.
var benchTemplates = []string{
	// read-only EC2 describe via SDK (the bulk of real traffic)
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:i-0123456789abcdef0","arn":"arn:aws:sts::111122223333:assumed-role/node-role/i-0123456789abcdef0","accountId":"111122223333","accessKeyId":"ASIA%[8]s","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/node-role","accountId":"111122223333","userName":"node-role"},"attributes":{"creationDate":"2024-05-01T10:00:00Z","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}},"eventTime":"2024-05-01T10:%02[2]d:%02[3]dZ","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"10.0.12.%[4]d","userAgent":"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0","requestParameters":{"instancesSet":{},"filterSet":{"items":[{"name":"tag:cluster","valueSet":{"items":[{"value":"prod"}]}}]}},"responseElements":null,"requestID":"%[5]s","eventID":"%[6]s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.eu-west-1.amazonaws.com"}}`,
	// read-only S3/KMS style
	`{"eventVersion":"1.09","userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"},"eventTime":"2024-05-01T10:%02[2]d:%02[3]dZ","eventSource":"kms.amazonaws.com","eventName":"GenerateDataKey","awsRegion":"eu-west-1","sourceIPAddress":"cloudtrail.amazonaws.com","userAgent":"cloudtrail.amazonaws.com","requestParameters":{"keySpec":"AES_256","encryptionContext":{"aws:cloudtrail:arn":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/org","aws:s3:arn":"arn:aws:s3:::org-trail-logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/file-%[1]d.json.gz"},"keyId":"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},"responseElements":null,"requestID":"%[5]s","eventID":"%[6]s","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"%[7]s","eventCategory":"Management"}`,
	// write: Terraform authorizes an ingress rule
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROADEPLOYER:terraform-run-%[1]d","arn":"arn:aws:sts::111122223333:assumed-role/deployer/terraform-run-%[1]d","accountId":"111122223333","accessKeyId":"ASIA%[8]s","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROADEPLOYER","arn":"arn:aws:iam::111122223333:role/deployer","accountId":"111122223333","userName":"deployer"},"attributes":{"creationDate":"2024-05-01T10:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-05-01T10:%02[2]d:%02[3]dZ","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.%[4]d","userAgent":"APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.56.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.167.1","requestParameters":{"groupId":"sg-0%[1]x","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8","description":"internal"}]},"ipv6Ranges":{},"prefixListIds":{}}]}},"responseElements":{"requestId":"%[5]s","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"111122223333","groupId":"sg-0%[1]x","securityGroupRuleId":"sgr-0%[1]x","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"10.0.0.0/8","description":"internal"}]}},"requestID":"%[5]s","eventID":"%[6]s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
	// write: console user changes a bucket policy (Identity Center)
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROASSO:alice@example.com","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com","accountId":"111122223333","accessKeyId":"ASIA%[8]s","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROASSO","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef","accountId":"111122223333","userName":"AWSReservedSSO_Admin_0123456789abcdef"},"attributes":{"creationDate":"2024-05-01T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-05-01T10:%02[2]d:%02[3]dZ","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.%[4]d","userAgent":"[Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36]","requestParameters":{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets-%[1]d/*"}]},"bucketName":"assets-%[1]d","Host":"assets-%[1]d.s3.eu-west-1.amazonaws.com","policy":""},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":212,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"abc","bytesTransferredOut":0},"requestID":"%[5]s","eventID":"%[6]s","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::assets-%[1]d"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","sessionCredentialFromConsole":"true"}`,
	// write: CLI call that failed
	`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","accessKeyId":"AKIA%[8]s","userName":"bob"},"eventTime":"2024-05-01T10:%02[2]d:%02[3]dZ","eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.%[4]d","userAgent":"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 command/iam.attach-role-policy","errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:AttachRolePolicy on resource: role app-%[1]d because no identity-based policy allows the iam:AttachRolePolicy action","requestParameters":null,"responseElements":null,"requestID":"%[5]s","eventID":"%[6]s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}`,
	// read-only STS assume role by a service
	`{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"ecs-tasks.amazonaws.com"},"eventTime":"2024-05-01T10:%02[2]d:%02[3]dZ","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"eu-west-1","sourceIPAddress":"ecs-tasks.amazonaws.com","userAgent":"ecs-tasks.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/task-role","roleSessionName":"task-%[1]d"},"responseElements":{"credentials":{"accessKeyId":"ASIA%[8]s","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKEN%[1]d","expiration":"May 1, 2024, 4:00:00 PM"}},"requestID":"%[5]s","eventID":"%[6]s","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/task-role"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"%[7]s","eventCategory":"Management"}`,
}

// writeBenchFiles writes nfiles gzip CloudTrail log files of per records
// each, in the S3 delivery layout under dir, and returns their paths.
func writeBenchFiles(tb testing.TB, dir string, nfiles, per int) []string {
	tb.Helper()
	rnd := rand.New(rand.NewSource(1))
	var paths []string
	id := 0
	base := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "eu-west-1", "2024", "05", "01")
	if err := os.MkdirAll(base, 0o755); err != nil {
		tb.Fatal(err)
	}
	for f := 0; f < nfiles; f++ {
		var buf bytes.Buffer
		buf.WriteString(`{"Records":[`)
		for i := 0; i < per; i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			// Mix: about 70% read-only, as in real trails.
			k := rnd.Intn(10)
			var t string
			switch {
			case k < 4:
				t = benchTemplates[0]
			case k < 6:
				t = benchTemplates[1]
			case k < 7:
				t = benchTemplates[5]
			case k < 8:
				t = benchTemplates[2]
			case k < 9:
				t = benchTemplates[3]
			default:
				t = benchTemplates[4]
			}
			fmt.Fprintf(&buf, t, id, (id/60)%60, id%60, id%250, uuid(rnd), uuid(rnd), uuid(rnd), keyID(rnd))
			id++
		}
		buf.WriteString(`]}`)
		p := filepath.Join(base, fmt.Sprintf("111122223333_CloudTrail_eu-west-1_20240501T10%02dZ_%016d.json.gz", f%60, f))
		out, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		zw := gzip.NewWriter(out)
		if _, err := zw.Write(buf.Bytes()); err != nil {
			tb.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			tb.Fatal(err)
		}
		if err := out.Close(); err != nil {
			tb.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// uuid is a random v4-style UUID: CloudTrail's eventID, requestID and
// sharedEventID are random, which is what makes real log files compress
// about 10x rather than the 40x of records that differ only in a counter.
func uuid(rnd *rand.Rand) string {
	var b [16]byte
	rnd.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// keyID is the random part of an access key id (AKIA/ASIA + 16 characters).
func keyID(rnd *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [16]byte
	for i := range b {
		b[i] = alphabet[rnd.Intn(len(alphabet))]
	}
	return string(b[:])
}

const benchFiles, benchPer = 8, 5000

func loadBench(b *testing.B) ([][]byte, int) {
	dir := b.TempDir()
	if d := os.Getenv("CLOUDTRAIL_BENCH_DIR"); d != "" { // keep the files for zcat
		dir = d
	}
	paths := writeBenchFiles(b, dir, benchFiles, benchPer)
	var files [][]byte
	var raw int
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		zr, _ := gzip.NewReader(bytes.NewReader(data))
		n, _ := io.Copy(io.Discard, zr)
		raw += int(n)
	}
	b.Logf("%d files, %d events, %.0f bytes/event uncompressed", len(files), benchFiles*benchPer, float64(raw)/float64(benchFiles*benchPer))
	return files, raw
}

// cpuSeconds is the process's user+system CPU time: on a shared machine
// events per CPU-second is the figure that does not depend on other load.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchEvents runs pass over the benchmark files b.N times and reports
// events per second and per CPU-second.
func benchEvents(b *testing.B, pass func(files [][]byte)) {
	files, raw := loadBench(b)
	b.SetBytes(int64(raw))
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuSeconds()
	for i := 0; i < b.N; i++ {
		pass(files)
	}
	b.ReportMetric(float64(b.N*benchFiles*benchPer)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(b.N*benchFiles*benchPer)/(cpuSeconds()-cpu0), "events/cpu-s")
}

// BenchmarkDecompressOnly is the baseline: klauspost gzip to io.Discard.
func BenchmarkDecompressOnly(b *testing.B) {
	benchEvents(b, func(files [][]byte) { decompressFiles(b, files) })
}

// BenchmarkIngest is the ingest pipeline the issue measures: decompress,
// split, filter write events, normalise and map to resources, giving each
// event as the file source does (fileEvent, with its Origin).
func BenchmarkIngest(b *testing.B) {
	var kept, seen int
	benchEvents(b, func(files [][]byte) {
		k, n := ingestFiles(b, files)
		kept += k
		seen += n
	})
	b.ReportMetric(float64(kept)/float64(seen), "kept/event")
}

// BenchmarkIngestSource is the file source's own reading of files already
// in memory (readLogFile): the pipeline, plus de-duplication by event id
// and the cycle's batch (one batch per pass over the files, as one cycle).
func BenchmarkIngestSource(b *testing.B) {
	in := newBenchIngester(b)
	benchEvents(b, in.pass)
	b.ReportMetric(float64(in.kept)/float64(in.seen), "kept/event")
}

// ingestFiles is BenchmarkIngest's work: the events are made and dropped.
func ingestFiles(tb testing.TB, files [][]byte) (kept, seen int) {
	for i, f := range files {
		loc := benchKey(i)
		var ar arena
		n, err := streamRecords(bytes.NewReader(f), func(j int, rec, ro, name []byte, members []int32) error {
			if (Options{}).skipFast(ro, name) {
				return nil
			}
			ev, err := fileEvent(rec, members, Options{}, &ar)
			if err == errSkipped {
				return nil
			}
			if err != nil {
				return err
			}
			ev.Origin = model.Origin{File: loc, Record: j}
			if ev.ID != "" {
				kept++
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		seen += n
	}
	return kept, seen
}

// benchKey is the delivery key of benchmark file i.
func benchKey(i int) string {
	return fmt.Sprintf("AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T10%02dZ_bench%d.json.gz", i, i)
}

// benchIngester runs the file source's reading of log files already in
// memory (readLogFile).
type benchIngester struct {
	tb         testing.TB
	src        *FileSource
	kept, seen int
}

func newBenchIngester(tb testing.TB) *benchIngester {
	src, err := NewFileSource("bench", FileConfig{Dir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	return &benchIngester{tb: tb, src: src}
}

func (in *benchIngester) pass(files [][]byte) {
	batch := collectors.EventBatch{Source: "bench"}
	seen := map[string]bool{}
	for i, f := range files {
		k, n, err := in.src.readLogFile(benchKey(i), bytes.NewReader(f), &batch, seen)
		if err != nil {
			in.tb.Fatal(err)
		}
		in.kept += k
		in.seen += n
	}
}

// decompressFiles is BenchmarkDecompressOnly's work.
func decompressFiles(tb testing.TB, files [][]byte) {
	for _, f := range files {
		zr, err := gzip.NewReader(bytes.NewReader(f))
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkIngestRatio alternates decompression alone and ingest over the
// same files, each iteration one pass of each, and reports the ratio of
// their CPU times: on a shared machine the two runs of
// BenchmarkDecompressOnly and BenchmarkIngest can meet different load,
// where alternating passes meet the same. pipeline is BenchmarkIngest's
// work, source BenchmarkIngestSource's.
func BenchmarkIngestRatio(b *testing.B) {
	in := newBenchIngester(b)
	for _, c := range []struct {
		name string
		pass func(files [][]byte)
	}{
		{"pipeline", func(files [][]byte) { ingestFiles(b, files) }},
		{"source", in.pass},
	} {
		b.Run(c.name, func(b *testing.B) {
			files, _ := loadBench(b)
			var dec, ing float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c0 := cpuSeconds()
				decompressFiles(b, files)
				c1 := cpuSeconds()
				c.pass(files)
				c2 := cpuSeconds()
				dec += c1 - c0
				ing += c2 - c1
			}
			events := float64(b.N * benchFiles * benchPer)
			b.ReportMetric(events/dec, "decompress-events/cpu-s")
			b.ReportMetric(events/ing, "ingest-events/cpu-s")
			b.ReportMetric(ing/dec, "ingest/decompress")
		})
	}
}

// BenchmarkNormalizeWrites is the per-record work after splitting, on the
// write records of the benchmark files only (about 30% of them): decode
// the top level, principal, via, map to resources, keep Raw.
func BenchmarkNormalizeWrites(b *testing.B) {
	files, _ := loadBench(b)
	type rec struct {
		raw     []byte
		members []int32
	}
	var recs []rec
	for _, f := range files {
		_, err := streamRecords(bytes.NewReader(f), func(_ int, raw, ro, name []byte, members []int32) error {
			if !(Options{}).skipFast(ro, name) {
				recs = append(recs, rec{append([]byte(nil), raw...), append([]int32(nil), members...)})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		var ar arena
		for _, r := range recs {
			if _, err := fileEvent(r.raw, r.members, Options{}, &ar); err != nil && err != errSkipped {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N*len(recs)), "cpu-ns/write")
}
