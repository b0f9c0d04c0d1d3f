package retention

import (
	"bytes"
	"strconv"
	"time"
)

// TimeParser finds the time of a log record in its first line. It reads,
// in this order:
//   - JSON lines: the first of Fields present, as RFC 3339 text or as a
//     Unix time in seconds, milliseconds, microseconds or nanoseconds;
//   - a leading ISO 8601 time: 2024-03-01T10:00:00Z, 2024-03-01 10:00:00,123,
//     2024/03/01 10:00:00 (without a zone, in Location);
//   - RFC 5424 syslog: <34>1 2024-03-01T10:00:00.003Z host app ...;
//   - RFC 3164 syslog: Mar  1 10:00:00 host app: ... (the year is the
//     latest one that does not put the record after the file's mtime);
//   - access logs (nginx, Apache): ... [01/Mar/2024:10:00:00 +0000] ...
//
// A line with none of these continues the record before it (a stack trace,
// a wrapped message).
type TimeParser struct {
	// Fields are the JSON time fields, tried in order.
	Fields []string
	// Location is the zone of times written without one (default UTC).
	Location *time.Location
}

// DefaultTimeFields are the JSON fields tried when none are configured.
var DefaultTimeFields = []string{"ts", "time", "timestamp", "@timestamp", "date", "datetime", "t"}

