package itempath

import (
	"path"
	"strings"
)

// Paths of findings and of unreadable inputs name a top-level input and,
// inside an archive, the members that lead to a stream:
// ARCHIVE!MEMBER, nested as backup.tar.gz!dump.zip!users.csv. Real names
// may hold '!' too, so every part is escaped: a '!' in a name is written
// `\!` and a '\' is written `\\`; an unescaped '!' separates the parts.
// Names without '!' or '\' read as they are, so most paths look the same
// escaped or not.
//
// The path of an input stays its real name (what is opened, stored in
// state and checkpoints); only paths of findings and problems are escaped.
// Code that opens or places a finding's file takes it from Outer.

// MemberSep separates an archive from its member in a finding path.
const MemberSep = '!'

// escape starts an escaped character in a finding path.
const escape = '\\'

// Escape escapes a real name (a file path, an s3:// URL or the name of
// an archive member) so that it stands as one part of a finding path.
func Escape(name string) string {
	if !strings.ContainsAny(name, `!\`) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == MemberSep || c == escape {
			b.WriteByte(escape)
		}
		b.WriteByte(name[i])
	}
	return b.String()
}

// Join returns the finding path of the member named member inside the
// archive whose finding path is outer. outer is already escaped (made
// with Escape or Join); member is the real member name.
func Join(outer, member string) string {
	return outer + string(MemberSep) + Escape(member)
}

// Split splits a finding path into the real name of its top-level input
// and the real names of the members leading to the stream (none for a
// plain file). A '\' that escapes neither '!' nor '\' is kept as it is,
// so paths written before names were escaped still split as they did.
func Split(p string) (outer string, members []string) {
	if !strings.ContainsAny(p, `!\`) {
		return p, nil
	}
	var parts []string
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case escaped(p, i):
			i++
			b.WriteByte(p[i])
		case c == MemberSep:
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	parts = append(parts, b.String())
	return parts[0], parts[1:]
}

// Outer returns the real name of the top-level input a finding path is
// in (the file or object to open, place in a location or act on) and
// whether the path names a member of it.
func Outer(p string) (file string, inArchive bool) {
	if !strings.ContainsAny(p, `!\`) {
		return p, false
	}
	end := len(p)
	for i := 0; i < len(p); i++ {
		if escaped(p, i) {
			i++
		} else if p[i] == MemberSep {
			end, inArchive = i, true
			break
		}
	}
	return Unescape(p[:end]), inArchive
}

// Unescape returns the real name one escaped part of a finding path
// stands for (the inverse of Escape). Given a whole finding path, it
// returns its parts joined by plain '!', as piiscan wrote paths before
// names were escaped: readable, but ambiguous.
func Unescape(s string) string {
	if !strings.ContainsRune(s, escape) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if escaped(s, i) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escaped reports whether p[i] is a '\' that escapes the byte after it.
func escaped(p string, i int) bool {
	return p[i] == escape && i+1 < len(p) && (p[i+1] == MemberSep || p[i+1] == escape)
}

// Ext returns the extension, in lower case, of the innermost name of a
// finding path or a real path (the member's for an archive member), past
// a compression suffix: "dump.tar.gz!exports/users.CSV.gz" gives ".csv".
func Ext(p string) string {
	last, members := Split(p)
	if len(members) > 0 {
		last = members[len(members)-1]
	}
	last = strings.ToLower(last)
	last = strings.TrimSuffix(strings.TrimSuffix(last, ".gz"), ".zst")
	return path.Ext(last)
}
