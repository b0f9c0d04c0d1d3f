//go:build !unix

package audit

import "os"

func lock(*os.File) error       { return nil }
func lockShared(*os.File) error { return nil }
func unlock(*os.File) error     { return nil }
