package config

import (
	"bytes"
	"fmt"
	"os"
)

// KeySource is where FingerprintKey takes the fingerprint key from.
type KeySource int

// The sources of the fingerprint key, in the order FingerprintKey tries
// them.
const (
	// KeyFromEnv is PIISCAN_FINGERPRINT_KEY.
	KeyFromEnv KeySource = iota + 1
	// KeyFromConfig is fingerprint.key in rules.yaml.
	KeyFromConfig
	// KeyFromFile is the file fingerprint.key_file names; FingerprintKey
	// reads it and never creates it.
	KeyFromFile
	// KeyFromUserFile is the per-user key file (DefaultKeyFile), made on
	// this machine by an earlier run.
	KeyFromUserFile
	// KeyCreated is a per-user key file FingerprintKey would create now.
	KeyCreated
	// KeyGenerated is a random key for one run: no key is configured and
	// none can be stored.
	KeyGenerated
)

// String describes the source for messages.
func (k KeySource) String() string {
	switch k {
	case KeyFromEnv:
		return EnvPrefix + "_FINGERPRINT_KEY"
	case KeyFromConfig:
		return "fingerprint.key"
	case KeyFromFile:
		return "fingerprint.key_file"
	case KeyFromUserFile:
		return "the per-user key file"
	case KeyCreated:
		return "a new per-user key file"
	case KeyGenerated:
		return "a random key for this run"
	}
	return "unknown"
}

// Configured reports whether every process given the same rules.yaml and
// environment gets this key: it is set, or read from a file that is named
// and never created, rather than made on the machine that runs.
func (k KeySource) Configured() bool {
	return k == KeyFromEnv || k == KeyFromConfig || k == KeyFromFile
}

// KeySource reports where FingerprintKey would take the key from, and the
// file for the file sources, without creating or reading a key.
func (c *Config) KeySource() (KeySource, string) {
	switch fp := c.File.Fingerprint; {
	case os.Getenv(EnvPrefix+"_FINGERPRINT_KEY") != "":
		return KeyFromEnv, ""
	case fp.Key != "":
		return KeyFromConfig, ""
	case fp.KeyFile != "":
		return KeyFromFile, fp.KeyFile
	}
	p := DefaultKeyFile()
	if p == "" {
		return KeyGenerated, ""
	}
	if k, err := os.ReadFile(p); err == nil && len(bytes.TrimSpace(k)) > 0 {
		return KeyFromUserFile, p
	}
	return KeyCreated, p
}

// CheckSharedKey refuses a key that may differ from one process to the
// next: the shards of one scan must fingerprint with one key, or the same
// value gets a different fingerprint in each and the merge cannot match
// them. A per-user key file, existing or not, is refused too: it belongs
// to one machine (in Kubernetes, to one pod's volume), and nothing says
// the other shards have the same. Call it before FingerprintKey, which
// would create one.
func (c *Config) CheckSharedKey() error {
	src, file := c.KeySource()
	if src.Configured() {
		return nil
	}
	what := src.String()
	if file != "" {
		what += " (" + file + ")"
	}
	return fmt.Errorf("a sharded scan needs the same fingerprint key in every shard, and would use %s: "+
		"set %s_FINGERPRINT_KEY (in Kubernetes, from a Secret) or fingerprint.key_file to a file every shard reads",
		what, EnvPrefix)
}

// CheckSharedKey is Config.CheckSharedKey of the settings' configuration,
// for the callers that know this run to be one shard of several
// (scansetup.CheckShardKey).
func (s *Settings) CheckSharedKey() error { return s.c.CheckSharedKey() }
