package audit

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Pending is an action whose intent is logged and whose result is not yet.
type Pending struct {
	l      *Log
	intent Entry
	done   bool
}

// Begin logs the intent to act, before acting: e says what is planned
// (Action, Location, Path, Rule, Reason, BytesBefore). Do not act when it
// returns an error. After the action, log its result with Done or Failed;
// an intent left without one (the run was killed) is listed by Verify in
// Result.Unresolved.
func (l *Log) Begin(e Entry) (*Pending, error) {
	ps, err := l.BeginBatch(e)
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// BeginBatch logs the intents of several actions in one write, as for a
// batch of object deletions, and returns their handles in order. Log the
// results together with Finish.
func (l *Log) BeginBatch(entries ...Entry) ([]*Pending, error) {
	in := make([]Entry, len(entries))
	for i, e := range entries {
		e.Phase, e.Intent, e.Of = PhaseIntent, 0, 0
		in[i] = e
	}
	written, err := l.append(in)
	if err != nil {
		return nil, err
	}
	ps := make([]*Pending, len(written))
	for i, e := range written {
		ps[i] = &Pending{l: l, intent: e}
	}
	return ps, nil
}

// Seq returns the seq of the intent entry.
func (p *Pending) Seq() int64 { return p.intent.Seq }

// Plan is what a begun action is about to do that its intent could not
// name (see Log.Planned).
type Plan struct {
	Pending *Pending
	// Versions are the versions (and delete markers) of the object the
	// action may delete: Version and Marker are taken, Outcome is set to
	// VersionPlanned.
	Versions []VersionOutcome
}

// Planned logs, in one write and before the first step of any of the
// actions, what begun actions are about to do: a planned entry
// (PhasePlanned) each, which names its intent (Of). A run killed after it
// leaves an intent whose versions are all named, though the result that
// would say which went is missing. Do not take the step when it returns
// an error. It returns an error, and logs nothing, when one of the
// actions already has its result or was begun in another log.
func (l *Log) Planned(plans ...Plan) error {
	entries := make([]Entry, 0, len(plans))
	for _, pl := range plans {
		p := pl.Pending
		if p == nil || p.l != l {
			return errors.New("audit log: planning an action begun in another log")
		}
		if p.done {
			return errors.New("audit log: the action's result is already logged")
		}
		vs := make([]VersionOutcome, len(pl.Versions))
		for i, v := range pl.Versions {
			vs[i] = VersionOutcome{Version: v.Version, Marker: v.Marker, Outcome: VersionPlanned}
		}
		in := p.intent
		entries = append(entries, Entry{Phase: PhasePlanned, Of: in.Seq, Action: in.Action, DryRun: in.DryRun,
			Location: in.Location, Path: in.Path, Dev: in.Dev, Ino: in.Ino, Rule: in.Rule, Versions: vs})
	}
	return l.Append(entries...)
}

// Done logs that the action succeeded. result carries the outcome
// (Records, Kept, BytesAfter, Fingerprints, To); Action, Location, Path,
// Rule and DryRun are taken from the intent when empty, so Action may name
// what was done when it differs from the plan.
func (p *Pending) Done(result Entry) error {
	return p.l.Finish(Outcome{Pending: p, Result: result})
}

// Failed logs that the action failed with err. The entry holds a short
// reason taken from err that names neither paths nor values: see Outcome.
func (p *Pending) Failed(err error) error {
	if err == nil {
		err = errors.New("unknown")
	}
	return p.l.Finish(Outcome{Pending: p, Err: err})
}

// Outcome is how a begun action ended: done with Result's outcome when Err
// is nil, failed with Err otherwise. Only a short reason is taken from Err
// (never its text, which may hold paths or values): the Op of an
// *fs.PathError, the system error number's text, cancelled, timed out, or
// the AuditReason() of an error in its chain that has that method; else
// "failed".
type Outcome struct {
	Pending *Pending
	Result  Entry
	Err     error
}

// Finish logs the results of begun actions in one write. It returns an
// error, and logs nothing, when one of them already has its result or was
// begun in another log.
func (l *Log) Finish(outcomes ...Outcome) error {
	entries := make([]Entry, 0, len(outcomes))
	for _, o := range outcomes {
		p := o.Pending
		if p == nil || p.l != l {
			return errors.New("audit log: finishing an action begun in another log")
		}
		if p.done {
			return errors.New("audit log: the action's result is already logged")
		}
		e := o.Result
		if o.Err != nil {
			e = Entry{Phase: PhaseFailed, Error: failReason(o.Err), Version: e.Version, Versions: e.Versions}
		} else {
			e.Phase = PhaseDone
		}
		e.Intent, e.Of = p.intent.Seq, 0
		e.Action = cmp.Or(e.Action, p.intent.Action)
		e.Location = cmp.Or(e.Location, p.intent.Location)
		e.Path = cmp.Or(e.Path, p.intent.Path)
		e.Rule = cmp.Or(e.Rule, p.intent.Rule)
		if e.Dev == 0 && e.Ino == 0 {
			e.Dev, e.Ino = p.intent.Dev, p.intent.Ino
		}
		e.DryRun = e.DryRun || p.intent.DryRun
		entries = append(entries, e)
	}
	if err := l.Append(entries...); err != nil {
		return err
	}
	for _, o := range outcomes {
		o.Pending.done = true
	}
	return nil
}

// failReason returns a short reason for err that holds no paths or values.
func failReason(err error) string {
	var r interface{ AuditReason() string }
	if errors.As(err, &r) {
		return r.AuditReason()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	op := ""
	var pe *fs.PathError
	var le *os.LinkError
	var se *os.SyscallError
	switch {
	case errors.As(err, &pe):
		op = pe.Op
	case errors.As(err, &le):
		op = le.Op
	case errors.As(err, &se):
		op = se.Syscall
	}
	var errno syscall.Errno
	reason := ""
	switch {
	case errors.As(err, &errno):
		reason = errno.Error()
	case errors.Is(err, fs.ErrNotExist):
		reason = "does not exist"
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied"
	case errors.Is(err, fs.ErrExist):
		reason = "already exists"
	}
	switch {
	case op != "" && reason != "":
		return op + ": " + reason
	case reason != "":
		return reason
	case op != "":
		return op + " failed"
	}
	return "failed"
}
