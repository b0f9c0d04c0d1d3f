package report

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/piiscan/piiscan"
	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/scanners"
)

// benchN is how many findings one benchmark operation writes: a whole
// report, from New to Close.
const benchN = 10_000

// benchMix is the share, per 1,000 findings, of each rule in a scan of the
// dense bench corpus (bench/run.sh, shared/bench/make-corpus.sh) with the
// default rules.yaml: client IPs of access logs dominate.
var benchMix = []struct {
	rule  string
	per1k int
	value func(r *rand.Rand) string
}{
	{"ipv4-address", 924, func(r *rand.Rand) string {
		return fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}},
	{"ipv6-address", 31, func(r *rand.Rand) string {
		return fmt.Sprintf("2001:db8:%x:%x::%x", r.IntN(0x10000), r.IntN(0x10000), r.IntN(0x10000))
	}},
	{"email", 25, func(r *rand.Rand) string { return fmt.Sprintf("user%d@example.com", r.IntN(10000)) }},
	{"credit-card", 13, func(r *rand.Rand) string { return fmt.Sprintf("4111 %04d %04d 1111", r.IntN(10000), r.IntN(10000)) }},
	{"phone-number", 5, func(r *rand.Rand) string { return fmt.Sprintf("(%d) 555-01%02d", 201+r.IntN(700), r.IntN(100)) }},
	{"us-ssn", 2, func(r *rand.Rand) string {
		return fmt.Sprintf("%03d-%02d-%04d", 1+r.IntN(665), 1+r.IntN(99), 1+r.IntN(9999))
	}},
}

// benchReport returns the meta of a scan with the default rules.yaml and n
// findings as that scan writes them for a file no location names: class,
// rule, severity and policy from the rule, masked values, fingerprints,
// and every finding disallowed with the rule's clauses as what it
// violates, in the proportions of benchMix and in line order.
func benchReport(tb testing.TB, n int) (Meta, []finding.Finding) {
	tb.Helper()
	cfg, err := config.Parse("rules.yaml", piiscan.DefaultRules)
	if err != nil {
		tb.Fatal(err)
	}
	meta := Meta{Version: "bench", Rules: cfg.Rules, Targets: []string{"/var/log/bench"}, Start: time.Unix(0, 0)}
	r := rand.New(rand.NewPCG(1, 2))
	fs := make([]finding.Finding, 0, n)
	for len(fs) < n {
		pick := r.IntN(1000)
		m := benchMix[len(benchMix)-1]
		for _, c := range benchMix {
			if pick < c.per1k {
				m = c
				break
			}
			pick -= c.per1k
		}
		var rule *config.Rule
		for i := range cfg.Rules {
			if cfg.Rules[i].ID == m.rule {
				rule = &cfg.Rules[i]
			}
		}
		if rule == nil {
			tb.Fatalf("the default rules.yaml has no rule %q", m.rule)
		}
		v := m.value(r)
		fs = append(fs, finding.Finding{
			Path: "/var/log/bench/part-000.log", Line: 2*len(fs) + 1, Column: 1 + r.IntN(120), Length: len(v),
			Class: rule.Class, Rule: rule.ID, Severity: rule.Severity, Confidence: finding.ConfidenceHigh,
			Masked: finding.Mask(rule.Class, []byte(v)), Fingerprint: fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
			Policy: rule.PolicyRef, Disallowed: true, Violates: policy.Violates(nil, rule.PolicyRef),
		})
	}
	return meta, fs
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// writeReport writes fs as a whole report of format to w.
func writeReport(tb testing.TB, format Format, w io.Writer, meta Meta, fs []finding.Finding, st *scanners.Stats) {
	rw, err := New(format, w, meta)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range fs {
		if err := rw.Add(&fs[i]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := rw.Close(st); err != nil {
		tb.Fatal(err)
	}
}

// benchWriter measures a report writer alone: each operation writes a
// report of benchN representative findings to io.Discard. Bytes per
// operation are the report's size, so MB/s is output written; ns/finding
// is the cost of one finding, the per-report setup included.
func benchWriter(b *testing.B, format Format) {
	meta, fs := benchReport(b, benchN)
	st := &scanners.Stats{Files: 1, Bytes: 64 << 20, Findings: int64(len(fs)), Duration: time.Second}
	var size countingWriter
	writeReport(b, format, &size, meta, fs, st)
	b.SetBytes(size.n)
	b.ReportAllocs()
	for b.Loop() {
		writeReport(b, format, io.Discard, meta, fs, st)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(fs)), "ns/finding")
	b.ReportMetric(float64(size.n)/float64(len(fs)), "B/finding")
}

// BenchmarkJSONLWriter measures the jsonl encoder, the format of findings
// files and of `scan --format jsonl`.
func BenchmarkJSONLWriter(b *testing.B) { benchWriter(b, FormatJSONL) }

// BenchmarkJSONWriter measures the JSON document writer, whose summary
// counts every finding.
func BenchmarkJSONWriter(b *testing.B) { benchWriter(b, FormatJSON) }

// BenchmarkSARIFWriter measures the SARIF writer.
func BenchmarkSARIFWriter(b *testing.B) { benchWriter(b, FormatSARIF) }
