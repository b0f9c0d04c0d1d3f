//go:build unix

package flock

import (
	"os"
	"syscall"
)

func lock(f *os.File, how int) error { return syscall.Flock(int(f.Fd()), how) }

const (
	exclusive = syscall.LOCK_EX
	shared    = syscall.LOCK_SH
	nonBlock  = syscall.LOCK_NB
	unlock    = syscall.LOCK_UN
)
