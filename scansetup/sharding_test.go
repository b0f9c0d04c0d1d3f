package scansetup

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
)

// A shard's findings file names the key the scan fingerprinted with,
// taken from the scan's own fingerprinter: the key is not looked up again
// (which could read another key, or make one) when the file is started.
func TestShardFileNamesTheScansKey(t *testing.T) {
	const key, later = "5c1e0a9d3b7f4286e1d0c5a7b92f38e4", "a8d2f61c04b9e37d5f1a2c8e6b0d4973"
	out := t.TempDir()
	t.Setenv("PIISCAN_FINGERPRINT_KEY", key)
	t.Setenv("PIISCAN_SHARD", "0/2")
	t.Setenv("PIISCAN_SHARD_OUTPUT", out)
	c, err := config.Parse("test.yaml", []byte("version: 1\nrules:\n  - {id: email, detector: email, severity: low}\n"+
		"locations:\n  - {name: logs, paths: ["+t.TempDir()+"]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := JobSettings(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sh, err := NewSharding(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sh.Start(ctx, "scan", []string{"x"}, c, "test"); err == nil {
		t.Error("Start before Apply")
	}
	s, err := New(Request{Config: c, Job: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// The key is rotated while the scan runs with the one it read.
	t.Setenv("PIISCAN_FINGERPRINT_KEY", later)
	sh.Apply(&s.Options)
	o, err := sh.Start(ctx, "scan", []string{"x"}, c, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Finish(ctx, &scanners.Stats{}, true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "shard-00000-of-00002.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := bytes.Cut(b, []byte("\n"))
	if want := `"key_id":"` + finding.KeyID([]byte(key)) + `"`; !strings.Contains(string(head), want) {
		t.Errorf("header %s\nwant %s in it", head, want)
	}
}
