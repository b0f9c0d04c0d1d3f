package finding

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// referenceSum computes a fingerprint as Sum documents it, independently of
// Fingerprinter.
func referenceSum(key []byte, class string, value []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(class))
	m.Write([]byte{0})
	m.Write(value)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func TestFingerprinterKnownValues(t *testing.T) {
	tests := []struct {
		key          []byte
		class, value string
		want         string // computed with Python's hmac module
	}{
		{[]byte("test-key"), "email", "alice@example.com", "cdb511f1931d66506d82af2bd8c91946"},
		{nil, "credential", "", "b1f2ae5bcfec6b24669e68484225ba0a"},
		// class+value longer than Sum's stack buffer
		{[]byte(strings.Repeat("k", 100)), "employee_id", strings.Repeat("x", 200), "2a8ed7367d65266f0bf2b8470beac884"},
	}
	for _, tt := range tests {
		got := NewFingerprinter(tt.key).Sum(tt.class, []byte(tt.value))
		if got != tt.want {
			t.Errorf("Sum(%q, %q) with key %q = %s, want %s", tt.class, tt.value, tt.key, got, tt.want)
		}
		if ref := referenceSum(tt.key, tt.class, []byte(tt.value)); got != ref {
			t.Errorf("Sum(%q, %q) with key %q = %s, crypto/hmac gives %s", tt.class, tt.value, tt.key, got, ref)
		}
	}
}

func TestFingerprinter(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	f := NewFingerprinter(key)
	base := f.Sum(ClassEmail, []byte("alice@example.com"))
	if !fingerprintRE.MatchString(base) {
		t.Fatalf("Sum = %q, want 32 lower-case hex digits", base)
	}
	if again := f.Sum(ClassEmail, []byte("alice@example.com")); again != base {
		t.Errorf("Sum not stable: %s then %s", base, again)
	}
	if other := NewFingerprinter(append([]byte(nil), key...)).Sum(ClassEmail, []byte("alice@example.com")); other != base {
		t.Errorf("same key, new Fingerprinter: %s, want %s", other, base)
	}

	different := []struct {
		name  string
		f     *Fingerprinter
		class string
		value string
	}{
		{"other key", NewFingerprinter([]byte("another key")), ClassEmail, "alice@example.com"},
		{"empty key", NewFingerprinter(nil), ClassEmail, "alice@example.com"},
		{"other class", f, ClassPersonName, "alice@example.com"},
		{"other value", f, ClassEmail, "bob@example.com"},
		{"class/value boundary", f, ClassEmail + "a", "lice@example.com"},
	}
	for _, tt := range different {
		got := tt.f.Sum(tt.class, []byte(tt.value))
		if !fingerprintRE.MatchString(got) {
			t.Errorf("%s: Sum = %q, want 32 lower-case hex digits", tt.name, got)
		}
		if got == base {
			t.Errorf("%s: Sum = %s, same as the base fingerprint", tt.name, got)
		}
	}
}

func TestFingerprinterCopiesKey(t *testing.T) {
	key := []byte("secret key")
	f := NewFingerprinter(key)
	want := referenceSum([]byte("secret key"), ClassEmail, []byte("alice@example.com"))
	copy(key, "XXXXXXXXXX")
	if got := f.Sum(ClassEmail, []byte("alice@example.com")); got != want {
		t.Errorf("Sum after changing the caller's key = %s, want %s", got, want)
	}
}

func TestFingerprinterConcurrent(t *testing.T) {
	key := []byte("concurrent")
	f := NewFingerprinter(key)
	const workers, per = 8, 200
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				class := BuiltinClasses()[(w+i)%len(BuiltinClasses())]
				value := []byte(fmt.Sprintf("value-%d-%d", w, i%17))
				if i%5 == 0 {
					// Long values (a private key's body) between short
					// ones, across SHA-256's block edges.
					value = bytes.Repeat(value, 1+i%97)
				}
				if got, want := f.Sum(class, value), referenceSum(key, class, value); got != want {
					errs <- fmt.Sprintf("Sum(%q, %q) = %s, want %s", class, value, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// KeyID is the value shard files have recorded since piiscan first wrote
// one (report.KeyID then): changing it would make the files of a scan
// written before and after an upgrade refuse to merge.
func TestKeyID(t *testing.T) {
	for _, tt := range []struct{ key, want string }{
		{"5c1e0a9d3b7f4286e1d0c5a7b92f38e4", "623d28256ca7714b"},
		{"a8d2f61c04b9e37d5f1a2c8e6b0d4973", "ec90a64bb74bad1d"},
	} {
		if got := KeyID([]byte(tt.key)); got != tt.want {
			t.Errorf("KeyID(%q) = %s, want %s", tt.key, got, tt.want)
		}
		if got := NewFingerprinter([]byte(tt.key)).KeyID(); got != tt.want {
			t.Errorf("Fingerprinter.KeyID() = %s, want %s", got, tt.want)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	f := NewFingerprinter([]byte("0123456789abcdef0123456789abcdef"))
	v := []byte("203.0.113.77")
	b.ReportAllocs()
	for b.Loop() {
		f.Sum("ip_address", v)
	}
}
