package main

import (
	"strings"
	"testing"
)

// A flag or environment variable for object storage is checked as the
// same key in rules.yaml is: a bad value is a usage error naming where it
// came from, before any request (the endpoint here refuses every
// connection, so a run that went ahead would exit 3 instead).
func TestS3SettingsFromFlagsAndEnvAreChecked(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_REGION", "us-east-1")
	tests := []struct {
		name     string
		env      string // PIISCAN_S3_CONCURRENCY, when set
		args     []string
		wantName string
	}{
		{"negative concurrency flag", "", []string{"scan", "--s3-max-attempts", "1", "--s3-concurrency", "-3", "s3://b/"}, "--s3-concurrency: must be between 0"},
		{"concurrency flag too large", "", []string{"scan", "--s3-max-attempts", "1", "--s3-concurrency", "5000", "s3://b/"}, "--s3-concurrency: must be between 0"},
		{"negative concurrency from the environment", "-2", []string{"scan", "--s3-max-attempts", "1", "s3://b/"}, "PIISCAN_S3_CONCURRENCY: must be between 0"},
		{"negative attempts flag", "", []string{"scan", "--s3-max-attempts", "-1", "s3://b/"}, "--s3-max-attempts: must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("PIISCAN_S3_CONCURRENCY", tt.env)
			}
			code, _, errs := runCLI(t, "", tt.args...)
			if code != exitUsage || !strings.Contains(errs, tt.wantName) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", code, errs, exitUsage, tt.wantName)
			}
		})
	}
}
