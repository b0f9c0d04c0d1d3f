package audit

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// run is one run's action in a settle scenario: an intent, the versions
// it planned, and how it ended.
type run struct {
	action, path string
	planned      []string
	// end is "done", "failed" or "" (killed: no result).
	end string
	// deleted are the versions its result says were deleted, kept those
	// it says were held and left.
	deleted, kept []string
	// did is the action its result names, when not the one planned.
	did string
}

// An intent left without a result by a stopped run is settled by a later
// run's done entry for the same action and path whose intent came after
// it, and when it planned versions, only once each is deleted by a later
// run or gone before it listed the key. Anything else stays unfinished.
func TestVerifySettlesIntentsByLaterRuns(t *testing.T) {
	tests := []struct {
		name string
		runs []run
		// settled are the indexes of the runs whose intents are
		// settled, unresolved those left unfinished.
		settled, unresolved []int
		gone, deleted       []string // of the first settled one
	}{
		{"a later run deleted the file", []run{
			{action: "delete", path: "/d/a.log"},
			{action: "delete", path: "/d/a.log", end: "done"},
		}, []int{0}, nil, nil, nil},
		{"no later run", []run{
			{action: "delete", path: "/d/a.log"},
			{action: "delete", path: "/d/b.log", end: "done"},
		}, nil, []int{0}, nil, nil},
		{"another action on the path", []run{
			{action: "rewrite", path: "/d/a.log"},
			{action: "delete", path: "/d/a.log", end: "done"},
		}, nil, []int{0}, nil, nil},
		{"a rewrite that became a delete", []run{
			{action: "rewrite", path: "/d/a.log"},
			{action: "rewrite", path: "/d/a.log", end: "done", did: "delete"},
		}, []int{0}, nil, nil, nil},
		{"a later keep settles nothing", []run{
			{action: "delete", path: "s3://b/k"},
			{action: "delete", path: "s3://b/k", end: "done", did: "keep"},
		}, nil, []int{0}, nil, nil},
		{"the later run failed", []run{
			{action: "delete", path: "s3://b/k"},
			{action: "delete", path: "s3://b/k", end: "failed"},
		}, nil, []int{0}, nil, nil},
		{"a bang in the name", []run{
			{action: "delete", path: "s3://b/report!2026-11.log"},
			{action: "delete", path: "s3://b/report", end: "done"},
			{action: "delete", path: "s3://b/report!2026-11.log", end: "done"},
		}, []int{0}, nil, nil, nil},
		{"versions deleted or gone", []run{
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2", "v3"}},
			{action: "delete", path: "s3://b/k", planned: []string{"v2", "v3"}, end: "done", deleted: []string{"v2", "v3"}},
		}, []int{0}, nil, []string{"v1"}, []string{"v2", "v3"}},
		{"a version not accounted for", []run{
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2"}},
			// Without all_versions: only the current version, and
			// nothing says v1 is gone.
			{action: "delete", path: "s3://b/k", end: "done", deleted: []string{"v2"}},
		}, nil, []int{0}, nil, nil},
		{"accounted for over two later runs", []run{
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2"}},
			{action: "delete", path: "s3://b/k", end: "done", deleted: []string{"v2"}},
			{action: "delete", path: "s3://b/k", planned: []string{"v3"}, end: "done", deleted: []string{"v3"}},
		}, []int{0}, nil, []string{"v1"}, []string{"v2"}},
		{"a later failed run that says what became of each version", []run{
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2"}},
			// v1 is under a legal hold: the store refused, a delete
			// marker hides it, and v2 went.
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2"}, end: "failed", deleted: []string{"v2"}, kept: []string{"v1"}},
		}, []int{0}, nil, nil, []string{"v2"}},
		{"a later failed run that leaves a version unknown", []run{
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2"}},
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2"}, end: "failed", deleted: []string{"v2"}},
		}, nil, []int{0}, nil, nil},
		{"the later run was stopped too", []run{
			{action: "delete", path: "s3://b/k", planned: []string{"v1", "v2"}},
			{action: "delete", path: "s3://b/k", planned: []string{"v2"}},
		}, nil, []int{0, 1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			l := Open(path, key)
			seqs := make([]int64, len(tt.runs))
			for i, r := range tt.runs {
				p, err := l.Begin(Entry{Action: r.action, Location: "logs", Path: r.path})
				if err != nil {
					t.Fatal(err)
				}
				seqs[i] = p.Seq()
				if r.planned != nil {
					var vs []VersionOutcome
					for _, v := range r.planned {
						vs = append(vs, VersionOutcome{Version: v})
					}
					if err := l.Planned(Plan{Pending: p, Versions: vs}); err != nil {
						t.Fatal(err)
					}
				}
				result := Entry{Action: r.did}
				for _, v := range r.deleted {
					result.Versions = append(result.Versions, VersionOutcome{Version: v, Outcome: VersionDeleted})
				}
				for _, v := range r.kept {
					result.Versions = append(result.Versions, VersionOutcome{Version: v, Outcome: VersionKept, Reason: "AccessDenied"})
				}
				switch r.end {
				case "done":
					err = p.Done(result)
				case "failed":
					err = l.Finish(Outcome{Pending: p, Result: result, Err: errors.New("x")})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			res, err := Verify(path, key)
			if err != nil {
				t.Fatal(err)
			}
			var settled, unresolved []int64
			for _, st := range res.Settled {
				settled = append(settled, st.Intent.Seq)
				if st.By <= st.Intent.Seq {
					t.Errorf("intent seq %d settled by seq %d", st.Intent.Seq, st.By)
				}
			}
			for _, e := range res.Unresolved {
				unresolved = append(unresolved, e.Seq)
			}
			pick := func(idx []int) []int64 {
				var out []int64
				for _, i := range idx {
					out = append(out, seqs[i])
				}
				return out
			}
			if !slices.Equal(settled, pick(tt.settled)) || !slices.Equal(unresolved, pick(tt.unresolved)) {
				t.Errorf("settled %v, unresolved %v; want %v and %v", settled, unresolved, pick(tt.settled), pick(tt.unresolved))
			}
			if len(res.Settled) > 0 {
				st := res.Settled[0]
				if !slices.Equal(st.Gone, tt.gone) || !slices.Equal(st.Deleted, tt.deleted) {
					t.Errorf("settled: gone %v, deleted %v; want %v, %v", st.Gone, st.Deleted, tt.gone, tt.deleted)
				}
			}
		})
	}
}

// An intent whose own result comes after a later run's is resolved, not
// settled: the run was slow, not stopped. One planned by an entry names
// its versions while unfinished.
func TestVerifyOwnResultWinsOverSettling(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path, key)
	slow, err := l.Begin(Entry{Action: "delete", Path: "s3://b/k"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Planned(Plan{Pending: slow, Versions: []VersionOutcome{{Version: "v1"}, {Version: "m", Marker: true}}}); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(path, key)
	if err != nil || len(res.Unresolved) != 1 || !slices.Equal(res.Unresolved[0].Versions, []VersionOutcome{{Version: "v1", Outcome: VersionPlanned}, {Version: "m", Marker: true, Outcome: VersionPlanned}}) {
		t.Fatalf("Verify = %+v, %v; want one unfinished intent naming v1 and m as planned", res.Unresolved, err)
	}
	later, err := l.Begin(Entry{Action: "delete", Path: "s3://b/k"})
	if err != nil {
		t.Fatal(err)
	}
	if err := later.Done(Entry{Versions: []VersionOutcome{{Version: "v1", Outcome: VersionDeleted}, {Version: "m", Marker: true, Outcome: VersionDeleted}}}); err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(path, key); err != nil || len(res.Settled) != 1 || len(res.Unresolved) != 0 {
		t.Fatalf("Verify = %+v, %v; want the slow intent settled", res, err)
	}
	if err := slow.Done(Entry{}); err != nil {
		t.Fatal(err)
	}
	if err := l.Planned(Plan{Pending: slow}); err == nil {
		t.Error("an action with its result was planned")
	}
	if res, err := Verify(path, key); err != nil || len(res.Settled) != 0 || len(res.Unresolved) != 0 {
		t.Errorf("Verify = %+v, %v; want nothing settled or unfinished", res, err)
	}
}
