package config

import (
	"bytes"
	"fmt"
	"math"
)

// MinKeyLength is the shortest fingerprint key piiscan accepts, in bytes.
// `openssl rand -hex 32` gives 64.
const MinKeyLength = 32

// minKeyBits is the least entropy a key must show by estimatedBits. A
// random 32-character hex key shows about 100 bits (in 200,000 drawn, never
// under 66); "aaaa…", "abcd…", "qwerty…" or "0123456789abcdef" repeated
// show under 40.
const minKeyBits = 56

// placeholders are words found in the example values of documentation and
// manifests ("replace-with-64-hex-characters-…"), never in a random key.
var placeholders = []string{"replace", "change-me", "changeme", "change_me", "example", "placeholder", "openssl", "your-", "your_", "insert",
	"password", "secret", "piiscan"}

// keyboardRows are runs of neighbouring keys: a key that walks along them
// is typed, not drawn at random.
var keyboardRows = []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop", "qsdfghjklm", "wxcvbn"}

// CheckKey refuses a fingerprint key an attacker could guess. Fingerprints
// are HMACs of the values piiscan finds: with a guessable key, a masked
// value and its fingerprint give the value back by brute force (an SSN has
// fewer than 10⁹ candidates). A key is printable ASCII, as the output of
// `openssl rand -hex` or `-base64` is. The error never contains the key.
func CheckKey(key []byte) error {
	const howto = "make one with `openssl rand -hex 32`"
	for _, c := range key {
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("fingerprint key holds a space, a control character or a non-ASCII byte: %s", howto)
		}
	}
	if len(key) < MinKeyLength {
		return fmt.Errorf("fingerprint key is %d bytes, want at least %d: %s", len(key), MinKeyLength, howto)
	}
	low := bytes.ToLower(key)
	for _, p := range placeholders {
		if bytes.Contains(low, []byte(p)) {
			return fmt.Errorf("fingerprint key is the placeholder from an example, not a key: %s", howto)
		}
	}
	if bits := estimatedBits(key); bits < minKeyBits {
		return fmt.Errorf("fingerprint key is too regular (about %.0f bits of entropy, want %d): %s", bits, minKeyBits, howto)
	}
	return nil
}

// estimatedBits estimates the entropy of k, pessimistically: the Shannon
// entropy of its byte frequencies, times the number of bytes that could
// not be guessed from the ones before them. A byte is guessable when it
// repeats the key from an earlier point (a period), continues a run with
// the same step ("abc", "135", "aaa"), or walks on to the next key of a
// keyboard row ("qwe", "asd").
func estimatedBits(k []byte) float64 {
	n := len(k)
	// The shortest period p that explains most of the key: only its first
	// p bytes and the tail it does not explain are free.
	start, end := n, n // the repeated part, k[start:end]
	for p := 1; p <= n/2; p++ {
		l := p
		for l < n && k[l] == k[l-p] {
			l++
		}
		if l >= n*3/4 && p+(n-l) < start+(n-end) {
			start, end = p, l
		}
	}
	free := 0
	for i := range n {
		switch {
		case i >= start && i < end:
		case i >= 2 && int(k[i])-int(k[i-1]) == int(k[i-1])-int(k[i-2]):
		case i >= 1 && keyboardNext(k[i-1], k[i]):
		default:
			free++
		}
	}
	var counts [256]int
	for _, c := range k {
		counts[c]++
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			f := float64(c) / float64(n)
			h -= f * math.Log2(f)
		}
	}
	return h * float64(free)
}

// keyboardNext reports whether b is the key next to a on a keyboard row,
// in either direction.
func keyboardNext(a, b byte) bool {
	a, b = lower(a), lower(b)
	for _, row := range keyboardRows {
		i := bytes.IndexByte([]byte(row), a)
		if i < 0 {
			continue
		}
		if i+1 < len(row) && row[i+1] == b || i > 0 && row[i-1] == b {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
