// Package progress draws a one-line progress display for long scans on a
// terminal: bytes done of the total, throughput, time left, files and
// findings.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/piiscan/piiscan/scanners"
)

// Bar redraws a status line from a scan's Progress until stopped.
type Bar struct {
	w     io.Writer
	p     *scanners.Progress
	start time.Time
	stop  chan struct{}
	done  sync.WaitGroup
	width int
}

// Start begins drawing p to w (a terminal) every interval.
func Start(w io.Writer, p *scanners.Progress, interval time.Duration) *Bar {
	b := &Bar{w: w, p: p, start: time.Now(), stop: make(chan struct{})}
	b.done.Add(1)
	go func() {
		defer b.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				b.clear()
				return
			case <-t.C:
				b.draw()
			}
		}
	}()
	return b
}

// Stop clears the line and stops drawing.
func (b *Bar) Stop() {
	close(b.stop)
	b.done.Wait()
}

func (b *Bar) clear() {
	if b.width > 0 {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.width))
	}
}

func (b *Bar) draw() {
	line := Line(b.p, time.Since(b.start))
	pad := ""
	if n := b.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	b.width = len(line)
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
}

// Line renders the status after elapsed time.
func Line(p *scanners.Progress, elapsed time.Duration) string {
	done := p.ReadBytes.Load()
	total := p.TotalBytes.Load()
	secs := elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(done) / secs
	}
	var b strings.Builder
	fmt.Fprintf(&b, "scanning %s", size(done))
	if total > 0 && p.WalkDone.Load() {
		pct := min(100, 100*float64(done)/float64(total))
		fmt.Fprintf(&b, " / %s (%3.0f%%)", size(total), pct)
		if rate > 0 && done < total {
			eta := time.Duration(float64(total-done)/rate) * time.Second
			fmt.Fprintf(&b, " ETA %s", eta.Round(time.Second))
		}
	}
	fmt.Fprintf(&b, "  %s/s  %d files  %d findings", size(int64(rate)), p.Files.Load(), p.Findings.Load())
	return b.String()
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
