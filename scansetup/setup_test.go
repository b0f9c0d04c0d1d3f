package scansetup

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/spf13/pflag"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/scanners/source"
)

// newCommandSetup sets up a command's scan of the default rules, with no
// flags given.
func newCommandSetup(t *testing.T) *Setup {
	t.Helper()
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "5c1e0a9d3b7f4286e1d0c5a7b92f38e4")
	c, err := config.Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		t.Fatal(err)
	}
	set, err := config.NewSettings(c, pflag.NewFlagSet("test", pflag.ContinueOnError), config.ScanOptions)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Request{Config: c, Settings: set, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An erasure's scan ignores the allowlist, but Build leaves the setup's
// options as they are: what acts on the plan still has the allowlist.
// Nothing in a bucket, no S3 client.
func TestBuildKeepsOptions(t *testing.T) {
	s := newCommandSetup(t)
	if _, err := s.Build(context.Background(), Spec{Enforce: true, Erase: true}); err != nil {
		t.Fatal(err)
	}
	if s.Options.Allow == nil || s.Options.MaxFindings < 0 {
		t.Error("Build changed the setup's options")
	}
	if s.Objects != nil {
		t.Error("an S3 client without a target in a bucket")
	}
	if _, err := s.Build(context.Background(), Spec{Targets: []string{source.Stdin}, Named: true}); err != nil {
		t.Fatal(err)
	}
}

// A named bucket URL that names no bucket is a usage error.
func TestBuildBadBucketURL(t *testing.T) {
	s := newCommandSetup(t)
	_, err := s.Build(context.Background(), Spec{Targets: []string{"x.log", "s3://"}, Named: true})
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want a UsageError", err)
	}
}
