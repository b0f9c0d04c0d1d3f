package finding

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// Fingerprinter computes keyed fingerprints of normalised values. The same
// key gives the same fingerprint for the same value, across files and runs;
// without the key a fingerprint cannot be reversed by guessing values.
type Fingerprinter struct {
	pool  sync.Pool
	keyID string
}

// NewFingerprinter returns a Fingerprinter keyed with key.
func NewFingerprinter(key []byte) *Fingerprinter {
	k := append([]byte(nil), key...)
	f := &Fingerprinter{keyID: KeyID(k)}
	f.pool.New = func() any { return &summer{h: hmac.New(sha256.New, k)} }
	return f
}

// summer is one goroutine's HMAC with the scratch space of a Sum, pooled
// together so that a fingerprint allocates only its result. The value is
// written to the HMAC, never copied here: a pooled buffer would keep it
// in memory (a private key's body) long after the scan.
type summer struct {
	h    hash.Hash
	head []byte // class and a zero byte
	sum  [sha256.Size]byte
}

// keyIDLabel is what KeyID authenticates with the key: a fixed label of
// its own, so that a key id is never the fingerprint of a value.
const keyIDLabel = "piiscan key id v1"

// KeyID names a fingerprint key without revealing it: the first 16 hex
// digits of HMAC-SHA256(key, "piiscan key id v1"). Two files with the
// same key id were fingerprinted with the same key; a shard's findings
// file records it (shard.Header), so that shards of different keys are
// never merged.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(keyIDLabel))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// KeyID returns the KeyID of the key f fingerprints with.
func (f *Fingerprinter) KeyID() string { return f.keyID }

// Sum returns the fingerprint of a normalised value of the given class as 32
// lower-case hex digits (the first 128 bits of HMAC-SHA256 over
// class, a zero byte and the value). It is safe for concurrent use.
func (f *Fingerprinter) Sum(class string, normalized []byte) string {
	m := f.pool.Get().(*summer)
	m.h.Reset()
	m.head = append(append(m.head[:0], class...), 0)
	m.h.Write(m.head)
	m.h.Write(normalized)
	m.h.Sum(m.sum[:0])
	var hexSum [32]byte
	hex.Encode(hexSum[:], m.sum[:16])
	f.pool.Put(m)
	return string(hexSum[:])
}
