// Package itempath owns the conventions of the names piiscan gives the
// things it reads and writes: the s3:// scheme of objects, finding paths
// of archive members (ARCHIVE!MEMBER), the matching and validation of
// name globs, and the names of temporary files. It imports no package of
// this module, so every package may use it.
package itempath
