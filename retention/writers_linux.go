package retention

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/piiscan/piiscan/internal/openat"
)

// openForWriting reads /proc: every regular file some other process holds
// open for writing (O_WRONLY or O_RDWR), with the first such process.
// Processes piiscan may not look into (another user's, when not root) are
// not seen; neither are processes of another PID namespace.
func openForWriting() map[openat.ID]string {
	out := map[openat.ID]string{}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	self := strconv.Itoa(os.Getpid())
	for _, p := range procs {
		pid := p.Name()
		if pid == self || pid[0] < '0' || pid[0] > '9' {
			continue
		}
		fds, err := os.ReadDir("/proc/" + pid + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			fi, err := os.Stat("/proc/" + pid + "/fd/" + fd.Name())
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			k := openat.IDOf(fi)
			if _, seen := out[k]; seen || !writable("/proc/"+pid+"/fdinfo/"+fd.Name()) {
				continue
			}
			comm, _ := os.ReadFile("/proc/" + pid + "/comm")
			out[k] = "pid " + pid + " (" + strings.TrimSpace(string(comm)) + ")"
		}
	}
	return out
}

// writable reads the flags of an fdinfo file: whether the descriptor was
// opened for writing.
func writable(fdinfo string) bool {
	b, err := os.ReadFile(fdinfo)
	if err != nil {
		return false
	}
	i := bytes.Index(b, []byte("flags:"))
	if i < 0 {
		return false
	}
	field := bytes.TrimSpace(b[i+len("flags:"):])
	if j := bytes.IndexByte(field, '\n'); j >= 0 {
		field = bytes.TrimSpace(field[:j])
	}
	flags, err := strconv.ParseUint(string(field), 8, 64)
	if err != nil {
		return false
	}
	return flags&uint64(os.O_WRONLY|os.O_RDWR) != 0
}
