package scanners

import (
	"bytes"
	"testing"
)

func TestLastNewline(t *testing.T) {
	// Every placement of up to two newlines among bytes that fool a
	// borrowing zero-byte test ('\v' is '\n'^1, 0x8a has the high bit).
	fill := []byte{'a', '\v', 0x8a, 0x0b, 0xff, 0x00, '\t'}
	for n := 0; n <= 24; n++ {
		for _, f := range fill {
			b := bytes.Repeat([]byte{f}, n)
			for x := -1; x < n; x++ {
				for y := -1; y <= x; y++ {
					c := bytes.Clone(b)
					if x >= 0 {
						c[x] = '\n'
					}
					if y >= 0 {
						c[y] = '\n'
					}
					if got, want := lastNewline(c), bytes.LastIndexByte(c, '\n'); got != want {
						t.Fatalf("lastNewline(%q) = %d, want %d", c, got, want)
					}
				}
			}
		}
	}
}

func FuzzLastNewline(f *testing.F) {
	f.Add([]byte("a\nbc\v\v\v\v\v\v\v\v\v"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := lastNewline(b), bytes.LastIndexByte(b, '\n'); got != want {
			t.Fatalf("lastNewline(%q) = %d, want %d", b, got, want)
		}
	})
}
