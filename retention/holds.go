package retention

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/openat"
	"github.com/piiscan/piiscan/policy"
)

// Legal holds name paths, but a destructive action reaches a file through
// opened directories, by identity. A neighbour who may rename entries of a
// root (and nothing inside a held folder) can exchange a held folder with
// another one while piiscan runs, so that the path a plan acts on leads
// into the held folder. So the holds are resolved to identities too: the
// device and inode of every folder and file a hold covers inside the
// location roots, looked at before planning and again right before acting
// (the union is held). An action is refused when the file or any folder on
// its way has a held identity, and a location in which a hold's path leads
// to another folder or file at the second look than at the first is left
// alone for the run.

// Bounds of resolving the holds, per look: the entries visited (every
// entry below the paths the holds name, or below every root when a hold
// names file or folder names) and the identities kept (past it, held
// folders are not descended: their own identity still holds everything in
// them, and only what is reached through them, by name, is reachable).
const (
	maxHoldVisits = 4 << 20
	maxHeldIDs    = 1 << 20
)

// heldSet is what the active legal holds cover inside the local roots of
// the locations, by identity.
type heldSet struct {
	// ids are the identities of held folders and files, with the reason
	// of the hold.
	ids map[openat.ID]string
	// anchors are, by root, the highest entries a hold covers (by path
	// relative to the root) with the identity seen there. A zero identity
	// means the entry changed while it was looked at.
	anchors map[string]map[string]heldAnchor
	// roots are the roots looked at; broken those whose holds could not
	// be resolved, and why.
	roots  []string
	broken map[string]error
	// dirAnchors caches, by root, the folder anchors looked at again
	// before each action.
	dirAnchors map[string][]string
}

// heldAnchor is an entry a hold names.
type heldAnchor struct {
	id     openat.ID
	reason string
	dir    bool
}

// reason returns the reason of the hold covering the identity id, or "".
func (s *heldSet) reason(id openat.ID) string {
	if s == nil || id.IsZero() {
		return ""
	}
	return s.ids[id]
}

// empty reports whether nothing is held by identity.
func (s *heldSet) empty() bool { return s == nil || len(s.ids) == 0 }

// merge adds the identities o holds to s, and takes o's anchors (the
// later look) for the roots o looked at.
func (s *heldSet) merge(o *heldSet) {
	if o == nil {
		return
	}
	if s.ids == nil {
		s.ids = map[openat.ID]string{}
	}
	for id, r := range o.ids {
		s.ids[id] = r
	}
	if s.anchors == nil {
		s.anchors = map[string]map[string]heldAnchor{}
	}
	for root, as := range o.anchors {
		s.anchors[root] = as
	}
	s.dirAnchors = nil
}

// maxRelook is the most anchors of a root looked at again at the end of a
// plan, and the most folder anchors looked at again before each action.
const maxRelook = 64

// relook looks again at the anchors of every root (at most maxRelook per
// root): the identities seen are held too, and a root where one changed
// since the look that found it is broken (nothing will be done there).
// Each look at a hold's path is one more chance to see a held folder that
// is being exchanged back and forth with another one.
func (s *heldSet) relook(what string) {
	for _, root := range sortedKeys(s.anchors) {
		if s.broken[root] != nil {
			continue
		}
		top, err := openat.Open(root)
		if err != nil {
			continue
		}
		if why := s.check(top, root, false); why != "" {
			s.broken[root] = fmt.Errorf("%s %s", why, what)
		}
		top.Close()
	}
}

// check looks again at the anchors of root (opened as top; only folders
// when dirs is set, at most maxRelook) and returns how one changed, or "".
// The identities seen are held.
func (s *heldSet) check(top *openat.Dir, root string, dirs bool) string {
	as := s.anchors[root]
	for _, rel := range s.relooked(root, dirs) {
		a := as[rel]
		ids := lookAt(top, rel)
		for _, id := range ids {
			s.ids[id] = a.reason
		}
		if a.id.IsZero() || len(ids) != 1 || ids[0] != a.id {
			now := "nothing"
			if len(ids) > 0 {
				now = ids[len(ids)-1].String()
			}
			was := a.id.String()
			if a.id.IsZero() {
				was = "changing"
			}
			return fmt.Sprintf("%q, held (%s), was moved or replaced (device:inode %s, now %s)",
				filepath.Join(root, rel), a.reason, was, now)
		}
	}
	return ""
}

