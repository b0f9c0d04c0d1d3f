package retention

import (
	"strings"
	"testing"
)

// TestMaskCredentialFiles masks the passwords of credential files known by
// name, as scans report them, and leaves the same lines in another file.
func TestMaskCredentialFiles(t *testing.T) {
	m := maskAll(defaultEngine(t))
	const in = "db1.internal:5432:orders:app:Wp7nQ2xZ\n"
	for _, tt := range []struct{ path, want string }{
		{"/home/u/.pgpass", "db1.internal:5432:orders:app:[credential]\n"},
		{"backup.tar!home/u/.pgpass", "db1.internal:5432:orders:app:[credential]\n"},
		{"/home/u/notes.txt", in},
	} {
		out, _ := mask(t, m, in, tt.path)
		if out != tt.want {
			t.Errorf("%s: got %q, want %q", tt.path, out, tt.want)
		}
	}
	out, _ := mask(t, m, "machine h\n  login u\n  password Zq8wPm3Kx1\n", "/home/u/.netrc")
	if strings.Contains(out, "Zq8wPm3Kx1") {
		t.Errorf(".netrc: password stays: %q", out)
	}
}
