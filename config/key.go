package config

import (
	"bytes"
	"fmt"
	"math"
)

// MinKeyLength is the shortest fingerprint key piiscan accepts, in bytes.
// `openssl rand -hex 32` gives 64.
const MinKeyLength = 32

// minKeyBits is the least entropy, estimated from the key's own byte
// frequencies, a key must show. A random 32-character hex key shows about
// 115 bits; "aaaa…" or "abababab…" show almost none.
const minKeyBits = 96

// placeholders are words found in the example values of documentation and
// manifests ("replace-with-64-hex-characters-…"), never in a random key.
var placeholders = []string{"replace", "change-me", "changeme", "change_me", "example", "placeholder", "openssl", "your-", "your_", "insert"}

// CheckKey refuses a fingerprint key an attacker could guess. Fingerprints
// are HMACs of the values piiscan finds: with a guessable key, a masked
// value and its fingerprint give the value back by brute force (an SSN has
// fewer than 10⁹ candidates). The error never contains the key.
func CheckKey(key []byte) error {
	const howto = "make one with `openssl rand -hex 32`"
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

// estimatedBits estimates the entropy of k from its byte frequencies
// (Shannon entropy per byte times length), capped for periodic keys such
// as "0123456789abcdef0123456789abcdef" at the entropy of one period.
func estimatedBits(k []byte) float64 {
	n := len(k)
	for p := 1; p <= n/2; p++ {
		if n%p == 0 && bytes.Equal(k, bytes.Repeat(k[:p], n/p)) {
			k, n = k[:p], p
			break
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
	return h * float64(n)
}
