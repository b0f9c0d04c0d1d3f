package config

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/internal/itempath"
)

// EnvPrefix starts every environment variable piiscan reads.
const EnvPrefix = "PIISCAN"

// Option is a setting with a command-line flag, an environment variable and
// a key in rules.yaml. A flag beats the environment, which beats the file.
type Option struct {
	Key  string // key in rules.yaml, e.g. scan.fail_on
	Flag string // flag name, e.g. fail-on
	Env  string // environment variable, e.g. PIISCAN_FAIL_ON
}

// ScanOptions are the options of `piiscan scan` and `piiscan rules test`.
var ScanOptions = []Option{
	{"scan.format", "format", "PIISCAN_FORMAT"},
	{"scan.output", "output", "PIISCAN_OUTPUT"},
	{"scan.fail_on", "fail-on", "PIISCAN_FAIL_ON"},
	{"scan.workers", "workers", "PIISCAN_WORKERS"},
	{"scan.progress", "progress", "PIISCAN_PROGRESS"},
	{"scan.follow_symlinks", "follow-symlinks", "PIISCAN_FOLLOW_SYMLINKS"},
	{"scan.include", "include", "PIISCAN_INCLUDE"},
	{"scan.exclude", "exclude", "PIISCAN_EXCLUDE"},
	{"scan.classes", "class", "PIISCAN_CLASS"},
	{"scan.reveal", "reveal", "PIISCAN_REVEAL"},
	{"archives.max_depth", "max-depth", "PIISCAN_MAX_DEPTH"},
	{"scan.max_size", "max-size", "PIISCAN_MAX_SIZE"},
	{"scan.max_findings", "max-findings", "PIISCAN_MAX_FINDINGS"},
	{"scan.newer_than", "newer-than", "PIISCAN_NEWER_THAN"},
	{"scan.checkpoint", "checkpoint", "PIISCAN_CHECKPOINT"},
	{"s3.region", "s3-region", "PIISCAN_S3_REGION"},
	{"s3.profile", "s3-profile", "PIISCAN_S3_PROFILE"},
	{"s3.endpoint_url", "s3-endpoint-url", "PIISCAN_S3_ENDPOINT_URL"},
	{"s3.path_style", "s3-path-style", "PIISCAN_S3_PATH_STYLE"},
	{"s3.max_attempts", "s3-max-attempts", "PIISCAN_S3_MAX_ATTEMPTS"},
	{"s3.concurrency", "s3-concurrency", "PIISCAN_S3_CONCURRENCY"},
	{"shards.shard", "shard", "PIISCAN_SHARD"},
	{"shards.count", "", "PIISCAN_SHARD_COUNT"},
	{"shards.output", "shard-output", "PIISCAN_SHARD_OUTPUT"},
	{"shards.report", "shard-report", "PIISCAN_SHARD_REPORT"},
	{"shards.run", "", "PIISCAN_RUN_ID"},
}

// Size returns a byte size option (0 when unset).
func (s *Settings) Size(key string) (int64, error) {
	v := s.String(key)
	if v == "" {
		return 0, nil
	}
	n, err := ParseSize(v)
	if err != nil {
		return 0, s.errorf(key, "%v", err)
	}
	return n, nil
}

// Duration returns a duration option like 30d (0 when unset).
func (s *Settings) Duration(key string) (time.Duration, error) {
	v := s.String(key)
	if v == "" {
		return 0, nil
	}
	d, err := ParseDuration(v)
	if err != nil {
		return 0, s.errorf(key, "%v", err)
	}
	return d, nil
}

// FailNever is the fail_on value under which no finding fails a run: for
// schedulers where a failed run should mean that piiscan itself failed.
const FailNever = "none"

// Settings layers flags, environment and the config file with viper.
type Settings struct {
	v     *viper.Viper
	c     *Config
	flags *pflag.FlagSet
	opts  map[string]Option
}

