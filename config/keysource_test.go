package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// KeySource says where the key would come from without making one, and
// CheckSharedKey accepts only the sources every shard shares.
func TestKeySource(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "")
	const key = "5c1e0a9d3b7f4286e1d0c5a7b92f38e4"
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o600)
	userFile := filepath.Join(home, "piiscan", "fingerprint.key")
	const rules = "version: 1\nrules:\n  - id: m\n    detector: email\n    severity: low\n"
	parse := func(yaml string) *Config {
		t.Helper()
		c, err := Parse("x.yaml", []byte(rules+yaml))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	c := parse("")
	if src, file := c.KeySource(); src != KeyCreated || file != userFile {
		t.Errorf("nothing configured: %v %q", src, file)
	}
	if err := c.CheckSharedKey(); err == nil || !strings.Contains(err.Error(), "a new per-user key file ("+userFile+")") {
		t.Errorf("CheckSharedKey() = %v", err)
	}
	if _, err := os.Stat(userFile); err == nil {
		t.Fatal("KeySource or CheckSharedKey created the key file")
	}
	if _, _, err := c.FingerprintKey(); err != nil { // creates it
		t.Fatal(err)
	}
	if src, _ := c.KeySource(); src != KeyFromUserFile {
		t.Errorf("after FingerprintKey: %v", src)
	}
	if err := c.CheckSharedKey(); err == nil || !strings.Contains(err.Error(), "the per-user key file") {
		t.Errorf("CheckSharedKey() with a per-user key file = %v", err)
	}

	for _, tt := range []struct {
		name, env, yaml string
		want            KeySource
	}{
		{"environment", key, "", KeyFromEnv},
		{"environment over the file", key, "fingerprint:\n  key_file: " + keyFile + "\n", KeyFromEnv},
		{"rules.yaml", "", "fingerprint:\n  key: " + key + "\n", KeyFromConfig},
		{"key file", "", "fingerprint:\n  key_file: " + keyFile + "\n", KeyFromFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PIISCAN_FINGERPRINT_KEY", tt.env)
			c := parse(tt.yaml)
			if src, _ := c.KeySource(); src != tt.want {
				t.Errorf("KeySource() = %v, want %v", src, tt.want)
			}
			if err := c.CheckSharedKey(); err != nil {
				t.Errorf("CheckSharedKey() = %v", err)
			}
		})
	}
}
