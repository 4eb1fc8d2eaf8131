package tfstate

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeSyntheticState writes a Terraform v4 state shaped like a large real
// one: resources of a few types spread over modules, each with `count`
// instances, each instance with about 20 attributes (strings, numbers,
// booleans, a list of objects, tags and tags_all), indented as Terraform
// indents. It returns the number of managed instances written.
func writeSyntheticState(path string, resources, perResource int) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	types := []string{"aws_security_group", "aws_subnet", "aws_instance", "aws_s3_bucket", "aws_iam_role"}
	teams := []string{"payments", "search", "platform", "data", "identity", "edge"}
	envs := []string{"prod", "staging", "dev"}
	regions := []string{"eu-west-1", "us-east-1", "ap-southeast-2"}
	w.WriteString("{\n  \"version\": 4,\n  \"terraform_version\": \"1.9.8\",\n  \"serial\": 1234,\n  \"lineage\": \"9b0f3e3c-5d1a-4c55-8f0e-1d2c3b4a5f60\",\n  \"outputs\": {},\n  \"resources\": [\n")
	n := 0
	var b []byte
	for r := 0; r < resources; r++ {
		typ := types[r%len(types)]
		region := regions[r%len(regions)]
		team := teams[r%len(teams)]
		env := envs[r%len(envs)]
		b = b[:0]
		if r > 0 {
			b = append(b, ",\n"...)
		}
		b = append(b, "    {\n"...)
		if r%4 != 0 {
			b = append(b, "      \"module\": \"module.svc_"...)
			b = strconv.AppendInt(b, int64(r%97), 10)
			b = append(b, "[\\\""...)
			b = append(b, team...)
			b = append(b, "\\\"]\",\n"...)
		}
		b = append(b, "      \"mode\": \"managed\",\n      \"type\": \""...)
		b = append(b, typ...)
		b = append(b, "\",\n      \"name\": \"r"...)
		b = strconv.AppendInt(b, int64(r), 10)
		b = append(b, "\",\n      \"provider\": \"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\",\n      \"instances\": [\n"...)
		for i := 0; i < perResource; i++ {
			id := fmt.Sprintf("%s-%07x%05x", typ[4:7], r, i)
			if i > 0 {
				b = append(b, ",\n"...)
			}
			b = append(b, "        {\n          \"index_key\": "...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, ",\n          \"schema_version\": 1,\n          \"attributes\": {\n"...)
			b = fmt.Appendf(b, "            \"arn\": \"arn:aws:ec2:%s:123456789012:%s/%s\",\n", region, typ[4:], id)
			b = fmt.Appendf(b, "            \"id\": \"%s\",\n", id)
			b = fmt.Appendf(b, "            \"name\": \"%s-%s-%d\",\n", team, env, i)
			b = append(b, "            \"description\": \"Managed by Terraform\",\n"...)
			b = fmt.Appendf(b, "            \"vpc_id\": \"vpc-%08x\",\n", r)
			b = append(b, "            \"owner_id\": \"123456789012\",\n"...)
			b = fmt.Appendf(b, "            \"cidr_block\": \"10.%d.%d.0/24\",\n", r%256, i%256)
			b = append(b, "            \"ipv6_cidr_block\": \"\",\n"...)
			b = fmt.Appendf(b, "            \"availability_zone\": \"%sa\",\n", region)
			b = fmt.Appendf(b, "            \"port\": %d,\n", 1024+i)
			b = append(b, "            \"protocol\": \"tcp\",\n"...)
			b = fmt.Appendf(b, "            \"enabled\": %t,\n", i%2 == 0)
			b = append(b, "            \"force_destroy\": false,\n"...)
			b = append(b, "            \"kms_key_id\": null,\n"...)
			b = append(b, "            \"timeouts\": null,\n"...)
			b = append(b, "            \"security_groups\": [\n              \"sg-0a1b2c3d\"\n            ],\n"...)
			b = append(b, "            \"policy\": \"{\\\"Version\\\":\\\"2012-10-17\\\"}\",\n"...)
			b = fmt.Appendf(b, "            \"created_at\": \"2024-05-%02dT10:00:00Z\",\n", 1+i%28)
			// Most resources carry only the default tags, so many share
			// one tag set; instances also carry a unique Name tag.
			if typ == "aws_instance" {
				b = fmt.Appendf(b, "            \"tags\": {\n              \"Name\": \"%s\"\n            },\n", id)
				b = fmt.Appendf(b, "            \"tags_all\": {\n              \"Name\": \"%s\",\n              \"team\": \"%s\",\n              \"env\": \"%s\"\n            }\n", id, team, env)
			} else {
				b = append(b, "            \"tags\": {},\n"...)
				b = fmt.Appendf(b, "            \"tags_all\": {\n              \"team\": \"%s\",\n              \"env\": \"%s\"\n            }\n", team, env)
			}
			b = append(b, "          },\n          \"sensitive_attributes\": []\n        }"...)
			n++
		}
		b = append(b, "\n      ]\n    }"...)
		if _, err := w.Write(b); err != nil {
			f.Close()
			return 0, err
		}
	}
	w.WriteString("\n  ],\n  \"check_results\": null\n}\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}

func TestSyntheticStateDecodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.tfstate")
	n, err := writeSyntheticState(path, 7, 3)
	require.NoError(t, err)
	st, err := decodeTestFile(t, path)
	require.NoError(t, err)
	require.Len(t, st.Resources, n)
	r := st.Resources[3]
	require.Equal(t, `module.svc_1["search"].aws_subnet.r1[0]`, r.Address)
	require.Equal(t, "us-east-1", r.Region)
	require.Equal(t, "search", r.Tags["team"])
	require.Equal(t, "staging", r.Tags["env"])
	want := referenceDecode(t, path)
	for i := range want {
		require.JSONEq(t, string(want[i].attrs), string(st.Resources[i].RawAttributes))
	}
}

