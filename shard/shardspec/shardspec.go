// Package shardspec defines what a valid shard setting is: how many shards
// a scan may have, and which names a merged report may take. It imports no
// package of piiscan, so that the config package checks rules.yaml with the
// definitions package shard runs with.
package shardspec

import (
	"fmt"
	"path"
	"strings"
)

// MaxCount bounds the number of shards.
const MaxCount = 10000

// ReportFormat returns the name of the report format (as package report
// names it: sarif, json, jsonl, table) a file name asks for: .sarif,
// .json, .jsonl (or .ndjson) and .txt (a table).
func ReportFormat(name string) (string, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".sarif":
		return "sarif", nil
	case ".json":
		return "json", nil
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	case ".txt":
		return "table", nil
	}
	return "", fmt.Errorf("%s: name the report .sarif, .json, .jsonl or .txt to choose its format", name)
}
