package retention

import (
	"bytes"
	"strings"
	"time"
)

// TimeParser finds the time of a log record at the start of its first
// line. After an optional byte order mark and syslog priority (<34>), it
// reads:
//   - ISO 8601 and its log-framework variants: 2024-03-01T10:00:00Z,
//     2024-03-01 10:00:00,123 (log4j, logback, Python logging),
//     2024/03/01 10:00:00.123456 (Go log, nginx error log);
//   - the same inside brackets (Monolog, Laravel): [2024-03-01 10:00:00];
//   - Ruby/Rails Logger: I, [2024-03-01T10:00:00.123456 #123]  INFO -- : ...;
//   - RFC 5424 syslog: <34>1 2024-03-01T10:00:00.003Z host app ...;
//   - RFC 3164 syslog: Mar  1 10:00:00 host app: ... (the year is the
//     latest one that does not put the record more than a day after the
//     file's mtime);
//   - Apache error log: [Fri Mar 01 10:00:00.123456 2024] [core:error] ...;
//   - access logs (nginx, Apache): ... [01/Mar/2024:10:00:00 +0000] ...
//     (within the first 200 bytes);
//   - logfmt (Go slog text, logrus, go-kit): time=2024-03-01T10:00:00Z ...,
//     level=info ts=... : the first of Fields among the pairs;
//   - JSON lines: the first of Fields present among the object's top-level
//     fields (nested objects never count) within the first 64 KiB, as
//     RFC 3339 text or as a Unix time in seconds, milliseconds,
//     microseconds or nanoseconds.
//
// A time's zone is read when written (Z, +05:00, +0500, +05, UTC, GMT,
// also after a space); a time without one, or followed by another word,
// is in Location.
//
// Times before 2000 or more than a day after Now are not record times: a
// line that has the shape of a record start but no plausible time (a JSON
// object without a time field, "time":17, a month 13) starts an undatable
// record.
type TimeParser struct {
	// Fields are the JSON and logfmt time fields, tried in order.
	Fields []string
	// Location is the zone of times written without one (default UTC).
	Location *time.Location
	// Now bounds plausible times: a time more than a day after Now is
	// not a record time. The zero Time means time.Now().
	Now time.Time
}

// DefaultTimeFields are the JSON fields tried when none are configured.
var DefaultTimeFields = []string{"ts", "time", "timestamp", "@timestamp", "date", "datetime", "t"}

// maxJSONScan bounds how far into a JSON or logfmt line a time field is
// looked for.
const maxJSONScan = 64 << 10

// minPlausible is the earliest plausible record time.
var minPlausible = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Parse returns the time of the record starting at line. ok is false when
// line does not start a record, or starts one without a plausible time
// (see ParseStart). ref is the time of the file (its mtime), used to pick
// the year of syslog times.
func (p *TimeParser) Parse(line []byte, ref time.Time) (t time.Time, ok bool) {
	t, _ = p.ParseStart(line, ref)
	return t, !t.IsZero()
}

// ParseStart reads the start of a line. start reports whether the line
// has the shape of a record start (one of the formats of TimeParser, a
// JSON object, a syslog priority); t is the record's time in UTC, or the
// zero Time when the line has no plausible time. A line with start true
// and a zero t starts an undatable record. ref is as for Parse.
func (p *TimeParser) ParseStart(line []byte, ref time.Time) (t time.Time, start bool) {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	return p.parse(line, ref, now.Add(24*time.Hour))
}

// location returns the zone of times written without one.
func (p *TimeParser) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// parse is ParseStart with the latest plausible time worked out.
func (p *TimeParser) parse(line []byte, ref, latest time.Time) (time.Time, bool) {
	t, start := p.shape(line, ref, latest)
	if !plausible(t, latest) {
		return time.Time{}, start
	}
	return t, start
}

// plausible reports whether t can be a record time: from 2000 up to latest.
func plausible(t, latest time.Time) bool {
	return !t.Before(minPlausible) && !t.After(latest)
}

