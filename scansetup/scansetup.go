// Package scansetup builds the scans of the commands and of the scheduled
// jobs, in one way: from a loaded policy and the layered settings
// (rules.yaml, the environment and a command's flags) it builds the
// detection engine, the allowlist, the fingerprinter, the placement of
// paths among the locations, an S3 client when a target or location is in
// a bucket, and the scanner (New, then Setup.Build). It also opens what
// the actions around a scan need: S3 clients for shard files and merges,
// sharding (NewSharding) and the audit log. Package config only checks
// rules.yaml and holds its values; what needs detection or the scanners
// to be built is built here.
package scansetup

import (
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/allow"
	"github.com/piiscan/piiscan/scanners/detect"
	"github.com/piiscan/piiscan/scanners/source"
)

// Engine compiles the enabled rules of c with its detection settings.
func Engine(c *config.Config) (*detect.Engine, error) {
	d := c.File.Detection
	return detect.New(c.Rules, detect.Options{DefaultRegion: c.Region(), Regions: d.Regions,
		ContextWindow: d.ContextWindow})
}

// Allowlist compiles the allowlist of c. Allowed phone numbers are
// normalised in c's default region.
func Allowlist(c *config.Config) (*scanners.Allowlist, error) {
	a := c.File.Allow
	byClass := map[string]allow.Rules{}
	for cl, e := range a.Classes {
		byClass[cl] = allow.Rules(e)
	}
	return scanners.NewAllowlist(allow.Rules(a.AllowEntries), byClass, c.Region())
}

// archiveLimits returns the archive limits of c.
func archiveLimits(c *config.Config) source.Limits {
	l := c.Limits
	return source.Limits{MaxDepth: l.MaxDepth, MaxBytes: l.MaxBytes, MaxRatio: l.MaxRatio, MaxEntries: l.MaxEntries}
}
