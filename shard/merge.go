package shard

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/shard/shardspec"
)

// MergeOptions configure Merge.
type MergeOptions struct {
	// Sources are findings files, directories and s3:// prefixes.
	Sources []string
	// Objects reaches s3:// sources and destinations (nil: none).
	Objects *bucket.Client
	// Run, when set, takes only the files of that run.
	Run string
	// Wait and Poll: see collect.
	Wait, Poll time.Duration
	Format     report.Format
	// Meta gives the report's Version and Rules; its Targets and Start
	// come from the shards.
	Meta report.Meta
	// Dest is a file or s3://bucket/key, written whole or not at all;
	// "" writes to Out.
	Dest string
	Out  io.Writer
}

// MergeResult is what a merge found.
type MergeResult struct {
	Header Header
	Stats  *scanners.Stats
	// Worst is the highest severity among the findings (0: none).
	Worst finding.Severity
}

// Merge writes the report of a sharded scan from its findings files.
func Merge(ctx context.Context, o MergeOptions) (*MergeResult, error) {
	inputs, closeInputs, err := collect(ctx, o.Sources, o.Objects, o.Run, o.Wait, max(o.Poll, time.Second))
	if err != nil {
		return nil, err
	}
	defer closeInputs()
	m, err := newMerger(inputs)
	if err != nil {
		return nil, err
	}
	res := &MergeResult{Header: m.Header()}
	out, commit := o.Out, func(bool) error { return nil }
	if o.Dest != "" {
		p, err := CreateAt(ctx, o.Dest, o.Objects)
		if err != nil {
			return nil, fmt.Errorf("report %s: %w", o.Dest, err)
		}
		out = p
		commit = func(ok bool) error {
			if !ok {
				p.Abort()
				return nil
			}
			return p.Commit(ctx)
		}
	}
	meta := o.Meta
	meta.Targets, meta.Start = res.Header.Targets, res.Header.Started
	w, err := report.New(o.Format, out, meta)
	if err != nil {
		commit(false)
		return nil, err
	}
	res.Stats, err = m.Merge(scanners.SinkFunc(func(f *finding.Finding) error {
		res.Worst = max(res.Worst, f.Severity)
		return w.Add(f)
	}))
	if err == nil {
		err = w.Close(res.Stats)
	}
	if err != nil {
		commit(false)
		return nil, err
	}
	return res, commit(true)
}

// FormatOf returns the report format a file name asks for: .sarif, .json,
// .jsonl (or .ndjson) and .txt (a table); see shardspec.ReportFormat.
func FormatOf(name string) (report.Format, error) {
	f, err := shardspec.ReportFormat(name)
	return report.Format(f), err
}
