//go:build unix

package audit

import (
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock, so concurrent piiscan runs append
// whole entries with a consistent chain.
func lock(f *os.File) error   { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }
func unlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
