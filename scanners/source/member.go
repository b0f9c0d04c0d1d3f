package source

import "github.com/piiscan/piiscan/internal/itempath"

// Paths of findings and of unreadable inputs name a top-level input and,
// inside an archive, the members that lead to a stream:
// ARCHIVE!MEMBER (see package itempath, which owns the convention).
//
// Item.Path stays the real name of the input (what is opened, stored in
// state and checkpoints); only paths of findings and problems are escaped.
// Code that opens or places a finding's file takes it from TopFile.

// MemberSep separates an archive from its member in a finding path.
const MemberSep = itempath.MemberSep

// EscapeName escapes a real name so that it stands as one part of a
// finding path: itempath.Escape.
func EscapeName(name string) string { return itempath.Escape(name) }

// JoinMember returns the finding path of member inside the archive whose
// finding path is outer: itempath.Join.
func JoinMember(outer, member string) string { return itempath.Join(outer, member) }

// SplitMember splits a finding path into the real names of its top-level
// input and of the members leading to the stream: itempath.Split.
func SplitMember(p string) (outer string, members []string) { return itempath.Split(p) }

// TopFile returns the real name of the top-level input a finding path is
// in and whether the path names a member of it: itempath.Outer.
func TopFile(p string) (file string, inArchive bool) { return itempath.Outer(p) }

// Unescape returns the real name one escaped part of a finding path
// stands for: itempath.Unescape.
func Unescape(s string) string { return itempath.Unescape(s) }

// Ext returns the lower-case extension of the innermost name of a path,
// past a compression suffix: itempath.Ext.
func Ext(p string) string { return itempath.Ext(p) }
