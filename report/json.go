package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
)

// jsonWriter writes one JSON document: the tool, the findings, and a
// summary with totals and the inputs that could not be read.
type jsonWriter struct {
	w     *bufio.Writer
	buf   []byte
	sum   Summary
	meta  Meta
	first bool
	enc   encoder
}

func newJSON(w io.Writer, meta Meta) (*jsonWriter, error) {
	j := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10), sum: newSummary(), meta: meta, first: true}
	head, err := json.Marshal(map[string]string{"name": "piiscan", "version": meta.Version})
	if err != nil {
		return nil, err
	}
	j.w.WriteString(`{"tool":`)
	j.w.Write(head)
	j.w.WriteString(`,"findings":[`)
	return j, nil
}

func (j *jsonWriter) Add(f *finding.Finding) error {
	j.sum.Add(f)
	j.buf = j.buf[:0]
	if !j.first {
		j.buf = append(j.buf, ',')
	}
	j.first = false
	j.buf = append(j.buf, "\n  "...)
	j.buf = j.enc.appendFinding(j.buf, f)
	_, err := j.w.Write(j.buf)
	return err
}

type jsonSummary struct {
	Summary
	Files      int64              `json:"files"`
	Streams    int64              `json:"streams"`
	Bytes      int64              `json:"bytes"`
	Binary     int64              `json:"binary_skipped"`
	Skipped    int64              `json:"skipped"`
	Seconds    float64            `json:"seconds"`
	Unreadable []scanners.Problem `json:"unreadable"`
}

// encodeCounts returns counts by path with the paths as JSON reports
// write them (finding.EncodePath).
func encodeCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for p, n := range m {
		out[finding.EncodePath(p)] = n
	}
	return out
}

func (j *jsonWriter) Close(st *scanners.Stats) error {
	s := jsonSummary{Summary: j.sum}
	s.ByPath = encodeCounts(j.sum.ByPath)
	if st != nil {
		s.Files, s.Streams, s.Bytes, s.Binary, s.Skipped = st.Files, st.Streams, st.Bytes, st.Binary, st.Skipped
		s.Seconds = st.Seconds()
		s.Unreadable = scanners.EncodeProblems(st.Problems)
	}
	if s.Unreadable == nil {
		s.Unreadable = []scanners.Problem{}
	}
	body, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if !j.first {
		j.w.WriteString("\n")
	}
	j.w.WriteString("],\n\"summary\":")
	j.w.Write(body)
	j.w.WriteString("}\n")
	return j.w.Flush()
}