// relooked returns the anchors of root that check looks at again: at most
// maxRelook of them, only folders when dirs is set.
func (s *heldSet) relooked(root string, dirs bool) []string {
	if rels, ok := s.dirAnchors[root]; ok && dirs {
		return rels
	}
	var rels []string
	for _, rel := range sortedKeys(s.anchors[root]) {
		if len(rels) == maxRelook {
			break
		}
		if !dirs || s.anchors[root][rel].dir {
			rels = append(rels, rel)
		}
	}
	if dirs {
		if s.dirAnchors == nil {
			s.dirAnchors = map[string][]string{}
		}
		s.dirAnchors[root] = rels
	}
	return rels
}

// lookAt returns the identities at rel below top, without following a
// symbolic link: one, or, for a folder that changed between its lstat and
// its opening, two; none when nothing is there.
func lookAt(top *openat.Dir, rel string) []openat.ID {
	if rel == "." {
		if id, err := top.ID(); err == nil {
			return []openat.ID{id}
		}
		return nil
	}
	d, err := top.OpenDir(filepath.Dir(rel))
	if err != nil {
		return nil
	}
	defer d.Close()
	fi, err := d.Lstat(filepath.Base(rel))
	if err != nil || fi.Mode().Type()&fs.ModeSymlink != 0 {
		return nil
	}
	ids := []openat.ID{openat.IDOf(fi)}
	if fi.IsDir() {
		if sub, err := d.OpenDir(filepath.Base(rel)); err == nil {
			if id, err := sub.ID(); err == nil && id != ids[0] {
				ids = append(ids, id)
			}
			sub.Close()
		}
	}
	return ids
}

// movedSince compares the anchors s saw with those before saw, root by
// root, and returns why acting in a root is refused: a hold's path led to
// another folder or file, or to none, or changed while it was looked at,
// or the holds of the root could not be resolved.
func (s *heldSet) movedSince(before *heldSet) map[string]string {
	why := map[string]string{}
	for _, h := range []*heldSet{before, s} {
		if h == nil {
			continue
		}
		for root, err := range h.broken {
			why[root] = err.Error()
		}
	}
	if before == nil {
		return why
	}
	for root, as := range before.anchors {
		for _, rel := range sortedKeys(as) {
			a, b := as[rel], s.anchors[root][rel]
			if a.id.IsZero() || b.id != a.id {
				now := "nothing"
				if !b.id.IsZero() {
					now = b.id.String()
				}
				was := a.id.String()
				if a.id.IsZero() {
					was = "changing"
				}
				why[root] = fmt.Sprintf("%q, held (%s), was moved or replaced during the run (device:inode %s, now %s)",
					filepath.Join(root, rel), a.reason, was, now)
				break
			}
		}
	}
	// An anchor seen only now is new (a file that a hold's name matches
	// was written meanwhile), unless it is a folder or file the first
	// look saw elsewhere: then it was moved.
	for root, as := range s.anchors {
		if why[root] != "" {
			continue
		}
		for _, rel := range sortedKeys(as) {
			if _, ok := before.anchors[root][rel]; ok {
				continue
			}
			if id := as[rel].id; !id.IsZero() && before.ids[id] != "" {
				why[root] = fmt.Sprintf("%q, held (%s), was moved there during the run", filepath.Join(root, rel), as[rel].reason)
				break
			}
		}
	}
	return why
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for p := range m {
		k = append(k, p)
	}
	slices.Sort(k)
	return k
}

// localRoots returns the folders the local files of loc are acted on
// under: its roots, absolute, or their folder for a root that names a
// file (as rootOf does).
func localRoots(loc *config.Location) []string {
	var out []string
	for _, r := range loc.LocalRoots() {
		ar, err := filepath.Abs(r)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(ar); err == nil && !fi.IsDir() {
			ar = filepath.Dir(ar)
		}
		out = append(out, ar)
	}
	return out
}

// holdRoots returns the local roots of the locations named (all when none
// are) and of the quarantine folder.
func holdRoots(c *config.Config, names []string) []string {
	var out []string
	for _, loc := range c.Locations {
		if len(names) == 0 || slices.Contains(names, loc.Name) {
			out = append(out, localRoots(loc)...)
		}
	}
	out = append(out, localRoots(c.QuarantineLocation())...)
	slices.Sort(out)
	return slices.Compact(out)
}

// activeHolds returns the holds active by the plan's clock or by the real
// one (see holdCovering) that name local paths.
func activeHolds(c *config.Config, now time.Time) []*config.Hold {
	var out []*config.Hold
	for i := range c.Holds {
		h := &c.Holds[i]
		if !h.Active(now) && !h.Active(time.Now()) {
			continue
		}
		if len(h.LocalPaths()) > 0 {
			out = append(out, h)
		}
	}
	return out
}

