package main

import (
	"strings"
	"testing"
)

// A guessable key turns a masked value and its fingerprint back into the
// value, so no command that writes fingerprints runs with one.
func TestWeakFingerprintKeyRefused(t *testing.T) {
	const placeholder = "replace-with-64-hex-characters-from-openssl-rand-hex-32"
	for _, key := range []string{"k", placeholder} {
		t.Setenv("PIISCAN_FINGERPRINT_KEY", key)
		for _, args := range [][]string{{"scan", examples}, {"purge"}, {"redact"}} {
			code, out, errs := runCLI(t, "", args...)
			if code != exitUsage || !strings.Contains(errs, "PIISCAN_FINGERPRINT_KEY: fingerprint key") || !strings.Contains(errs, "openssl rand -hex 32") {
				t.Errorf("%v with key %q: exit %d, stderr %q; want exit %d and the reason", args, key, code, errs, exitUsage)
			}
			if strings.Contains(out+errs, placeholder) {
				t.Errorf("%v: the key is echoed: %q", args, out+errs)
			}
		}
	}
}