// Parse returns the time of the record starting at line. ref is the time
// of the file (its mtime), used to pick the year of syslog times.
func (p *TimeParser) Parse(line []byte, ref time.Time) (time.Time, bool) {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	if len(line) == 0 {
		return time.Time{}, false
	}
	if line[0] == '{' {
		return p.jsonTime(line, loc)
	}
	if line[0] == '<' {
		// RFC 5424 or RFC 3164 with a priority.
		if k := bytes.IndexByte(line[:min(len(line), 6)], '>'); k > 0 {
			rest := line[k+1:]
			if len(rest) > 2 && rest[0] >= '1' && rest[0] <= '9' && rest[1] == ' ' {
				rest = rest[2:]
			}
			line = rest
		}
	}
	if t, ok := isoTime(line, loc); ok {
		return t, true
	}
	if t, ok := syslogTime(line, ref, loc); ok {
		return t, true
	}
	if k := bytes.Index(line[:min(len(line), 200)], []byte(" [")); k >= 0 {
		if t, ok := accessLogTime(line[k+2:]); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// jsonTime finds a time field in a JSON object without parsing all of it
// (a record may be megabytes long; the time is near its start): it looks
// for "field" followed by ':' and a string or a number.
func (p *TimeParser) jsonTime(line []byte, loc *time.Location) (time.Time, bool) {
	fields := p.Fields
	if len(fields) == 0 {
		fields = DefaultTimeFields
	}
	for _, f := range fields {
		key := `"` + f + `"`
		for off := 0; off < len(line); {
			k := bytes.Index(line[off:], []byte(key))
			if k < 0 {
				break
			}
			v := off + k + len(key)
			off = v
			for v < len(line) && (line[v] == ' ' || line[v] == '\t') {
				v++
			}
			if v >= len(line) || line[v] != ':' {
				continue // the name appeared as a value
			}
			v++
			for v < len(line) && (line[v] == ' ' || line[v] == '\t') {
				v++
			}
			if v < len(line) && line[v] == '"' {
				end := bytes.IndexByte(line[v+1:], '"')
				if end < 0 {
					return time.Time{}, false
				}
				val := line[v+1 : v+1+end]
				if t, ok := isoTime(val, loc); ok {
					return t, true
				}
				if n, err := strconv.ParseFloat(string(val), 64); err == nil {
					return epoch(n), true
				}
				break
			}
			end := v
			for end < len(line) && (line[end] >= '0' && line[end] <= '9' || line[end] == '.' || line[end] == 'e' || line[end] == 'E' || line[end] == '+' || line[end] == '-') {
				end++
			}
			if n, err := strconv.ParseFloat(string(line[v:end]), 64); err == nil && end > v {
				return epoch(n), true
			}
			break
		}
	}
	return time.Time{}, false
}

// epoch reads a Unix time in s, ms, µs or ns by its magnitude.
func epoch(n float64) time.Time {
	switch {
	case n > 1e17:
		return time.Unix(0, int64(n)).UTC()
	case n > 1e14:
		return time.UnixMicro(int64(n)).UTC()
	case n > 1e11:
		return time.UnixMilli(int64(n)).UTC()
	}
	sec := int64(n)
	return time.Unix(sec, int64((n-float64(sec))*1e9)).UTC()
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

// isoTime reads YYYY-MM-DD[T ]HH:MM:SS[.,fraction][Z|±HH:MM|±HHMM] at the
// start of b (also with '/' between the date parts).
func isoTime(b []byte, loc *time.Location) (time.Time, bool) {
	if len(b) < 19 || (b[4] != '-' && b[4] != '/') || b[7] != b[4] || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	y, ok1 := num(b, 0, 4)
	mo, ok2 := num(b, 5, 2)
	d, ok3 := num(b, 8, 2)
	h, ok4 := num(b, 11, 2)
	mi, ok5 := num(b, 14, 2)
	s, ok6 := num(b, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false
	}
	i := 19
	ns := 0
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
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
	}
	zone := loc
	if i < len(b) {
		switch c := b[i]; {
		case c == 'Z':
			zone = time.UTC
		case c == '+' || c == '-':
			hh, okh := num(b, i+1, 2)
			j := i + 3
			if j < len(b) && b[j] == ':' {
				j++
			}
			mm, okm := num(b, j, 2)
			if okh && okm {
				off := (hh*60 + mm) * 60
				if c == '-' {
					off = -off
				}
				zone = time.FixedZone("", off)
			}
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, zone).UTC(), true
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// syslogTime reads "Mmm dd HH:MM:SS" (RFC 3164) at the start of b. The year
// is the one that puts the time at most a day after ref.
func syslogTime(b []byte, ref time.Time, loc *time.Location) (time.Time, bool) {
	if len(b) < 15 || b[3] != ' ' || b[9] != ':' || b[12] != ':' {
		return time.Time{}, false
	}
	mo, ok := months[string(b[:3])]
	if !ok {
		return time.Time{}, false
	}
	day := 0
	switch {
	case b[4] == ' ':
		v, ok := num(b, 5, 1)
		if !ok {
			return time.Time{}, false
		}
		day = v
	default:
		v, ok := num(b, 4, 2)
		if !ok {
			return time.Time{}, false
		}
		day = v
	}
	h, ok1 := num(b, 7, 2)
	mi, ok2 := num(b, 10, 2)
	s, ok3 := num(b, 13, 2)
	if !(ok1 && ok2 && ok3) || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false
	}
	if ref.IsZero() {
		ref = time.Now()
	}
	ref = ref.In(loc)
	t := time.Date(ref.Year(), mo, day, h, mi, s, 0, loc)
	if t.After(ref.Add(24 * time.Hour)) {
		t = t.AddDate(-1, 0, 0)
	}
	return t.UTC(), true
}

// accessLogTime reads "dd/Mon/yyyy:HH:MM:SS ±zzzz]".
func accessLogTime(b []byte) (time.Time, bool) {
	if len(b) < 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return time.Time{}, false
	}
	d, ok1 := num(b, 0, 2)
	mo, ok2 := months[string(b[3:6])]
	y, ok3 := num(b, 7, 4)
	h, ok4 := num(b, 12, 2)
	mi, ok5 := num(b, 15, 2)
	s, ok6 := num(b, 18, 2)
	zh, ok7 := num(b, 22, 2)
	zm, ok8 := num(b, 24, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) || (b[21] != '+' && b[21] != '-') {
		return time.Time{}, false
	}
	off := (zh*60 + zm) * 60
	if b[21] == '-' {
		off = -off
	}
	return time.Date(y, mo, d, h, mi, s, 0, time.FixedZone("", off)).UTC(), true
}