// shape reads a record start, with no check of plausibility.
func (p *TimeParser) shape(line []byte, ref, latest time.Time) (time.Time, bool) {
	loc := p.location()
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	if len(line) == 0 {
		return time.Time{}, false
	}
	switch c := line[0]; {
	case c == ' ' || c == '\t':
		return time.Time{}, false
	case c == '{':
		if len(bytes.TrimSpace(line[1:])) == 0 {
			return time.Time{}, false // the opening of a multi-line structure
		}
		return p.jsonTime(line, loc, latest), true
	case c == '<':
		if rest, ok := syslogPRI(line); ok {
			return syslogBody(rest, ref, p.Now, loc), true
		}
	case c == '[':
		if t, _, ok := isoTime(line[1:], loc); ok {
			return t, true // Monolog, Laravel, bracketed log4j patterns
		}
		if t, ok := apacheErrorTime(line[1:], loc); ok {
			return t, true
		}
		if t, ok := accessLogTime(line[1:]); ok {
			return t, true
		}
	case c >= '0' && c <= '9':
		if t, _, ok := isoTime(line, loc); ok {
			return t, true
		}
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_':
		if len(line) > 4 && line[1] == ',' && line[2] == ' ' && line[3] == '[' && strings.IndexByte("DIWEFAU", c) >= 0 {
			if t, _, ok := isoTime(line[4:], loc); ok {
				return t, true // Ruby Logger
			}
		}
		if t, ok := syslogTime(line, ref, p.Now, loc); ok {
			return t, true
		}
		if t, ok := p.logfmtTime(line, loc, latest); ok {
			return t, true
		}
	}
	return accessLogTimeIn(line)
}

// accessLogTimeIn finds the [dd/Mon/yyyy:HH:MM:SS ±zzzz] of an access log
// line (nginx, Apache). The fields before it are not escaped, and a client
// chooses one of them ($remote_user, from any Authorization: Basic
// header): a line with two such times that disagree anywhere in what was
// read of it (its first 64 KiB) is a record whose time cannot be told,
// not one that is as old as the client says.
func accessLogTimeIn(line []byte) (time.Time, bool) {
	head := line
	var found time.Time
	for off := 0; ; {
		k := bytes.Index(head[off:], []byte(" ["))
		if k < 0 {
			return found, !found.IsZero()
		}
		off += k + 2
		t, ok := accessLogTime(head[off:])
		switch {
		case !ok:
		case found.IsZero():
			found = t
		case !t.Equal(found):
			return time.Time{}, true
		}
	}
}

// syslogPRI strips a syslog priority, <0> to <191>, from the start of b.
func syslogPRI(b []byte) ([]byte, bool) {
	i := 1
	for i < len(b) && i <= 3 && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 1 || i >= len(b) || b[i] != '>' {
		return nil, false
	}
	return b[i+1:], true
}

// syslogBody reads the time after a syslog priority: RFC 5424 (a version,
// then an RFC 3339 time or "-") or RFC 3164.
func syslogBody(b []byte, ref, now time.Time, loc *time.Location) time.Time {
	if len(b) > 2 && b[0] >= '1' && b[0] <= '9' {
		i := 1
		if b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i < len(b) && b[i] == ' ' {
			t, _, _ := isoTime(b[i+1:], loc)
			return t // zero for the NILVALUE "-"
		}
	}
	if t, _, ok := isoTime(b, loc); ok {
		return t // rsyslog's high-precision RFC 3164 variant
	}
	t, _ := syslogTime(b, ref, now, loc)
	return t
}

