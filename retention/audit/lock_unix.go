//go:build unix

package audit

import (
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock, so concurrent piiscan runs append
// whole entries with a consistent chain and head.
func lock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// lockShared takes a shared advisory lock, so a reader sees no append half
// done (the entries written but not the head).
func lockShared(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_SH) }

func unlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
