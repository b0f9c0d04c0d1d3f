package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// stopGrace is how long a read-only command may take to stop after
// SIGINT or SIGTERM.
const stopGrace = 10 * time.Second

// exitIfStuck ends the process with exitSignal when ctx is cancelled (an
// interrupt) and the command has not returned within grace: a read of
// standard input or of a named pipe that gets no data cannot be cancelled,
// and an interrupted scan must still end. It is only for commands that
// change nothing. The returned function disarms it.
func exitIfStuck(ctx context.Context, stderr io.Writer, grace time.Duration) (disarm func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		select {
		case <-done:
		case <-time.After(grace):
			fmt.Fprintf(stderr, "piiscan: interrupted, and still waiting for input after %v: exiting\n", grace)
			os.Exit(exitSignal)
		}
	}()
	return func() { close(done) }
}
