//go:build !linux

package retention

import "os"

// exchange swaps two names, not atomically here.
func exchange(a, b string) {
	os.Rename(a, a+".swap")
	os.Rename(b, a)
	os.Rename(a+".swap", b)
}
