package policy

import (
	"testing"
	"time"

	"github.com/piiscan/piiscan/config"
)

func TestFormatAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{400 * time.Millisecond, "0s"},
		{12 * time.Second, "12s"},
		{29*time.Second + 600*time.Millisecond, "30s"},
		{45 * time.Second, "45s"},
		{59*time.Second + 400*time.Millisecond, "59s"},
		{59*time.Second + 600*time.Millisecond, "1m"},
		{90 * time.Second, "2m"},
		{time.Hour, "1h0m"},
		{90 * time.Minute, "1h30m"},
		{47*time.Hour + 59*time.Minute, "47h59m"},
		{48 * time.Hour, "2d"},
		{30 * 24 * time.Hour, "30d"},
		{-12 * time.Second, "-12s"}, // a clock running behind the store's
		{-5 * time.Minute, "-5m"},
	}
	for _, tt := range tests {
		if got := FormatAge(tt.d); got != tt.want {
			t.Errorf("FormatAge(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRetention(t *testing.T) {
	const day = 24 * time.Hour
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	loc := func(from, action string) *config.Location {
		return &config.Location{Name: "l", MaxAge: 30 * day, From: from, Action: action}
	}
	for _, tt := range []struct {
		name           string
		loc            *config.Location
		mtime, written time.Time
		action, reason string
		cutoff         time.Time
	}{
		{"expired, delete", loc(config.FromMtime, config.ActionDelete), now.Add(-40 * day), now.Add(-40 * day),
			Delete, "modified 40d ago, retention 30d", time.Time{}},
		{"expired, quarantine", loc(config.FromMtime, config.ActionQuarantine), now.Add(-40 * day), now.Add(-40 * day),
			Quarantine, "modified 40d ago, retention 30d", time.Time{}},
		{"expired, redact", loc(config.FromMtime, config.ActionRedact), now.Add(-40 * day), now.Add(-40 * day),
			RedactFile, "modified 40d ago, retention 30d", time.Time{}},
		{"expired, from record", loc(config.FromRecord, config.ActionDelete), now.Add(-31 * day), now.Add(-31 * day),
			Delete, "modified 31d ago, retention 30d", time.Time{}},
		{"expired, rewritten object", loc(config.FromMtime, config.ActionDelete), now.Add(-40 * day), now.Add(-3 * time.Hour),
			Delete, "modified 40d ago (original time kept when piiscan rewrote it; object written 3h0m ago), retention 30d", time.Time{}},
		{"within retention", loc(config.FromMtime, config.ActionDelete), now.Add(-90 * time.Minute), now.Add(-90 * time.Minute),
			Keep, "modified 1h30m ago, within retention 30d", time.Time{}},
		{"exactly the retention", loc(config.FromMtime, config.ActionDelete), now.Add(-30 * day), now.Add(-30 * day),
			Keep, "modified 30d ago, within retention 30d", time.Time{}},
		{"records, delete", loc(config.FromRecord, config.ActionDelete), now.Add(-2 * day), now.Add(-2 * day),
			DropRecords, "records older than 2026-01-30T12:00:00Z (retention 30d)", now.Add(-30 * day)},
		{"records, redact", loc(config.FromRecord, config.ActionRedact), now, now,
			RedactRecords, "records older than 2026-01-30T12:00:00Z (retention 30d)", now.Add(-30 * day)},
	} {
		v := Retention(tt.loc, tt.mtime, tt.written, now)
		if v.Action != tt.action || v.Reason != tt.reason || !v.Cutoff.Equal(tt.cutoff) {
			t.Errorf("%s: %+v, want %s, %q, cutoff %v", tt.name, v, tt.action, tt.reason, tt.cutoff)
		}
		if v.Records() != (tt.action == DropRecords || tt.action == RedactRecords) {
			t.Errorf("%s: Records() = %v", tt.name, v.Records())
		}
	}
}

func TestWholeFile(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := &config.Location{Name: "l", MaxAge: 30 * 24 * time.Hour, From: config.FromRecord, Action: config.ActionDelete}
	v := WholeFile(l, "gzip-compressed", now.Add(-5*24*time.Hour), now)
	want := "gzip-compressed: records inside are never rewritten; the whole file goes when its mtime passes the retention (modified 5d ago, retention 30d)"
	if v.Action != Keep || v.Reason != want || v.Records() {
		t.Errorf("%+v, want keep, %q", v, want)
	}
}
