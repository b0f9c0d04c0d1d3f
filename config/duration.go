package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a duration setting of rules.yaml (retention.max_age,
// jobs[].timeout, alerts.remind_after, state.checkpoint_every, ...). Every
// one has this type, and so takes the same values: the grammar of
// ParseDuration (30s, 90m, 36h, 1d, 13w, 1y, 1.5d, 1h30m).
//
// A Duration holds the text as written. Validation reads it with Parse, so
// that a bad value is reported with its file, line and key, together with
// the file's other errors (a YAML decoder would stop at the first), and
// hands typed time.Duration values on.
type Duration string

// Parse parses d with ParseDuration; def when d is unset.
func (d Duration) Parse(def time.Duration) (time.Duration, error) {
	if d == "" {
		return def, nil
	}
	return ParseDuration(string(d))
}

// ParseDuration parses a retention period: a number and a unit, s, m, h,
// d (24h), w (7d) or y (365d), or anything time.ParseDuration accepts.
// The number is decimal digits with an optional fraction ("1.5d"); signs,
// exponents, hexadecimal, NaN and Inf are refused, and so is a period that
// does not fit a time.Duration (about 292 years), which would otherwise
// wrap to a negative age and make every file look expired.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty duration")
	}
	invalid := fmt.Errorf("invalid duration %q (use 30d, 13w, 1y, 36h)", s)
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if u, ok := unit[t[len(t)-1]]; ok {
		num := t[:len(t)-1]
		if !plainDecimal(num) {
			return 0, invalid
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, invalid
		}
		// float64(math.MaxInt64) rounds up to 2^63, so >= is the test.
		if d := n * float64(u); d >= float64(math.MaxInt64) {
			return 0, fmt.Errorf("duration %q is too long (at most %dy)", s, math.MaxInt64/int64(unit['y']))
		}
		return time.Duration(n * float64(u)), nil
	}
	// time.ParseDuration refuses overflow itself.
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, invalid
	}
	return d, nil
}

// plainDecimal reports whether s is digits with at most one decimal point
// between digits: "30", "1.5", not "", ".5", "1e3", "+1", "0x10" or "inf".
func plainDecimal(s string) bool {
	digits, dot := 0, -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && dot < 0 && i > 0 && i < len(s)-1:
			dot = i
		default:
			return false
		}
	}
	return digits > 0
}

// parsePositive parses the duration v, which must be above zero (def
// when unset); a bad value gives def, and an error that names example.
func parsePositive(v Duration, def time.Duration, example string) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := v.Parse(def)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("invalid duration %q (want e.g. %s)", v, example)
	}
	return d, nil
}

// positive parses the duration v at path with parsePositive, and reports
// a bad value.
func (ck *checker) positive(path []any, v Duration, def time.Duration, example string) time.Duration {
	d, err := parsePositive(v, def, example)
	if err != nil {
		ck.bad(path, "%v", err)
	}
	return d
}

// reminder parses a remind_after at path: a duration like 7d, or "0" for
// none (def when unset).
func (ck *checker) reminder(path []any, v Duration, def time.Duration) time.Duration {
	d, err := v.Parse(def)
	if err != nil {
		ck.bad(path, "%v", err)
		return def
	}
	return d
}
