package shard

import (
	"bufio"
	"encoding/json"
	"io"
	"time"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/report"
	"github.com/piiscan/piiscan/scanners"
)

// A shard's findings file is JSON lines: a header record, the findings of
// the shard in the order its scan produced them (the jsonl format), and an
// end record with the shard's stats. A file without its end record is
// incomplete and is refused by Merge.

// Header describes the scan a shard's findings file belongs to. Shards of
// one scan share everything but Index.
type Header struct {
	Index int    `json:"index"`
	Count int    `json:"count"`
	Job   string `json:"job,omitempty"`
	// Run identifies one run of a sharded job (PIISCAN_RUN_ID, in
	// Kubernetes the Job's uid), so that files of two runs never mix.
	Run     string   `json:"run,omitempty"`
	Targets []string `json:"targets"`
	// Config is a digest of the rules the shard ran with.
	Config string `json:"config"`
	// KeyID names the fingerprint key the shard ran with (finding.KeyID),
	// so that shards fingerprinting with different keys are never merged.
	// Files of piiscan versions before it have none.
	KeyID   string    `json:"key_id,omitempty"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
}

// End closes a shard's findings file.
type End struct {
	scanners.Stats
	Seconds float64 `json:"seconds"`
}

// headerRecord is the first line of a findings file.
type headerRecord struct {
	Shard *Header `json:"piiscan_shard"`
}

// endRecord is the last line of a findings file.
type endRecord struct {
	End *End `json:"piiscan_shard_end"`
}

// writer writes a shard's findings file.
type writer struct {
	w        *bufio.Writer
	findings report.Writer // the jsonl format, onto w
}

// NewWriter returns a Writer of a shard's findings file.
func NewWriter(w io.Writer, h Header) (report.Writer, error) {
	if h.Targets == nil {
		h.Targets = []string{}
	}
	head, err := json.Marshal(headerRecord{&h})
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	findings, err := report.New(report.FormatJSONL, bw, report.Meta{})
	if err != nil {
		return nil, err
	}
	bw.Write(head)
	bw.WriteByte('\n')
	return &writer{w: bw, findings: findings}, nil
}

func (s *writer) Add(f *finding.Finding) error { return s.findings.Add(f) }

func (s *writer) Close(st *scanners.Stats) error {
	end := End{}
	if st != nil {
		end.Stats = *st
		end.Seconds = st.Seconds()
		end.Problems = scanners.EncodeProblems(st.Problems)
	}
	if end.Problems == nil {
		end.Problems = []scanners.Problem{}
	}
	body, err := json.Marshal(endRecord{&end})
	if err != nil {
		return err
	}
	// The findings go before the end record.
	if err := s.findings.Close(nil); err != nil {
		return err
	}
	s.w.Write(body)
	s.w.WriteByte('\n')
	return s.w.Flush()
}
