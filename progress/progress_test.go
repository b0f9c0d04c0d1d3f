package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/piiscan/piiscan/scanners"
)

func TestLine(t *testing.T) {
	var p scanners.Progress
	p.TotalBytes.Store(4 << 30)
	p.ReadBytes.Store(1 << 30)
	p.Files.Store(12)
	p.Findings.Store(345)
	if got := Line(&p, 2*time.Second); got != "scanning 1.0 GiB  512.0 MiB/s  12 files  345 findings" {
		t.Errorf("walk running: %q", got)
	}
	p.WalkDone.Store(true)
	if got := Line(&p, 2*time.Second); got != "scanning 1.0 GiB / 4.0 GiB ( 25%) ETA 6s  512.0 MiB/s  12 files  345 findings" {
		t.Errorf("walk done: %q", got)
	}
}

func TestBarClearsItsLine(t *testing.T) {
	var p scanners.Progress
	var out bytes.Buffer
	b := Start(&out, &p, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	b.Stop()
	s := out.String()
	if !strings.HasPrefix(s, "\rscanning ") || !strings.HasSuffix(s, "\r") {
		t.Errorf("output %q", s)
	}
}
