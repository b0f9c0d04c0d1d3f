package plantext

import (
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/retention"
	"github.com/piiscan/piiscan/scanners"
)

func TestUnexamined(t *testing.T) {
	roots := map[string][]string{"/var/log/app": {"app", "app-audit"}, "s3://b/x/": {"bucket"}}
	tests := []struct {
		name     string
		problems []scanners.Problem
		want     string
	}{
		{"none", nil, ""},
		{"a root", []scanners.Problem{{Path: "s3://b/x/", Error: "NoSuchBucket"}}, "1 location could not be read"},
		{"a shared root names its locations once", []scanners.Problem{{Path: "/var/log/app", Error: "EIO"}, {Path: "/var/log/app", Error: "EIO"}}, "2 locations could not be read"},
		{"a missing path", []scanners.Problem{{Path: "/mnt/gone", Missing: true}}, "1 location could not be read"},
		{"files and others", []scanners.Problem{{Path: "/var/log/app/a.log"}, {Path: "/var/log/app/b.log"}, {Error: "walk"}},
			"2 files could not be examined, 1 other problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := unexamined(roots, tc.problems); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWritePlanEscapes checks that names in a plan are escaped: a file
// name can hold terminal escapes, and '!' separates archive members.
func TestWritePlanEscapes(t *testing.T) {
	loc := &config.Location{Name: "app"}
	p := &retention.Plan{
		Now:   time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC),
		Items: []*retention.Item{{Location: loc, Path: "/var/log/a!b\x1b[31m.log", Action: retention.Delete, Reason: "older than 30d"}},
	}
	var b strings.Builder
	WritePlan(&b, nil, p, false)
	out := b.String()
	for _, want := range []string{"DRY RUN", `a\\!b`, `\x1b[31m`, "1 file: 1 delete"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("raw escape in\n%s", out)
	}
}

func TestWriteErasureIncomplete(t *testing.T) {
	var b strings.Builder
	WriteErasure(&b, retention.ErasureReport{Subjects: []string{"a***@example.com"}, Unsearched: 2,
		Locations: []retention.LocationErasure{{Location: "app", Kept: []string{"held", "live"}}}})
	out := b.String()
	for _, want := range []string{"held; live", "NOT COMPLETE: 2 inputs"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}
