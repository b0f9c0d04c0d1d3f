package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"time"
)

// A remembered violation is stored in the seen bucket of its route under
// seenKey(location, rule, fingerprint). Its value is either
//
//   - the compact encoding below (schema 2), which starts with
//     seenFormat, or
//   - the JSON of Seen written by schema 1 (it starts with '{'), still
//     read: Open converts such values once, but a value that is not
//     converted (an unexpected one) must not be lost. One whose location,
//     rule or fingerprint is not what its key says is unreadable.
//
// The compact value leaves out what the key says (location, rule and
// fingerprint) and holds, after seenFormat, as varints: the lengths of
// the location and the rule (to split the key), First (seconds since
// 1970 and nanoseconds), LastSent (seconds after First, nanoseconds),
// Line, and then Class, Severity, Path and Masked, each as its length
// and its bytes. Path is stored as it is, not UTF-8-escaped.
const seenFormat = 0x01

var errBadSeen = errors.New("unreadable remembered violation")

func seenKey(location, rule, fingerprint string) []byte {
	k := make([]byte, 0, len(location)+len(rule)+len(fingerprint)+2)
	return appendSeenKey(k, location, rule, fingerprint)
}

func appendSeenKey(k []byte, location, rule, fingerprint string) []byte {
	k = append(k, location...)
	k = append(k, 0)
	k = append(k, rule...)
	k = append(k, 0)
	return append(k, fingerprint...)
}

// appendSeenValue appends the compact encoding of v to b.
func appendSeenValue(b []byte, v *Seen) []byte {
	b = append(b, seenFormat)
	b = binary.AppendUvarint(b, uint64(len(v.Location)))
	b = binary.AppendUvarint(b, uint64(len(v.Rule)))
	first, last := v.First.Unix(), v.LastSent.Unix()
	b = binary.AppendVarint(b, first)
	b = binary.AppendUvarint(b, uint64(v.First.Nanosecond()))
	b = binary.AppendVarint(b, last-first)
	b = binary.AppendUvarint(b, uint64(v.LastSent.Nanosecond()))
	b = binary.AppendVarint(b, int64(v.Line))
	for _, s := range [...]string{v.Class, v.Severity, v.Path, v.Masked} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// decodeSeen reads a remembered violation stored under key, in either
// encoding.
func decodeSeen(key, data []byte) (Seen, error) {
	var v Seen
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &v); err != nil {
			return Seen{}, errBadSeen
		}
		// A value that contradicts its key is corrupt: read as it says,
		// a reminder of it would be saved under another key, and it
		// would stay due under its own.
		if !bytes.Equal(appendSeenKey(nil, v.Location, v.Rule, v.Fingerprint), key) {
			return Seen{}, errBadSeen
		}
		return v, nil
	}
	if len(data) == 0 || data[0] != seenFormat {
		return Seen{}, errBadSeen
	}
	d, h := readSeenHeader(data)
	nloc, nrule := h.nloc, h.nrule
	line := d.varint()
	v.Class, v.Severity, v.Path, v.Masked = d.string(), d.string(), d.string(), d.string()
	if d.bad || len(d.b) != 0 || h.firstNano >= 1e9 || h.lastNano >= 1e9 || line < math.MinInt || line > math.MaxInt ||
		nloc > uint64(len(key)) || nrule > uint64(len(key))-nloc || uint64(len(key))-nloc-nrule < 2 ||
		key[nloc] != 0 || key[nloc+1+nrule] != 0 {
		return Seen{}, errBadSeen
	}
	v.Location = string(key[:nloc])
	v.Rule = string(key[nloc+1 : nloc+1+nrule])
	v.Fingerprint = string(key[nloc+2+nrule:])
	v.First = time.Unix(h.first, int64(h.firstNano)).UTC()
	v.LastSent = time.Unix(h.first+h.last, int64(h.lastNano)).UTC()
	v.Line = int(line)
	return v, nil
}

// lastSentOf returns the LastSent of a stored value without decoding the
// rest of a compact one.
func lastSentOf(key, data []byte) (time.Time, bool) {
	if len(data) > 0 && data[0] == seenFormat {
		d, h := readSeenHeader(data)
		if d.bad || h.lastNano >= 1e9 {
			return time.Time{}, false
		}
		return time.Unix(h.first+h.last, int64(h.lastNano)).UTC(), true
	}
	v, err := decodeSeen(key, data)
	return v.LastSent, err == nil
}

// seenHeader is the start of a compact value: the lengths that split
// its key, First and LastSent.
type seenHeader struct {
	nloc, nrule         uint64
	first, last         int64
	firstNano, lastNano uint64
}

// readSeenHeader reads the header of the compact value data (which
// starts with seenFormat) and returns the decoder positioned after it.
func readSeenHeader(data []byte) (decoder, seenHeader) {
	d := decoder{b: data[1:]}
	var h seenHeader
	h.nloc, h.nrule = d.uvarint(), d.uvarint()
	h.first, h.firstNano = d.varint(), d.uvarint()
	h.last, h.lastNano = d.varint(), d.uvarint()
	return d, h
}

// decoder reads varints and strings, remembering the first failure.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) varint() int64 {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// dueKey is the key of a violation in the due index of its route: when
// it was last sent (big-endian, so that keys sort by time) and its key in
// the seen bucket.
func dueKey(b []byte, lastSent time.Time, seen []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, dueStamp(lastSent))
	return append(b, seen...)
}

// dueStampLen is the length of the time at the start of a due key.
const dueStampLen = 8

var (
	minNano = time.Unix(0, math.MinInt64)
	maxNano = time.Unix(0, math.MaxInt64)
)

// dueStamp orders times as unsigned integers: nanoseconds since 1970
// with the sign bit flipped, clamped to what int64 nanoseconds hold
// (years 1678 to 2262).
func dueStamp(t time.Time) uint64 {
	var n int64
	switch {
	case t.Before(minNano):
		n = math.MinInt64
	case t.After(maxNano):
		n = math.MaxInt64
	default:
		n = t.UnixNano()
	}
	return uint64(n) ^ 1<<63
}

// arena hands out byte slices from large blocks: the keys and values a
// transaction puts must stay valid until it commits, and one allocation
// for each of a million would weigh on the garbage collector.
type arena struct{ block []byte }

// copy returns a copy of b in the arena.
func (a *arena) copy(b []byte) []byte {
	if len(b) > cap(a.block)-len(a.block) {
		a.block = make([]byte, 0, max(len(b), 1<<20))
	}
	n := len(a.block)
	a.block = append(a.block, b...)
	return a.block[n:len(a.block):len(a.block)]
}
