package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// escapeError keeps the whole message of an error wrapping several
// errors with fmt.Errorf, and still says an errors.Join one a line.
func TestEscapeErrorKeepsMessage(t *testing.T) {
	locked := errors.New("the state file is in use")
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"two %w", fmt.Errorf("/var/lib/s.db: %w; stopped waiting: %w", locked, context.Canceled),
			"/var/lib/s.db: the state file is in use; stopped waiting: context canceled"},
		{"join", errors.Join(errors.New("a"), errors.New("b")), "a\nb"},
		{"one %w", fmt.Errorf("x: %w", locked), "x: the state file is in use"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := escapeError(tt.err)
			if got := err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Error("errors.Is does not see through it")
			}
		})
	}
}
