package audit

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestResultEntriesResolveTheirIntent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path, key)
	done, err := l.Begin(Entry{Action: "rewrite", Location: "app", Path: "/logs/a", Rule: "retention", Reason: "older than 30d", BytesBefore: 100})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := l.Begin(Entry{Action: "delete", Path: "/logs/secret-bob@example.com.log"})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := l.BeginBatch(Entry{Action: "delete", Path: "s3://b/1"}, Entry{Action: "delete", Path: "s3://b/2"})
	if err != nil || len(batch) != 2 || batch[1].Seq() != 4 {
		t.Fatalf("BeginBatch = %v, %v", batch, err)
	}
	if err := done.Done(Entry{Action: "delete", Records: 7, Fingerprints: []string{"fp1"}}); err != nil {
		t.Fatal(err)
	}
	if err := done.Done(Entry{}); err == nil {
		t.Error("a second result was logged")
	}
	cause := &fs.PathError{Op: "remove", Path: "/logs/secret-bob@example.com.log", Err: syscall.EACCES}
	if err := failed.Failed(fmt.Errorf("deleting %s: %w", "/logs/secret-bob@example.com.log", cause)); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(Outcome{Pending: batch[0]}); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(path, key)
	if err != nil || res.Entries != 7 {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if len(res.Unresolved) != 1 || res.Unresolved[0].Path != "s3://b/2" {
		t.Errorf("unresolved %+v, want s3://b/2 only", res.Unresolved)
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i, want := range []string{
		`"phase":"intent","action":"rewrite","location":"app","path":"/logs/a","rule":"retention","reason":"older than 30d","bytes_before":100`,
		`"phase":"done","intent":1,"action":"delete","location":"app","path":"/logs/a","rule":"retention","records":7,`,
		`"phase":"failed","intent":2,"action":"delete","path":"/logs/secret-bob@example.com.log","error":"remove: permission denied","key_id"`,
		`"phase":"done","intent":3,"action":"delete","path":"s3://b/1","key_id"`,
	} {
		line := lines[[]int{0, 4, 5, 6}[i]]
		if !strings.Contains(line, want) {
			t.Errorf("entry %s\nlacks %s", line, want)
		}
	}
	if n := strings.Count(string(data), "bob@example.com"); n != 2 {
		t.Errorf("the failed entry's path appears %d times, want 2 (intent and result, in path only)", n)
	}
}

func TestFailReasonHoldsNoPathsOrValues(t *testing.T) {
	secret := "/data/carol.jones@example.com/x.log"
	tests := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: secret, Err: syscall.ENOENT}, "open: no such file or directory"},
		{fmt.Errorf("quarantine %s: %w", secret, &os.LinkError{Op: "rename", Old: secret, New: secret + "2", Err: syscall.EXDEV}), "rename: invalid cross-device link"},
		{fmt.Errorf("reading %s: %w", secret, context.Canceled), "cancelled"},
		{fmt.Errorf("%s: %w", secret, fs.ErrNotExist), "does not exist"},
		{fmt.Errorf("value 4111 1111 1111 1111 in %s", secret), "failed"},
		{fmt.Errorf("%s: %w", secret, reasoned("changed since it was planned")), "changed since it was planned"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := failReason(tt.err); got != tt.want {
				t.Errorf("failReason = %q, want %q", got, tt.want)
			}
		})
	}
}

type reasoned string

func (r reasoned) Error() string       { return string(r) }
func (r reasoned) AuditReason() string { return string(r) }

// A failed result keeps what happened to each version of an object: some
// may have gone before the failure, and one kept must show as kept.
func TestFailedEntryKeepsVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path, key)
	p, err := l.Begin(Entry{Action: "delete", Path: "s3://b/k"})
	if err != nil {
		t.Fatal(err)
	}
	versions := []VersionOutcome{
		{Version: "v2", Outcome: VersionDeleted},
		{Version: "v1", Outcome: VersionKept, Reason: "AccessDenied"},
		{Version: "m", Marker: true, Outcome: VersionMarkerAdded},
	}
	if err := l.Finish(Outcome{Pending: p, Result: Entry{Version: "v2", Versions: versions, Reason: "dropped"}, Err: fmt.Errorf("s3://b/k: a version could not be deleted")}); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path, key); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{`"phase":"failed"`, `"version":"v2"`, `{"version":"v1","outcome":"kept","reason":"AccessDenied"}`, `"marker":true,"outcome":"marker-added"`} {
		if !strings.Contains(last, want) {
			t.Errorf("failed entry %s lacks %s", last, want)
		}
	}
	if strings.Contains(last, "dropped") || strings.Contains(last, "s3://b/k: a version") {
		t.Errorf("failed entry %s holds more than the versions and a short reason", last)
	}
}
