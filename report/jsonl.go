package report

import (
	"bufio"
	"io"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners"
)

// jsonlWriter writes one JSON object per finding and line.
type jsonlWriter struct {
	w   *bufio.Writer
	buf []byte
	enc encoder
}

func newJSONL(w io.Writer) *jsonlWriter {
	return &jsonlWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

func (j *jsonlWriter) Add(f *finding.Finding) error {
	j.buf = j.enc.appendFinding(j.buf[:0], f)
	j.buf = append(j.buf, '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonlWriter) Close(*scanners.Stats) error { return j.w.Flush() }
