package scanners

import (
	"bytes"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/detect"
)

// sqlDumpHeads are how the dumps of mysqldump, MariaDB, phpMyAdmin,
// pg_dump and pg_dumpall start.
var sqlDumpHeads = [][]byte{
	[]byte("-- MySQL dump"), []byte("-- MariaDB dump"), []byte("-- phpMyAdmin SQL Dump"),
	[]byte("--\n-- PostgreSQL database dump"), []byte("--\n-- PostgreSQL database cluster dump"),
}

// SQLDump reports whether a stream is an SQL dump whose statements name the
// columns of its values: a file named .sql (also compressed, or an archive
// member), or a stream that starts as mysqldump, MariaDB's dump,
// phpMyAdmin, pg_dump (plain format) or sqlite3's .dump do. path is the
// stream's finding path or a file's real path.
func SQLDump(path string, head []byte) bool {
	if itempath.Ext(path) == ".sql" {
		return true
	}
	h := head
	// MariaDB 10.5+ dumps start with a sandbox-mode comment line.
	if bytes.HasPrefix(h, []byte("/*M!")) {
		if nl := bytes.IndexByte(h, '\n'); nl >= 0 {
			h = h[nl+1:]
		}
	}
	h = bytes.ReplaceAll(h[:min(len(h), 256)], []byte("\r\n"), []byte("\n"))
	for _, p := range sqlDumpHeads {
		if bytes.HasPrefix(h, p) {
			return true
		}
	}
	// sqlite3's .dump.
	return (bytes.HasPrefix(h, []byte("PRAGMA foreign_keys=")) || bytes.HasPrefix(h, []byte("BEGIN TRANSACTION;"))) &&
		bytes.Contains(head, []byte("\nCREATE TABLE "))
}

// sqlTracker returns the tracker of a stream's SQL statements, or nil when
// the stream is no SQL dump or is read from a position other than its
// start (the statements before it are unknown).
func sqlTracker(path string, head []byte, from Position) *detect.SQLTracker {
	if from.Offset > 0 || !SQLDump(path, head) {
		return nil
	}
	return detect.NewSQLTracker(head)
}