// epoch reads a Unix time in s, ms, µs or ns by its magnitude: b is
// decimal digits with an optional fraction.
func epoch(b []byte) (time.Time, bool) {
	var v int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if v > 9e17 {
			return time.Time{}, false // would overflow
		}
		v = v*10 + int64(b[i]-'0')
	}
	if i == 0 {
		return time.Time{}, false
	}
	var frac int64 // the fraction of one unit, in billionths
	if i < len(b) && b[i] == '.' {
		i++
		digits := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if digits < 9 {
				frac = frac*10 + int64(b[i]-'0')
				digits++
			}
		}
		for ; digits < 9; digits++ {
			frac *= 10
		}
	}
	if i != len(b) {
		return time.Time{}, false
	}
	switch {
	case v > 1e17:
		return time.Unix(0, v).UTC(), true
	case v > 1e14:
		return time.UnixMicro(v).Add(time.Duration(frac / 1e6)).UTC(), true
	case v > 1e11:
		return time.UnixMilli(v).Add(time.Duration(frac / 1e3)).UTC(), true
	}
	return time.Unix(v, frac).UTC(), true
}

// num reads a fixed-width decimal number.
func num(b []byte, i, n int) (int, bool) {
	if i+n > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// validDate reports whether the fields name a real date and time of day.
func validDate(y, mo, d, h, mi, s int) bool {
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mo-1]
	if mo == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// isoTime reads YYYY-MM-DD[T ]HH:MM:SS[.,fraction][zone] (also with '/'
// between the date parts) at the start of b; see zoneAt for the zone. ok
// reports the shape; t is zero when the fields are out of range. end is
// the index after the time.
func isoTime(b []byte, loc *time.Location) (t time.Time, end int, ok bool) {
	if len(b) < 19 || (b[4] != '-' && b[4] != '/') || b[7] != b[4] || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, 0, false
	}
	y, ok1 := num(b, 0, 4)
	mo, ok2 := num(b, 5, 2)
	d, ok3 := num(b, 8, 2)
	h, ok4 := num(b, 11, 2)
	mi, ok5 := num(b, 14, 2)
	s, ok6 := num(b, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, 0, false
	}
	i := 19
	ns := 0
	if i+1 < len(b) && (b[i] == '.' || b[i] == ',') && b[i+1] >= '0' && b[i+1] <= '9' {
		ns, i = fraction(b, i+1)
	}
	if !validDate(y, mo, d, h, mi, s) {
		return time.Time{}, i, true
	}
	off, zoned, end := zoneAt(b, i)
	return civil(y, mo, d, h, mi, s, ns, off, zoned, loc), end, true
}

// fraction reads the digits of a fraction of a second at b[i:], returning
// nanoseconds and the index after them.
func fraction(b []byte, i int) (ns, end int) {
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if digits < 9 {
			ns = ns*10 + int(b[i]-'0')
			digits++
		}
		i++
	}
	for ; digits < 9; digits++ {
		ns *= 10
	}
	return ns, i
}

// civil returns the instant of a wall time: at offset off (seconds east)
// when zoned, else in loc.
func civil(y, mo, d, h, mi, s, ns, off int, zoned bool, loc *time.Location) time.Time {
	if zoned {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC).Add(-time.Duration(off) * time.Second)
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, loc).UTC()
}

// zoneAt reads the zone of a time at b[i:], after at most one space: Z,
// UTC or GMT (either optionally followed by an offset), or an offset
// ±HH:MM, ±HHMM or ±HH. A zone must end the word it is in: a following
// letter or digit means there is none. It returns the offset in seconds
// east of UTC, whether there was a zone, and the index after it (i when
// there was none).
func zoneAt(b []byte, i int) (off int, zoned bool, end int) {
	j := i
	if j < len(b) && b[j] == ' ' {
		j++
	}
	if j >= len(b) {
		return 0, false, i
	}
	switch {
	case b[j] == 'Z':
		if wordEnd(b, j+1) {
			return 0, true, j + 1
		}
	case hasWord(b[j:], "UTC") || hasWord(b[j:], "GMT"):
		if o, k, ok := offsetAt(b, j+3); ok {
			return o, true, k
		}
		if wordEnd(b, j+3) {
			return 0, true, j + 3
		}
	case b[j] == '+' || b[j] == '-':
		if o, k, ok := offsetAt(b, j); ok {
			return o, true, k
		}
	}
	return 0, false, i
}

