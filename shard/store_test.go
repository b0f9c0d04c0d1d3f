package shard

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/piiscan/piiscan/internal/s3test"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// Files are streamed into a bucket: small ones in one PUT, large ones as a
// multipart upload that appears only when complete; an abort leaves
// neither an object nor parts behind.
func TestObjectStore(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	srv.Bucket(t, "out")
	ctx := context.Background()
	cl, err := bucket.New(ctx, bucket.Options{PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore("s3://out/run-1", cl)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 2*partSize+12345)
	for i := range big {
		big[i] = byte(rand.IntN(256))
	}
	for _, tc := range []struct {
		shard Shard
		body  []byte
	}{{Shard{0, 2}, []byte("small\n")}, {Shard{1, 2}, big}} {
		p, err := st.Create(ctx, tc.shard.FileName())
		if err != nil {
			t.Fatal(err)
		}
		// Written in odd pieces, as a report writer does.
		for rest := tc.body; len(rest) > 0; {
			n := min(len(rest), 100003)
			if _, err := p.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if tc.shard.Index == 1 {
			if got, _ := st.Shards(ctx, ""); len(got) != 1 {
				t.Fatalf("an unfinished upload is listed: %v", got)
			}
		}
		if err := p.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := srv.Get(t, "out", "run-1/"+tc.shard.FileName()); !bytes.Equal(got, tc.body) {
			t.Fatalf("%s: %d bytes read back, want %d", tc.shard.FileName(), len(got), len(tc.body))
		}
	}
	p, _ := st.Create(ctx, "shard-00000-of-00003.jsonl")
	p.Write(big)
	p.Abort()
	got, err := st.Shards(ctx, "")
	if err != nil || len(got) != 2 {
		t.Fatalf("after an abort: %v %v", got, err)
	}
	ups, err := srv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("out")})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("uploads left behind: %v %v", ups, err)
	}
	// A run's set, told by the headers of the objects.
	o, err := st.NewOutput(ctx, Header{Index: 0, Count: 1, Run: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Finish(ctx, nil, true); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time from the cache
		if done, n, err := st.Complete(ctx, "r1"); err != nil || !done || n != 1 {
			t.Fatalf("run r1: complete %v, %d files, %v", done, n, err)
		}
	}
	if done, n, _ := st.Complete(ctx, "r2"); done || n != 0 {
		t.Fatalf("run r2: complete %v, %d files", done, n)
	}
}

// Only the files of the run asked for count towards a complete set.
func TestShardsOfRun(t *testing.T) {
	ctx := context.Background()
	st, _ := OpenStore(t.TempDir(), nil)
	write := func(sh Shard, run string) {
		o, err := st.NewOutput(ctx, Header{Index: sh.Index, Count: sh.Count, Run: run})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Finish(ctx, nil, true); err != nil {
			t.Fatal(err)
		}
	}
	// A header far longer than a read buffer (many targets) still counts.
	many := make([]string, 3000)
	for i := range many {
		many[i] = "/var/log/hosts/web-" + strings.Repeat("x", 20) + string(rune('a'+i%26))
	}
	o, err := st.NewOutput(ctx, Header{Index: 0, Count: 1, Run: "long", Targets: many})
	if err != nil {
		t.Fatal(err)
	}
	o.Finish(ctx, nil, true)
	if done, _, _ := st.Complete(ctx, "long"); !done {
		t.Fatal("a file with a long header was not counted")
	}
	os.Remove(filepath.Join(st.String(), Shard{0, 1}.FileName()))

	write(Shard{0, 2}, "yesterday")
	write(Shard{1, 2}, "yesterday")
	write(Shard{0, 2}, "today") // replaces yesterday's shard 0
	if done, n, _ := st.Complete(ctx, "today"); done || n != 1 {
		t.Fatalf("today: complete %v with %d files", done, n)
	}
	if done, _, _ := st.Complete(ctx, ""); !done {
		t.Fatal("without a run every file counts")
	}
	write(Shard{1, 2}, "today")
	if done, n, _ := st.Complete(ctx, "today"); !done || n != 2 {
		t.Fatalf("today: complete %v with %d files", done, n)
	}
	_, release, err := collect(ctx, []string{st.String()}, nil, "tomorrow", 0, 0)
	release()
	if err == nil {
		t.Fatal("a run with no files was merged")
	}
}
