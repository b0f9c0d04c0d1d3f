package shard

import (
	"os"
	"path/filepath"
	"testing"
)

// A merge's source is a findings file when it is a local file, and a
// store otherwise.
func TestPlaceFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, Shard{0, 1}.FileName())
	if err := os.WriteFile(file, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		isFile, isErr bool
	}{
		{name: file, isFile: true},
		{name: dir},
		{name: filepath.Join(dir, "missing"), isErr: true},
		{name: "s3://b/run-1/"},
	} {
		r, err := at(tc.name, nil).file()
		if r != nil {
			r.Close()
		}
		if (r != nil) != tc.isFile || (err != nil) != tc.isErr {
			t.Errorf("at(%q).file() = %v, %v; want a file %v, an error %v", tc.name, r, err, tc.isFile, tc.isErr)
		}
	}
}