// offsetAt reads ±HH:MM, ±HHMM or ±HH at b[i:], ending a word.
func offsetAt(b []byte, i int) (off, end int, ok bool) {
	if i >= len(b) || (b[i] != '+' && b[i] != '-') {
		return 0, 0, false
	}
	hh, okh := num(b, i+1, 2)
	if !okh || hh > 14 {
		return 0, 0, false
	}
	j, mm := i+3, 0
	if v, okm := num(b, j+1, 2); j < len(b) && b[j] == ':' && okm {
		mm, j = v, j+3
	} else if v, okm := num(b, j, 2); okm {
		mm, j = v, j+2
	}
	if mm > 59 || !wordEnd(b, j) {
		return 0, 0, false
	}
	off = (hh*60 + mm) * 60
	if b[i] == '-' {
		off = -off
	}
	return off, j, true
}

// hasWord reports whether b starts with w.
func hasWord(b []byte, w string) bool {
	return len(b) >= len(w) && string(b[:len(w)]) == w
}

// wordEnd reports whether b[i:] does not continue a word (it is empty or
// starts with something other than a letter or digit).
func wordEnd(b []byte, i int) bool {
	if i >= len(b) {
		return true
	}
	c := b[i]
	return !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')
}

// month reads an English month abbreviation.
func month(b []byte) (time.Month, bool) {
	if len(b) < 3 {
		return 0, false
	}
	switch string(b[:3]) {
	case "Jan":
		return time.January, true
	case "Feb":
		return time.February, true
	case "Mar":
		return time.March, true
	case "Apr":
		return time.April, true
	case "May":
		return time.May, true
	case "Jun":
		return time.June, true
	case "Jul":
		return time.July, true
	case "Aug":
		return time.August, true
	case "Sep":
		return time.September, true
	case "Oct":
		return time.October, true
	case "Nov":
		return time.November, true
	case "Dec":
		return time.December, true
	}
	return 0, false
}

// monthDay reads a day of the month written as "01" or " 1" at b[i:i+2].
func monthDay(b []byte, i int) (int, bool) {
	if i+2 > len(b) {
		return 0, false
	}
	if b[i] == ' ' {
		return num(b, i+1, 1)
	}
	return num(b, i, 2)
}

// syslogTime reads "Mmm dd HH:MM:SS" (RFC 3164) at the start of b. The
// year is the one that puts the time at most a day after ref (or now, or
// the clock, when ref is zero).
func syslogTime(b []byte, ref, now time.Time, loc *time.Location) (time.Time, bool) {
	if len(b) < 15 || b[3] != ' ' || b[6] != ' ' || b[9] != ':' || b[12] != ':' {
		return time.Time{}, false
	}
	mo, ok := month(b)
	if !ok {
		return time.Time{}, false
	}
	d, ok0 := monthDay(b, 4)
	h, ok1 := num(b, 7, 2)
	mi, ok2 := num(b, 10, 2)
	s, ok3 := num(b, 13, 2)
	if !(ok0 && ok1 && ok2 && ok3) {
		return time.Time{}, false
	}
	if ref.IsZero() {
		ref = now
	}
	if ref.IsZero() {
		ref = time.Now()
	}
	ref = ref.In(loc)
	for y := ref.Year(); y >= ref.Year()-4; y-- { // Feb 29 may be years back
		if !validDate(y, int(mo), d, h, mi, s) {
			continue
		}
		if t := time.Date(y, mo, d, h, mi, s, 0, loc); !t.After(ref.Add(24 * time.Hour)) {
			return t.UTC(), true
		}
	}
	return time.Time{}, true
}