// NewSettings binds opts to flags and the environment over the config c.
func NewSettings(c *Config, flags *pflag.FlagSet, opts []Option) (*Settings, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(c.raw)); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	s := &Settings{v: v, c: c, flags: flags, opts: map[string]Option{}}
	for _, o := range opts {
		s.opts[o.Key] = o
		if err := v.BindEnv(o.Key, o.Env); err != nil {
			return nil, err
		}
		if f := flags.Lookup(o.Flag); f != nil {
			if err := v.BindPFlag(o.Key, f); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// Given reports whether key was set by its flag or environment variable
// (not only in the file).
func (s *Settings) Given(key string) bool {
	o := s.opts[key]
	if f := s.flags.Lookup(o.Flag); f != nil && f.Changed {
		return true
	}
	_, ok := os.LookupEnv(o.Env)
	return ok
}

// source names where the value of key came from, for error messages.
func (s *Settings) source(key string) *Error {
	o := s.opts[key]
	if f := s.flags.Lookup(o.Flag); f != nil && f.Changed {
		return &Error{Source: "--" + o.Flag}
	}
	if s.Given(key) {
		return &Error{Source: o.Env}
	}
	path := []any{}
	for _, p := range strings.Split(key, ".") {
		path = append(path, p)
	}
	return &Error{Source: s.c.Name, Line: s.c.doc.line(path...), Key: key}
}

func (s *Settings) errorf(key, format string, args ...any) *Error {
	e := s.source(key)
	e.Msg = fmt.Sprintf(format, args...)
	return e
}

// String returns a string option.
func (s *Settings) String(key string) string { return strings.TrimSpace(s.v.GetString(key)) }

// Bool returns a boolean option, or an error naming its source.
func (s *Settings) Bool(key string) (bool, error) {
	switch x := s.v.Get(key).(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "1", "true", "yes", "on":
			return true, nil
		case "", "0", "false", "no", "off":
			return false, nil
		}
		return false, s.errorf(key, "want true or false, not %q", x)
	}
	return s.v.GetBool(key), nil
}

// Int returns an integer option, or an error naming its source.
func (s *Settings) Int(key string) (int, error) {
	x := s.v.Get(key)
	if str, ok := x.(string); ok {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(str), "%d", &n); err != nil {
			return 0, s.errorf(key, "want a whole number, not %q", str)
		}
		return n, nil
	}
	return s.v.GetInt(key), nil
}

// List returns a list option. From the environment a list is
// comma-separated.
func (s *Settings) List(key string) []string {
	var out []string
	switch x := s.v.Get(key).(type) {
	case string:
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	default:
		for _, p := range s.v.GetStringSlice(key) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Severity returns a severity option.
func (s *Settings) Severity(key string) (finding.Severity, error) {
	v := s.String(key)
	switch v {
	case "":
		return finding.SeverityLow, nil
	case FailNever:
		return finding.SeverityCritical + 1, nil
	}
	sev, err := finding.ParseSeverity(v)
	if err != nil {
		return 0, s.errorf(key, "%v", err)
	}
	return sev, nil
}

// OneOf returns a string option that must be one of choices ("" allowed).
func (s *Settings) OneOf(key string, choices ...string) (string, error) {
	v := s.String(key)
	if v == "" {
		return "", nil
	}
	for _, c := range choices {
		if v == c {
			return v, nil
		}
	}
	return "", s.errorf(key, "unknown value %q (want %s)", v, strings.Join(choices, ", "))
}

// Classes returns the --class filter, checked against the known classes.
func (s *Settings) Classes() ([]string, error) {
	cl := s.List("scan.classes")
	known := s.c.knownClasses()
	for _, c := range cl {
		if !known[c] {
			return nil, s.errorf("scan.classes", "unknown class %q", c)
		}
	}
	return cl, nil
}

// Globs returns a list of globs, checked.
func (s *Settings) Globs(key string) ([]string, error) {
	g := s.List(key)
	if err := itempath.CheckGlobs(g); err != nil {
		return nil, s.errorf(key, "%v", err)
	}
	return g, nil
}

// MaxFindings returns the most findings reported for one input: 0 for
// the default, -1 for no limit.
func (s *Settings) MaxFindings() (int, error) {
	n, err := s.Int("scan.max_findings")
	if err != nil {
		return 0, err
	}
	if n < -1 {
		return 0, s.errorf("scan.max_findings", "must be -1 (no limit), 0 (default) or more")
	}
	return n, nil
}

// MaxS3Concurrency bounds s3.concurrency, as rules.yaml's check does.
const MaxS3Concurrency = 1024

// S3Concurrency returns s3.concurrency (0: the default), or an error naming
// its source when it is outside 0 to MaxS3Concurrency: a flag or an
// environment variable is checked as the value in rules.yaml is.
func (s *Settings) S3Concurrency() (int, error) {
	n, err := s.Int("s3.concurrency")
	if err == nil && (n < 0 || n > MaxS3Concurrency) {
		err = s.errorf("s3.concurrency", "must be between 0 (the default, 16) and %d", MaxS3Concurrency)
	}
	return n, err
}

// S3MaxAttempts returns s3.max_attempts (0: the default), or an error
// naming its source when it is negative.
func (s *Settings) S3MaxAttempts() (int, error) {
	n, err := s.Int("s3.max_attempts")
	if err == nil && n < 0 {
		err = s.errorf("s3.max_attempts", "must not be negative")
	}
	return n, err
}

// MaxWorkers bounds scan.workers: each worker holds buffers of a chunk's
// size, and more workers than CPUs only add contention.
const MaxWorkers = 1024

// Workers returns the number of workers (default: CPUs).
func (s *Settings) Workers() (int, error) {
	n, err := s.Int("scan.workers")
	if err != nil {
		return 0, err
	}
	if n < 0 || n > MaxWorkers {
		return 0, s.errorf("scan.workers", "must be between 0 (one per CPU) and %d", MaxWorkers)
	}
	if n == 0 {
		// The CPUs this process may use: in a container, its CPU limit.
		n = runtime.GOMAXPROCS(0)
	}
	return n, nil
}

// MaxDepth returns the archive nesting limit.
func (s *Settings) MaxDepth() (int, error) {
	n, err := s.Int("archives.max_depth")
	if err == nil && n < 0 {
		err = s.errorf("archives.max_depth", "must not be negative")
	}
	return n, err
}

// Resolve finds the configuration: the file named by path (from --config or
// PIISCAN_CONFIG), else ./rules.yaml when present, else the built-in copy.
func Resolve(path string, builtin []byte) (*Config, error) {
	path = DefaultPath(path)
	if path == "" {
		return Parse("rules.yaml (built in)", builtin)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Source: path, Msg: err.(*fs.PathError).Err.Error()}
	}
	return Parse(path, data)
}

// DefaultPath returns the policy file Resolve reads: path when set, else
// ./rules.yaml if present, else "" (the built-in copy).
func DefaultPath(path string) string {
	if path != "" {
		return path
	}
	if _, err := os.Stat("rules.yaml"); err == nil {
		return "rules.yaml"
	}
	return ""
}

// DefaultKeyFile is the per-user fingerprint key piiscan creates on
// first use when no key is configured ("" when the user has no
// configuration folder).
func DefaultKeyFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "piiscan", "fingerprint.key")
}

