// Package policy says what the retention policy of a configuration means
// for one path or one finding: which location a path belongs to (and
// which of its roots a scan reads), the placement a scan gives its
// findings, whether a finding's class is disallowed there and which
// clauses it violates, whether a legal hold covers a path, and what a
// location's retention rule requires of a file of a given age.
//
// It holds decisions only: the configuration (package config) holds the
// validated values, and the scanners and retention packages do the
// reading, listing and rewriting.
package policy