// apacheErrorTime reads "Www Mmm dd HH:MM:SS[.ffffff] YYYY]" (the Apache
// error log) at the start of b.
func apacheErrorTime(b []byte, loc *time.Location) (time.Time, bool) {
	if len(b) < 25 || b[3] != ' ' || b[7] != ' ' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	mo, ok := month(b[4:])
	if !ok {
		return time.Time{}, false
	}
	d, ok0 := monthDay(b, 8)
	h, ok1 := num(b, 11, 2)
	mi, ok2 := num(b, 14, 2)
	s, ok3 := num(b, 17, 2)
	i, ns := 19, 0
	if i+1 < len(b) && b[i] == '.' {
		ns, i = fraction(b, i+1)
	}
	y, ok4 := num(b, i+1, 4)
	if !(ok0 && ok1 && ok2 && ok3 && ok4) || b[i] != ' ' || i+5 >= len(b) || b[i+5] != ']' {
		return time.Time{}, false
	}
	if !validDate(y, int(mo), d, h, mi, s) {
		return time.Time{}, true
	}
	return civil(y, int(mo), d, h, mi, s, ns, 0, false, loc), true
}

// accessLogTime reads "dd/Mon/yyyy:HH:MM:SS ±zzzz]".
func accessLogTime(b []byte) (time.Time, bool) {
	if len(b) < 27 || b[26] != ']' {
		return time.Time{}, false
	}
	return accessLogCore(b)
}

// accessLogCore reads "dd/Mon/yyyy:HH:MM:SS ±zzzz".
func accessLogCore(b []byte) (time.Time, bool) {
	if len(b) < 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return time.Time{}, false
	}
	d, ok1 := num(b, 0, 2)
	mo, ok2 := month(b[3:])
	y, ok3 := num(b, 7, 4)
	h, ok4 := num(b, 12, 2)
	mi, ok5 := num(b, 15, 2)
	s, ok6 := num(b, 18, 2)
	zh, ok7 := num(b, 22, 2)
	zm, ok8 := num(b, 24, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) || (b[21] != '+' && b[21] != '-') {
		return time.Time{}, false
	}
	if !validDate(y, int(mo), d, h, mi, s) {
		return time.Time{}, true
	}
	off := (zh*60 + zm) * 60
	if b[21] == '-' {
		off = -off
	}
	return civil(y, int(mo), d, h, mi, s, 0, off, true, nil), true
}

// fields returns the configured time fields or the defaults.
func (p *TimeParser) fields() []string {
	if len(p.Fields) == 0 {
		return DefaultTimeFields
	}
	return p.Fields
}

// fieldRank returns the index of key in fields, or len(fields).
func fieldRank(fields []string, key []byte) int {
	for i, f := range fields {
		if string(key) == f {
			return i
		}
	}
	return len(fields)
}

// valueTime reads a time field's value: RFC 3339 (or another ISO 8601
// form, in loc without a zone), an access-log time, or a Unix time
// (numeric).
func valueTime(v []byte, loc *time.Location) (t time.Time, numeric bool) {
	if t, _, ok := isoTime(v, loc); ok {
		return t, false
	}
	if t, ok := accessLogCore(v); ok {
		return t, false
	}
	t, _ = epoch(v)
	return t, true
}

// fieldTimes picks a record's time among its time fields. When two of
// them are more than a day apart the record has no time it can be judged
// by (a user's "date" beside the logger's "time", a duration in a field
// named "time"). Otherwise a written date (ISO 8601, access-log) beats any
// number, whatever the order of fields; among dates, or among numbers when
// no field holds a date, the first in p.fields() order wins.
type fieldTimes struct {
	textRank, numRank int
	text, num         time.Time
	// lo and hi are the earliest and latest plausible times of all the
	// record's time fields: when they are more than a day apart, a user's
	// field (a birth date, an order date) may be the one that looks like
	// the record's time, and the record cannot be dated.
	lo, hi time.Time
}

func newFieldTimes(n int) fieldTimes { return fieldTimes{textRank: n, numRank: n} }

