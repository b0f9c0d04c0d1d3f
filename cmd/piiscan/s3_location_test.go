package main

import (
	"strings"
	"testing"

	"github.com/piiscan/piiscan/internal/s3test"
)

// A job's location s3://b/web is the folder web/: its scan does not read
// web-archive/ beside it, nor report a finding there under web.
func TestRunJobLocationPrefixIsFolder(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	s.Bucket(t, "sib")
	s.Put(t, "sib", "web/app.log", []byte("bob@example.com\n"))
	s.Put(t, "sib", "web-archive/old.log", []byte("carol@example.com\n"))
	s.Put(t, "sib", "web.log", []byte("dave@example.com\n"))
	b := runS3AuditShard(t, "", "s3://sib/web")
	if !strings.Contains(b, "s3://sib/web/app.log") || strings.Contains(b, "web-archive") || strings.Contains(b, "web.log") {
		t.Errorf("findings file:\n%s", b)
	}
}
