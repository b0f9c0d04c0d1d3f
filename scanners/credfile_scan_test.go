package scanners

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"path/filepath"
	"slices"
	"testing"
)

// TestCredentialFilesByName scans credential files as plain files and as
// members of a home-directory backup: their passwords are found by the
// file's name (the member's, in the archive), and the same lines in a file
// of another name are not read as one.
func TestCredentialFilesByName(t *testing.T) {
	files := map[string]string{
		"home/u/.pgpass":              "db1.internal:5432:orders:app:Wp7nQ2xZ\n",
		"home/u/.netrc":               "machine api.example.net\n  login deploy\n  password Zq8wPm3Kx1\n",
		"etc/pgbouncer/userlist.txt":  "\"app\" \"Pg-b0uncer!\"\n",
		"home/u/notes/pgpass-help.md": "db1.internal:5432:orders:app:Wp7nQ2xZ\nmachine h login u password Zq8wPm3Kx1\n",
	}
	want := []string{"Pg-b0uncer!", "Wp7nQ2xZ", "Zq8wPm3Kx1"}
	dir := t.TempDir()
	var tb bytes.Buffer
	zw := gzip.NewWriter(&tb)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"home/u/.pgpass", "home/u/.netrc", "etc/pgbouncer/userlist.txt", "home/u/notes/pgpass-help.md"} {
		data := []byte(files[name])
		writeFile(t, filepath.Join(dir, "tree", filepath.FromSlash(name)), data)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data))})
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	archive := filepath.Join(dir, "home-backup.tar.gz")
	writeFile(t, archive, tb.Bytes())

	opts := testOptions(t)
	opts.Reveal = true
	for _, target := range []string{filepath.Join(dir, "tree"), archive} {
		got, stats := collect(t, opts, target)
		if len(stats.Problems) > 0 {
			t.Fatalf("%s: problems %+v", target, stats.Problems)
		}
		var values []string
		for _, f := range got {
			if f.Rule == "credential_file" {
				values = append(values, f.Value)
			}
		}
		slices.Sort(values)
		if !slices.Equal(values, want) {
			t.Errorf("%s: credential_file found %q, want %q", target, values, want)
		}
	}
}