// add offers the value of the time field of rank r. It always returns
// false: every time field of the record is read, to see conflicts.
func (f *fieldTimes) add(r int, v []byte, loc *time.Location, latest time.Time) (final bool) {
	t, numeric := valueTime(v, loc)
	if !plausible(t, latest) {
		return false
	}
	if f.lo.IsZero() || t.Before(f.lo) {
		f.lo = t
	}
	if t.After(f.hi) {
		f.hi = t
	}
	if r >= f.textRank {
		return false
	}
	switch {
	case !numeric:
		f.textRank, f.text = r, t
	case r < f.numRank:
		f.numRank, f.num = r, t
	}
	return false
}

func (f *fieldTimes) best() time.Time {
	if f.hi.Sub(f.lo) > 24*time.Hour {
		return time.Time{}
	}
	if !f.text.IsZero() {
		return f.text
	}
	return f.num
}

// jsonTime reads the time of a JSON record from its top-level fields: of
// the fields of p.fields() present with a time, the first in that order.
// It does not parse the whole object (a record may be megabytes long; the
// time is near its start): it reads at most maxJSONScan bytes, tracking
// strings and nesting so that only top-level keys count.
func (p *TimeParser) jsonTime(b []byte, loc *time.Location, latest time.Time) time.Time {
	fields := p.fields()
	b = b[:min(len(b), maxJSONScan)]
	ft := newFieldTimes(len(fields))
	i := 1
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return ft.best() // the end of the object, or not JSON
		}
		kend := skipString(b, i)
		if kend < 0 {
			return ft.best()
		}
		key := b[i+1 : kend-1]
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return ft.best()
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return ft.best()
		}
		vstart := i
		var quoted bool
		switch b[i] {
		case '"':
			i, quoted = skipString(b, i), true
		case '{', '[':
			i = skipNested(b, i)
		default:
			for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n' {
				i++
			}
		}
		if i < 0 {
			return ft.best()
		}
		if r := fieldRank(fields, key); r < len(fields) && b[vstart] != '{' && b[vstart] != '[' {
			v := b[vstart:i]
			if quoted {
				v = v[1 : len(v)-1]
			}
			if ft.add(r, v, loc, latest) {
				return ft.best()
			}
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return ft.best()
		}
		i++
	}
}

// skipSpace returns the index of the first non-blank byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at b[i]
// (a quote), or -1 if it does not end within b.
func skipString(b []byte, i int) int {
	for i++; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return -1
		}
		// Escaped when an odd number of backslashes stands before it.
		n := 0
		for j := i + q - 1; j >= i && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return i + q + 1
		}
		i += q + 1
	}
	return -1
}

// skipNested returns the index after the JSON object or array starting at
// b[i], or -1 if it does not end within b.
func skipNested(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i = skipString(b, i)
			if i < 0 {
				return -1
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

// isKeyByte reports whether c may be part of a logfmt key.
func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '@'
}

// logfmtTime reads the time of a logfmt line (key=value pairs, values
// optionally quoted): of the fields of p.fields() present with a time,
// the first in that order. ok reports whether the line starts with a
// key=value pair.
func (p *TimeParser) logfmtTime(b []byte, loc *time.Location, latest time.Time) (time.Time, bool) {
	fields := p.fields()
	b = b[:min(len(b), maxJSONScan)]
	ft := newFieldTimes(len(fields))
	for i, pairs := 0, 0; ; pairs++ {
		k := i
		for i < len(b) && isKeyByte(b[i]) {
			i++
		}
		if i == k || i >= len(b) || b[i] != '=' {
			return ft.best(), pairs > 0
		}
		key := b[k:i]
		i++
		vstart, vend := i, i
		if i < len(b) && b[i] == '"' {
			i = skipString(b, i)
			if i < 0 {
				return ft.best(), true
			}
			vstart, vend = vstart+1, i-1
		} else {
			for i < len(b) && b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n' {
				i++
			}
			vend = i
		}
		if r := fieldRank(fields, key); r < len(fields) && ft.add(r, b[vstart:vend], loc, latest) {
			return ft.best(), true
		}
		if i >= len(b) || b[i] != ' ' {
			return ft.best(), true
		}
		for i < len(b) && b[i] == ' ' {
			i++
		}
	}
}