// FingerprintKey returns the key for fingerprints and says where it came
// from. In order: PIISCAN_FINGERPRINT_KEY, fingerprint.key, the file named
// by fingerprint.key_file, the per-user key file (created on first use),
// and, when none can be had, a random key for this run only (returned with
// an error that says so). A configured key that CheckKey refuses is an
// error, with no key.
func (c *Config) FingerprintKey() (key []byte, from string, err error) {
	key, from, err = c.configuredKey()
	if err != nil || key == nil {
		if err == nil {
			k := make([]byte, 32)
			rand.Read(k)
			key = []byte(fmt.Sprintf("%x", k))
			err = errors.New("no fingerprint key configured and none could be stored: fingerprints of this run cannot be correlated with other runs (set PIISCAN_FINGERPRINT_KEY)")
		}
		return key, from, err
	}
	if err := CheckKey(key); err != nil {
		return nil, "", c.keyError(from, err)
	}
	return key, from, nil
}

// VerificationKey returns the configured fingerprint key without judging
// its strength, for checking records written before weak keys were
// refused. Nothing new may be written with it.
func (c *Config) VerificationKey() ([]byte, error) {
	key, _, err := c.configuredKey()
	if err == nil && key == nil {
		err = errors.New("no fingerprint key configured")
	}
	return key, err
}

// keyError places err at the setting the key came from.
func (c *Config) keyError(from string, err error) error {
	switch {
	case from == EnvPrefix+"_FINGERPRINT_KEY":
		return &Error{Source: from, Msg: err.Error()}
	case from == c.Name+": fingerprint.key":
		return &Error{Source: c.Name, Line: c.doc.line("fingerprint", "key"), Key: "fingerprint.key", Msg: err.Error()}
	case c.File.Fingerprint.KeyFile != "" && from == c.File.Fingerprint.KeyFile:
		return &Error{Source: c.Name, Line: c.doc.line("fingerprint", "key_file"), Key: "fingerprint.key_file", Msg: from + ": " + err.Error()}
	}
	return fmt.Errorf("%s: %w", strings.TrimSuffix(from, " (new)"), err)
}

// configuredKey finds the key FingerprintKey describes, or nil when there
// is none and none could be stored. KeySource decides where it looks, so
// that the two never disagree on the order.
func (c *Config) configuredKey() (key []byte, from string, err error) {
	src, file := c.KeySource()
	switch src {
	case KeyFromEnv:
		return []byte(os.Getenv(EnvPrefix + "_FINGERPRINT_KEY")), EnvPrefix + "_FINGERPRINT_KEY", nil
	case KeyFromConfig:
		return []byte(c.File.Fingerprint.Key), c.Name + ": fingerprint.key", nil
	case KeyFromFile:
		k, err := os.ReadFile(file)
		if err != nil {
			return nil, "", &Error{Source: c.Name, Line: c.doc.line("fingerprint", "key_file"), Key: "fingerprint.key_file", Msg: err.Error()}
		}
		k = bytes.TrimSpace(k)
		if len(k) == 0 {
			return nil, "", &Error{Source: c.Name, Line: c.doc.line("fingerprint", "key_file"), Key: "fingerprint.key_file", Msg: file + " is empty"}
		}
		return k, file, nil
	case KeyFromUserFile, KeyCreated:
		if k, err := os.ReadFile(file); err == nil && len(bytes.TrimSpace(k)) > 0 {
			return bytes.TrimSpace(k), file, nil
		}
		if k, err := newKeyFile(file); err == nil {
			return k, file + " (new)", nil
		}
	}
	return nil, "", nil
}

func newKeyFile(p string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	k := []byte(fmt.Sprintf("%x", raw))
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(append(k, '\n')); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}
