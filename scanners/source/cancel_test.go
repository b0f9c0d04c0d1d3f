package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// A cancelled expansion stops within the stream being read, not at its
// end: one big compressed stream, or a zip being spooled, would otherwise
// keep a stopped scan busy.
func TestExpandCancelledWhileReading(t *testing.T) {
	big := bytes.Repeat([]byte("a line of a very long log\n"), 1<<20) // 26 MiB
	t.Run("compressed streams", func(t *testing.T) {
		for name, data := range map[string][]byte{"gzip": gzipBytes(t, big), "zstd": zstdBytes(t, big), "xz": xzBytes(t, big[:4<<20])} {
			ctx, cancel := context.WithCancel(context.Background())
			var after int64 // bytes the StreamFunc read after the cancellation
			x := &Expander{}
			err := x.Expand(ctx, "in", bytes.NewReader(data), nil, -1, func(_ string, br *bufio.Reader, _ *Table) error {
				if _, err := io.CopyN(io.Discard, br, 256<<10); err != nil {
					return err
				}
				cancel()
				n, err := io.Copy(io.Discard, br)
				after = n
				return err
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: Expand = %v, want context.Canceled", name, err)
			}
			if after > 1<<20 {
				t.Errorf("%s: %d bytes read after the cancellation", name, after)
			}
		}
	})
	t.Run("zip spooled from a stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		z := zipBytes(t, reg("a.txt", "a"), entry{name: "big.bin", body: string(noise(8<<20, 9)), store: true})
		src := &cancelAfter{r: bytes.NewReader(z), n: 1 << 20, cancel: cancel}
		x := &Expander{Limits: Limits{SpoolDir: t.TempDir()}}
		err := x.Expand(ctx, "in", src, nil, -1, func(string, *bufio.Reader, *Table) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Expand = %v, want context.Canceled", err)
		}
		if src.after > 1<<20 {
			t.Errorf("%d bytes spooled after the cancellation", src.after)
		}
	})
}

// cancelAfter calls cancel once n bytes have been read from r, and counts
// the bytes read after that.
type cancelAfter struct {
	r      io.Reader
	n      int64
	after  int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n <= 0 {
		c.after += int64(n)
	}
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}
