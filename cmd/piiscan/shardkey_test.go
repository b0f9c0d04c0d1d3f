package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
)

// Shards scanned with different fingerprint keys give the same values
// different fingerprints: the merge refuses them (exit 2), naming the
// files and their key ids, and every findings file records its key id,
// never the key.
func TestMergeRefusesShardsOfDifferentKeys(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	shardTree(t, tree)
	out := filepath.Join(dir, "out")
	for i, key := range []string{testKey, otherKey} {
		t.Setenv("PIISCAN_FINGERPRINT_KEY", key)
		if code, _, errs := runCLI(t, "", "scan", "--format", "jsonl", "--shard", fmt.Sprintf("%d/2", i), "--shard-output", out, tree); code != exitFindings {
			t.Fatalf("shard %d: exit %d %s", i, code, errs)
		}
	}
	f0, f1 := filepath.Join(out, "shard-00000-of-00002.jsonl"), filepath.Join(out, "shard-00001-of-00002.jsonl")
	id0, id1 := finding.KeyID([]byte(testKey)), finding.KeyID([]byte(otherKey))
	for f, id := range map[string]string{f0: id0, f1: id1} {
		b := mustRead(t, f)
		head := string(b[:strings.IndexByte(string(b), '\n')])
		if !strings.Contains(head, `"key_id":"`+id+`"`) {
			t.Errorf("%s: header %s, want key id %s", f, head, id)
		}
		if strings.Contains(string(b), testKey) || strings.Contains(string(b), otherKey) {
			t.Errorf("%s holds the key", f)
		}
	}
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	code, stdout, errs := runCLI(t, "", "report", "merge", "--format", "jsonl", out)
	if code != exitUsage || stdout != "" {
		t.Fatalf("merge of two keys: exit %d, %d bytes out\n%s", code, len(stdout), errs)
	}
	for _, want := range []string{"same fingerprint key", id0 + ": " + f0, id1 + ": " + f1} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q\nwant %q in it", errs, want)
		}
	}
	// The same shard scanned again with the first key completes the set.
	runCLI(t, "", "scan", "--format", "jsonl", "--shard", "1/2", "--shard-output", out, tree)
	if code, _, errs := runCLI(t, "", "report", "merge", "--format", "jsonl", out); code != exitFindings {
		t.Errorf("merge of one key: exit %d %s", code, errs)
	}
}

// A sharded scan refuses to start unless its fingerprint key is
// configured (PIISCAN_FINGERPRINT_KEY, fingerprint.key, or an existing
// fingerprint.key_file): a per-user key file, created in each pod or
// found on one machine, would differ from shard to shard. Nothing is
// created on the way.
func TestShardedScanNeedsAConfiguredKey(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	shardTree(t, tree)
	out := filepath.Join(dir, "out")
	home := filepath.Join(dir, "home")
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	t.Setenv("PIISCAN_FINGERPRINT_KEY", "")
	userKey := filepath.Join(home, "piiscan", "fingerprint.key")
	policy := filepath.Join(dir, "rules.yaml")
	writePolicy := func(fingerprint string) {
		os.WriteFile(policy, fmt.Appendf(nil, `version: 1
rules:
  - {id: email, detector: email, severity: medium}
locations:
  - {name: logs, paths: [%s]}
jobs:
  - {name: audit, schedule: manual, action: scan}
state: {path: %s}
shards: {count: 2, output: %s}
%s`, tree, filepath.Join(dir, "state.db"), out, fingerprint), 0o644)
	}
	writePolicy("")
	refused := func(what string, args ...string) {
		t.Helper()
		code, _, errs := runCLI(t, "", args...)
		if code != exitUsage || !strings.Contains(errs, "same fingerprint key in every shard") || !strings.Contains(errs, "PIISCAN_FINGERPRINT_KEY") {
			t.Errorf("%s: exit %d %s", what, code, errs)
		}
		if entries, _ := os.ReadDir(out); len(entries) > 0 {
			t.Errorf("%s: findings files written: %v", what, entries)
		}
	}
	refused("scan --shard", "--config", policy, "scan", "--shard", "0/2", "--shard-output", out, tree)
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	refused("indexed job", "--config", policy, "run", "audit")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	if _, err := os.Stat(userKey); err == nil {
		t.Fatal("a refused shard created a per-user key file")
	}
	// An unsharded scan still makes and keeps a per-user key.
	if code, _, errs := runCLI(t, "", "--config", policy, "scan", tree); code != exitFindings {
		t.Fatalf("unsharded scan: exit %d %s", code, errs)
	}
	if _, err := os.Stat(userKey); err != nil {
		t.Fatalf("no per-user key file: %v", err)
	}
	// One that exists belongs to this machine all the same.
	refused("scan --shard with a per-user key file", "--config", policy, "scan", "--shard", "0/2", "--shard-output", out, tree)
	if _, _, errs := runCLI(t, "", "--config", policy, "scan", "--shard", "0/2", "--shard-output", out, tree); !strings.Contains(errs, userKey) {
		t.Errorf("the message does not name the per-user key file: %s", errs)
	}

	// Configured keys: a key file every shard reads, the environment.
	keyFile := filepath.Join(dir, "shared.key")
	os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600)
	writePolicy("fingerprint: {key_file: " + keyFile + "}\n")
	if code, _, errs := runCLI(t, "", "--config", policy, "scan", "--shard", "0/2", "--shard-output", out, tree); code != exitFindings {
		t.Errorf("shard with fingerprint.key_file: exit %d %s", code, errs)
	}
	writePolicy("")
	t.Setenv("PIISCAN_FINGERPRINT_KEY", testKey)
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	code, _, errs := runCLI(t, "", "--config", policy, "run", "audit")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	if code != exitFindings && code != exitOK {
		t.Errorf("indexed job with PIISCAN_FINGERPRINT_KEY: exit %d %s", code, errs)
	}
	// Both record the one key's id.
	for i := range 2 {
		b := mustRead(t, filepath.Join(out, fmt.Sprintf("shard-%05d-of-00002.jsonl", i)))
		if !strings.Contains(string(b), `"key_id":"`+finding.KeyID([]byte(testKey))+`"`) {
			t.Errorf("shard %d: %.300s", i, b)
		}
	}
}
