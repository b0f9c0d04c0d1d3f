//go:build unix

package scanners

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe the user names (as the shell's <(command) gives) is read
// like standard input; a device named is an error, not a silent skip.
func TestScanNamedSpecialTargets(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("mail ada@example.com\n")
		f.Close()
	}()
	got, stats, _ := scanWithin(t, context.Background(), 20*time.Second, testOptions(t), fifo)
	if len(got) != 1 || got[0].Class != "email" || len(stats.Problems) > 0 {
		t.Errorf("named pipe: %d findings, problems %+v", len(got), stats.Problems)
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, stats, _ = scanWithin(t, context.Background(), 20*time.Second, testOptions(t), "/dev/zero")
	if len(stats.Problems) != 1 || !strings.Contains(stats.Problems[0].Error, "character device") {
		t.Errorf("/dev/zero: problems %+v, want one naming the device", stats.Problems)
	}
}

// A pipe where a database's write-ahead log would be is not a log, nor a
// link to a device a journal, and looking for them never blocks the scan
// nor opens a device.
func TestScanSQLiteLogPipe(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.db")
	writeFile(t, p, sqliteFile(t, `CREATE TABLE t(email TEXT)`, `INSERT INTO t VALUES('ada@example.com')`))
	if err := syscall.Mkfifo(p+"-wal", 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	// Nor is a link to a device where its rollback journal would be.
	if err := os.Symlink("/dev/zero", p+"-journal"); err != nil {
		t.Fatal(err)
	}
	got, stats, _ := scanWithin(t, context.Background(), 20*time.Second, testOptions(t), p)
	if len(got) != 1 || len(stats.Problems) > 0 {
		t.Errorf("%d findings, problems %+v: want the database's one, none", len(got), stats.Problems)
	}
}