// resolveHolds looks, in each of roots, for the folders and files the
// active holds cover, without following a symbolic link, and returns their
// identities.
func resolveHolds(ctx context.Context, c *config.Config, now time.Time, roots []string) *heldSet {
	s := &heldSet{ids: map[openat.ID]string{}, anchors: map[string]map[string]heldAnchor{}, roots: roots, broken: map[string]error{}}
	holds := activeHolds(c, now)
	if len(holds) == 0 {
		return s
	}
	for _, root := range roots {
		w := &holdWalker{ctx: ctx, holds: holds, s: s, root: root, real: root, anchors: map[string]heldAnchor{}}
		if real, err := filepath.EvalSymlinks(root); err == nil {
			w.real = real
		}
		if err := w.walk(); err != nil {
			s.broken[root] = fmt.Errorf("the legal holds could not be resolved: %w", err)
		}
		s.anchors[root] = w.anchors
	}
	return s
}

// errTooManyEntries means resolving the holds met more entries than
// maxHoldVisits.
var errTooManyEntries = fmt.Errorf("more than %d entries to look at", maxHoldVisits)

// holdWalker resolves the holds in one root.
type holdWalker struct {
	ctx        context.Context
	holds      []*config.Hold
	s          *heldSet
	root, real string
	visits     int
	anchors    map[string]heldAnchor
	patterns   entryPatternList
}

// covers returns the reason of the hold covering rel, or "": by the path
// the location uses and by the real path. The root itself is matched with
// policy.Covers (which looks at the folders above it too); an entry
// below it only by its own path, since the walk looked at the folders
// above it already (see entryPatterns).
func (w *holdWalker) covers(rel string) string {
	names := []string{filepath.Join(w.root, rel)}
	if w.real != w.root {
		names = append(names, filepath.Join(w.real, rel))
	}
	if rel == "." {
		for _, h := range w.holds {
			for _, n := range names {
				if policy.Covers(*h, n) {
					return h.Reason
				}
			}
		}
		return ""
	}
	if w.patterns == nil {
		w.patterns = entryPatterns(w.holds)
	}
	for _, n := range names {
		if r := w.patterns.match(n); r != "" {
			return r
		}
	}
	return ""
}

// entryPattern is one path of a hold as policy.Covers matches it
// against a path itself: a name or glob without '/' against the last name
// (and, as a path relative to the working directory, against the path),
// an absolute path against the path and what is below it, an absolute
// glob against the path.
type entryPattern struct {
	name   string // matched against the last name, when set
	path   string // slash-separated, absolute
	glob   bool
	reason string
}

type entryPatternList []entryPattern

// entryPatterns prepares the holds' local paths for matching entries: the
// working directory and absolute forms are worked out once, not for every
// entry of a walk.
func entryPatterns(holds []*config.Hold) entryPatternList {
	wd, _ := filepath.Abs(".")
	var out entryPatternList
	for _, h := range holds {
		for _, p := range h.LocalPaths() {
			pat := filepath.ToSlash(p)
			if !strings.ContainsRune(pat, '/') {
				out = append(out, entryPattern{name: p, reason: h.Reason})
			}
			glob := itempath.HasMeta(pat)
			if abs, err := filepath.Abs(p); err == nil && !glob {
				pat = filepath.ToSlash(abs)
			} else if !strings.HasPrefix(pat, "/") {
				pat = filepath.ToSlash(wd) + "/" + pat
			}
			out = append(out, entryPattern{path: pat, glob: glob, reason: h.Reason})
		}
	}
	return out
}

// match returns the reason of the first pattern that matches path (absolute
// and clean) itself, or "".
func (l entryPatternList) match(path string) string {
	p := filepath.ToSlash(path)
	base := filepath.Base(path)
	for _, e := range l {
		var ok bool
		switch {
		case e.name != "":
			ok, _ = doublestar.Match(e.name, base)
		case e.glob:
			ok, _ = doublestar.Match(e.path, p)
		default:
			ok = p == e.path || strings.HasPrefix(p, strings.TrimSuffix(e.path, "/")+"/")
		}
		if ok {
			return e.reason
		}
	}
	return ""
}