// heapSampler records the peak of live+unswept heap objects while running.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.peak.Store(heapObjects())
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				if v := heapObjects(); v > h.peak.Load() {
					h.peak.Store(v)
				}
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() uint64 {
	close(h.stop)
	h.wg.Wait()
	if v := heapObjects(); v > h.peak.Load() {
		h.peak.Store(v)
	}
	return h.peak.Load()
}

// BenchmarkDecodeLargeState loads large synthetic states:
//
//	go test -run x -bench LargeState -benchtime 1x -cpu 1 ./collectors/tfstate/
//
// instances=300000 has 300,000 instances of 20 attributes (about 310 MB
// as Terraform indents it); size=200MB has the same instances, fewer of
// them. Each reports throughput (MB/s, instances/s), the CPU time of the
// load (robust to a busy machine, unlike ns/op), the peak heap during the
// load (heap objects sampled every 2 ms plus a final read, minus the heap
// before), the heap the result still holds after a GC, and the file size.
func BenchmarkDecodeLargeState(b *testing.B) {
	for _, bc := range []struct {
		name      string
		resources int
	}{
		{"instances=300000", 6000},
		{"size=200MB", 3900},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkDecode(b, bc.resources, 50) })
	}
}

func benchmarkDecode(b *testing.B, resources, perResource int) {
	path := filepath.Join(b.TempDir(), "large.tfstate")
	n, err := writeSyntheticState(path, resources, perResource)
	require.NoError(b, err)
	fi, err := os.Stat(path)
	require.NoError(b, err)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var elapsed, cpu time.Duration
	var peak, retained uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		base := heapObjects()
		h := startHeapSampler(2 * time.Millisecond)
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime()
		f, err := os.Open(path)
		require.NoError(b, err)
		st, err := Decode(f, DecodeOptions{Location: path, Stack: "large", SizeHint: fi.Size()})
		elapsed += time.Since(t0)
		cpu += cpuTime() - c0
		b.StopTimer()
		require.NoError(b, err)
		require.NoError(b, f.Close())
		p := h.finish()
		require.Len(b, st.Resources, n)
		runtime.GC()
		peak = max(peak, p-base)
		retained = heapObjects() - base
		runtime.KeepAlive(st)
		b.StartTimer()
	}
	const mb = 1 << 20
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "instances/s")
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
	b.ReportMetric(float64(peak)/mb, "peak-heap-MB")
	b.ReportMetric(float64(retained)/mb, "retained-MB")
	b.ReportMetric(float64(fi.Size())/mb, "file-MB")
}
