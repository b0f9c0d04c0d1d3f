package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/piiscan/piiscan/internal/atomicfile"
)

// Head is the end of a log: how many entries it holds and the HMAC of its
// last line ("" for an empty log). A log holds a head when its entry
// number Entries hashes to Hash, so a head taken earlier still matches a
// log that has grown since, but not one cut short or edited.
type Head struct {
	Entries int64  `json:"entries"`
	Hash    string `json:"hash"`
	// KeyID names the key the head was MACed with (see KeyID).
	KeyID string `json:"key_id,omitempty"`
}

// String returns the head as ENTRIES:HASH, the form ParseHead reads and
// piiscan audit verify prints and takes with --head.
func (h Head) String() string { return strconv.FormatInt(h.Entries, 10) + ":" + h.Hash }

// ParseHead reads a head written by Head.String.
func ParseHead(s string) (Head, error) {
	n, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	entries, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || entries < 0 {
		return Head{}, fmt.Errorf("head %q: want ENTRIES:HASH, as audit verify prints it", s)
	}
	if _, err := hex.DecodeString(hash); err != nil || len(hash) != 64 && !(entries == 0 && hash == "") {
		return Head{}, fmt.Errorf("head %q: the hash is not 64 hex digits", s)
	}
	return Head{Entries: entries, Hash: strings.ToLower(hash)}, nil
}

// headFile is the content of a head file.
type headFile struct {
	Head
	// MAC is over the head's fields, keyed with the log's key, so that a
	// head cannot be written without the key.
	MAC string `json:"mac"`
}

func (l *Log) headMAC(h Head) string {
	m := hmac.New(sha256.New, l.key)
	fmt.Fprintf(m, "piiscan audit head\n%d\n%s\n%s\n", h.Entries, h.Hash, h.KeyID)
	return hex.EncodeToString(m.Sum(nil))
}

// writeHead replaces the head file, atomically and durably.
func (l *Log) writeHead(h Head) error {
	h.KeyID = l.keyID
	data, err := json.Marshal(headFile{Head: h, MAC: l.headMAC(h)})
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(l.HeadPath(), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("audit log head: %w", err)
	}
	return nil
}

// readHead reads the head file: nil when there is none. A head written
// with another key is a *KeyError; one whose MAC does not match wraps
// ErrHeadMismatch.
func (l *Log) readHead() (*Head, error) {
	data, err := os.ReadFile(l.HeadPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log head: %w", err)
	}
	var hf headFile
	if err := json.Unmarshal(data, &hf); err != nil {
		return nil, fmt.Errorf("audit log %s: %w: its head file %s is not valid", l.path, ErrHeadMismatch, l.HeadPath())
	}
	if hf.KeyID != l.keyID {
		return nil, fmt.Errorf("audit log %s: %w", l.path, &KeyError{Logged: hf.KeyID, Key: l.keyID})
	}
	if !hmac.Equal([]byte(hf.MAC), []byte(l.headMAC(hf.Head))) {
		return nil, fmt.Errorf("audit log %s: %w: its head file %s was edited (its MAC does not match)", l.path, ErrHeadMismatch, l.HeadPath())
	}
	return &hf.Head, nil
}