// starts returns where in the root the holds can cover anything: below the
// fixed part of each hold path inside it, or everywhere when a hold names
// file or folder names, or a folder above the root.
func (w *holdWalker) starts() []string {
	var out []string
	for _, h := range w.holds {
		for _, p := range h.LocalPaths() {
			if !strings.ContainsRune(filepath.ToSlash(p), '/') {
				return []string{"."}
			}
			fixed := itempath.FixedDir(p)
			for _, base := range []string{w.root, w.real} {
				if rel, ok := inside(base, fixed); ok {
					out = append(out, rel)
				} else if _, ok := inside(fixed, base); ok {
					return []string{"."}
				}
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	// A start below another one is walked with it.
	return slices.DeleteFunc(out, func(s string) bool {
		return slices.ContainsFunc(out, func(o string) bool {
			_, ok := inside(o, s)
			return o != s && ok
		})
	})
}

// inside returns path relative to dir when it is dir or below it.
func inside(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// walk resolves the holds below each start.
func (w *holdWalker) walk() error {
	top, err := openat.Open(w.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // an unmounted volume: nothing held there now
	}
	if err != nil {
		return err
	}
	defer top.Close()
	for _, start := range w.starts() {
		if start == "." {
			id, err := top.ID()
			if err != nil {
				return err
			}
			reason := w.covers(".")
			if reason != "" {
				w.hold(".", id, reason, true, true)
			}
			if err := w.list(top, ".", reason); err != nil {
				return err
			}
			continue
		}
		d, err := top.OpenDir(filepath.Dir(start))
		if err != nil {
			continue // the hold's folder is not there (or not reachable without a link)
		}
		err = w.visit(d, start, "", false)
		d.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// hold records that the entry rel of identity id is held; anchor says it
// is the highest held entry of its branch.
func (w *holdWalker) hold(rel string, id openat.ID, reason string, anchor, dir bool) {
	if !id.IsZero() && (anchor || len(w.s.ids) < maxHeldIDs) {
		w.s.ids[id] = reason
	}
	if anchor {
		if a, seen := w.anchors[rel]; seen && a.id != id {
			id = openat.ID{} // seen twice, differently: it is changing
		}
		w.anchors[rel] = heldAnchor{id: id, reason: reason, dir: dir}
	}
}

// visit looks at the entry rel of the opened folder d; reason is the hold
// covering its folder ("" for none). notDir says the listing showed an
// entry that is not a folder: when no hold covers it, it is not looked at.
func (w *holdWalker) visit(d *openat.Dir, rel, reason string, notDir bool) error {
	if w.visits++; w.visits > maxHoldVisits {
		return errTooManyEntries
	}
	if reason == "" && notDir && w.covers(rel) == "" {
		return nil
	}
	name := filepath.Base(rel)
	fi, err := d.Lstat(name)
	if err != nil || fi.Mode().Type()&fs.ModeSymlink != 0 {
		return nil // gone, or a link (not followed: its target is held where it is)
	}
	anchor := false
	if reason == "" {
		reason = w.covers(rel)
		anchor = reason != ""
	}
	if reason != "" {
		w.hold(rel, openat.IDOf(fi), reason, anchor, fi.IsDir())
	}
	if !fi.IsDir() || reason != "" && !anchor && len(w.s.ids) >= maxHeldIDs {
		return nil
	}
	sub, err := d.OpenDir(name)
	if err != nil {
		return nil
	}
	defer sub.Close()
	if reason != "" {
		// What was opened is what counts: a folder exchanged between
		// the look and the opening is held too, and a changing anchor
		// is told as such.
		if id, err := sub.ID(); err == nil && id != openat.IDOf(fi) {
			w.hold(rel, id, reason, anchor, true)
		}
	}
	return w.list(sub, rel, reason)
}

// list visits the entries of the opened folder d, at rel.
func (w *holdWalker) list(d *openat.Dir, rel, reason string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	entries, err := readEntries(d, maxHoldVisits-w.visits+1)
	if errors.Is(err, errTooManyEntries) {
		return err
	}
	// An unreadable folder holds nothing piiscan could list, plan or act on.
	for _, e := range entries {
		if err := w.visit(d, filepath.Join(rel, e.Name()), reason, !e.IsDir()); err != nil {
			return err
		}
	}
	return nil
}

// readEntries reads the entries of the opened folder d, at most limit of
// them (errTooManyEntries past it). The listing is closed before it
// returns, so a walk keeps one descriptor per level. An entry's type is
// what the listing says; what it is is told when it is opened.
func readEntries(d *openat.Dir, limit int) ([]fs.DirEntry, error) {
	f, err := d.Entries()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []fs.DirEntry
	for {
		batch, err := f.ReadDir(256)
		entries = append(entries, batch...)
		if len(entries) > limit {
			return nil, errTooManyEntries
		}
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return entries, err
		}
	}
}
