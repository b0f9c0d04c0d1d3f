package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckKey(t *testing.T) {
	good := []string{
		"5c1e0a9d3b7f4286e1d0c5a7b92f38e4",                                 // openssl rand -hex 16
		"9f2d0c6e1a8b47d3e5c0f91a2b6d843e7c15a0f9d2e8b6c4a1370fe5d9b2c846", // openssl rand -hex 32
		"q3N0zH8yVb1Lw5Tq+Jc2Rk9eXa7Pm4Ds6Gu0Yf1Ci8o=",                     // openssl rand -base64 32
	}
	for _, k := range good {
		if err := CheckKey([]byte(k)); err != nil {
			t.Errorf("CheckKey(%q) = %v", k, err)
		}
	}
	bad := map[string]string{
		"k":                               "at least 32",
		"test-key":                        "at least 32",
		"from-env-but-still-rather-short": "at least 32",
		"replace-with-64-hex-characters-from-openssl-rand-hex-32": "placeholder",
		"CHANGEME-CHANGEME-CHANGEME-CHANGEME":                     "placeholder",
		strings.Repeat("a", 64):                                   "too regular",
		strings.Repeat("0123456789abcdef", 4):                     "too regular",
		strings.Repeat("ab", 40):                                  "too regular",
		"00000000000000000000000000000000001":                     "too regular",
		"abcdefghijklmnopqrstuvwxyzABCDEF":                        "too regular",
		"0123456789abcdef0123456789abcdef0":                       "too regular",
		"1234567890123456789012345678901234":                      "too regular",
		"qwertyuiopasdfghjklzxcvbnm1234567890":                    "too regular",
		strings.Repeat("deadbeef", 8) + "00":                      "too regular",
		"   abcdefghijklmnopqrstuvwxyz1234   ":                    "a space",
		"ｒｅｐｌａｃｅ-with-64-hex-characters-from-openssl-rand-hex-32": "non-ASCII",
		"correct horse battery staple, twice over":                "a space",
	}
	for k, want := range bad {
		err := CheckKey([]byte(k))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckKey(%q) = %v, want %q", k, err, want)
			continue
		}
		if len(k) > 8 && strings.Contains(err.Error(), k) {
			t.Errorf("error %q repeats the key", err)
		}
	}
}

func TestWeakKeyRefusedWhereverItComesFrom(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "")
	placeholder := "replace-with-64-hex-characters-from-openssl-rand-hex-32"
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte(placeholder+"\n"), 0o600)
	const rules = "version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"
	tests := []struct {
		name, env, yaml, want string
	}{
		{"environment", "x", rules, "PIISCAN_FINGERPRINT_KEY: fingerprint key is 1 bytes, want at least 32"},
		{"environment placeholder", placeholder, rules, "PIISCAN_FINGERPRINT_KEY: fingerprint key is the placeholder"},
		{"rules.yaml", "", rules + "fingerprint:\n  key: short\n", "x.yaml:7: fingerprint.key: fingerprint key is 5 bytes"},
		{"key file", "", rules + "fingerprint:\n  key_file: " + keyFile + "\n", "x.yaml:7: fingerprint.key_file: " + keyFile + ": fingerprint key is the placeholder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PIISCAN_FINGERPRINT_KEY", tt.env)
			c, err := Parse("x.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			k, _, err := c.FingerprintKey()
			if err == nil || k != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FingerprintKey() = %q, %v; want no key and %q", k, err, tt.want)
			}
			// Records written with it can still be checked.
			if v, err := c.VerificationKey(); err != nil || len(v) == 0 {
				t.Errorf("VerificationKey() = %q, %v", v, err)
			}
		})
	}
}

// Keys made the way the documentation says are never refused.
func TestCheckKeyAcceptsRandomKeys(t *testing.T) {
	n := 3000
	if s := os.Getenv("PIISCAN_KEY_SAMPLES"); s != "" {
		fmt.Sscan(s, &n)
	}
	for _, size := range []int{16, 32} {
		for range n {
			raw := make([]byte, size)
			rand.Read(raw)
			for _, k := range []string{hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw)} {
				if len(k) < MinKeyLength {
					continue
				}
				if err := CheckKey([]byte(k)); err != nil {
					t.Errorf("random key %q refused: %v", k, err)
				}
			}
		}
	}
}
