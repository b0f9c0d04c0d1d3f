package itempath

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"strings"
)

// TempPrefix starts the names of piiscan's temporary files in the trees
// it rewrites; a run that is killed may leave one behind, which the next
// run removes. Only a name that IsTemp accepts is one of them.
const TempPrefix = ".piiscan-tmp-"

// tempRandBytes is the number of random bytes in a temporary file's name.
const tempRandBytes = 6

// maxTempTail is how much of a file's name its temporary name repeats.
const maxTempTail = 64

// TempName returns a new name for a temporary file: TempPrefix, 12
// lower-case hexadecimal digits, and "-" and tail, if any. tail is the
// name of the file it will replace (or another note, such as the inodes
// a parked file may have), cut to 64 bytes so that the temporary name
// stays within the 255 bytes a file name may have, however long the
// original's.
func TempName(tail string) string {
	var b [tempRandBytes]byte
	rand.Read(b[:])
	n := TempPrefix + hex.EncodeToString(b[:])
	if tail != "" {
		if len(tail) > maxTempTail {
			tail = tail[:maxTempTail]
		}
		n += "-" + tail
	}
	return n
}

// IsTemp reports whether name (a file name, not a path) is exactly one
// TempName gives. A user's file that merely starts with TempPrefix
// (.piiscan-tmp-notes.txt) is not.
func IsTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, TempPrefix)
	if !ok || len(rest) < 2*tempRandBytes {
		return false
	}
	for _, c := range rest[:2*tempRandBytes] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	rest = rest[2*tempRandBytes:]
	return rest == "" || len(rest) > 1 && rest[0] == '-' && !strings.ContainsRune(rest, filepath.Separator)
}

// ReplacementName returns the name under which a new version of the file
// named base is written before it is renamed over base (see package
// atomicfile): .BASE.N.tmp, beside it, with n a random number. These are
// not TempName's names, and IsTemp does not accept them: their writers
// hold no lock a clean-up could test, so only the owner of base removes
// them (as the audit log does its head's, through ReplacementGlob).
func ReplacementName(base string, n uint32) string {
	return "." + base + "." + strconv.FormatUint(uint64(n), 10) + ".tmp"
}

// ReplacementGlob returns a filepath.Glob pattern (for the name alone)
// that matches the names ReplacementName gives for base.
func ReplacementGlob(base string) string { return "." + base + ".*.tmp" }
