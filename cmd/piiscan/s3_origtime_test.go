package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/internal/s3test"
)

// A purge whose HEAD for an object's original time fails keeps the
// object, lists the failure, and exits 3: an object that may be due is
// not kept silently.
func TestPurgeOriginalTimeUnread(t *testing.T) {
	s := s3test.Start(t)
	s.Env(t)
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	refuseHead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(refuseHead.Close)
	t.Setenv("AWS_ENDPOINT_URL", refuseHead.URL)
	s.Bucket(t, "orig")
	s.Put(t, "orig", "logs/x.log", []byte("x\n"))
	dir := t.TempDir()
	policy := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(policy, []byte(fmt.Sprintf(`version: 1
rules:
  - {id: email, detector: email, severity: medium}
s3: {path_style: true}
locations:
  - {name: logs, paths: ["s3://orig/logs/"], retention: {max_age: 7d}}
enforcement:
  audit_log: %s/audit.jsonl
`, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIISCAN_NOW", time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339))
	code, out, errs := runCLI(t, "", "--config", policy, "purge")
	if code != exitUnreadable || !strings.Contains(out, "cannot examine s3://orig/logs/x.log: could not read its original time") ||
		!strings.Contains(out, "1 file could not be examined") {
		t.Fatalf("exit %d, want %d, and the HEAD's failure listed\n%s\n%s", code, exitUnreadable, out, errs)
	}
	t.Logf("plan:\n%s", out)
}
