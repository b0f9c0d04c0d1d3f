//go:build !linux

package source

import "os"

// createUnnamed reports false: only Linux creates files without a name.
func createUnnamed(string) (*os.File, bool) { return nil, false }
