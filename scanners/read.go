package scanners

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/openat"
	"github.com/piiscan/piiscan/scanners/source"
)

// countingReader feeds the progress display.
type countingReader struct {
	r io.Reader
	p *Progress
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	c.p.ReadBytes.Add(int64(n))
	return n, err
}

// readItem opens one input, feeds its streams to the workers and returns
// how many streams it had. All its streams share in.
func (r *run) readItem(it workItem, in *input) (n int, end Position) {
	// Findings and problems name the input by its escaped name, which
	// its members' paths extend; it.Path stays the name to open.
	name := itempath.Escape(it.Path)
	defer func() {
		if p := recover(); p != nil {
			r.problem(name, fmt.Errorf("internal error while reading: %v", p))
			n, end = 0, Position{}
		}
	}()
	s := r.s
	if s.opts.Allow.Path(name, "") {
		return 0, Position{Skip: true}
	}
	inc := s.opts.Incremental
	var f io.Reader = s.opts.Stdin
	var ra io.ReaderAt
	var file *os.File
	switch {
	case it.Opener != nil:
		if inc != nil && inc.Start(it.Item, nil).Skip {
			r.unchanged()
			return 0, Position{Skip: true}
		}
		rc, at, err := it.Opener(r.ctx)
		if err != nil {
			r.problem(name, err)
			return 0, Position{}
		}
		defer rc.Close()
		f, ra = rc, at
	case it.Path != source.Stdin:
		var err error
		file, err = it.Open()
		if err != nil {
			r.problem(name, err)
			return 0, Position{}
		}
		defer file.Close()
		f, ra = file, file
	}
	var from Position
	if inc != nil && file != nil {
		from = inc.Start(it.Item, file)
		if from.Skip {
			r.unchanged()
			return 0, from
		}
		if from.Offset > 0 {
			if _, err := file.Seek(from.Offset, io.SeekStart); err != nil {
				r.problem(name, err)
				return 0, Position{}
			}
		}
	}
	s.Progress.Files.Add(1)
	r.mu.Lock()
	r.stats.Files++
	r.mu.Unlock()
	cr := &countingReader{r: f, p: &s.Progress}
	var src io.Reader = cr
	if inc != nil && file != nil {
		// A plain file is read directly, so that the next scan can resume
		// after its last complete line; anything else is read whole.
		br := bufio.NewReaderSize(cr, 64<<10)
		head, _ := br.Peek(512)
		if from.Offset > 0 || source.SniffReader(br, head) == source.FormatPlain {
			end := from
			rs := &resume{item: it.Item, from: from, end: &end}
			if from.Offset > 0 {
				// The columns of a CSV come from its first line.
				head := make([]byte, 8<<10)
				n, _ := file.ReadAt(head, 0)
				rs.head = head[:n]
			}
			started, err := r.readStream(name, br, nil, in, it.idx, 0, rs)
			if err != nil && r.ctx.Err() == nil {
				r.problem(name, err)
			}
			if !started { // binary, or allowed: nothing to resume
				return 0, Position{Whole: true, Offset: it.Size}
			}
			return 1, end
		}
		src = br
	}
	x := source.Expander{Limits: s.opts.Limits, MemberError: r.problem}
	if file != nil {
		x.Beside = func(suffix string) (*os.File, error) { return besideFile(it.Path, suffix) }
	}
	if ra != nil {
		defer func() {
			// Zip archives are read through ra, which is not counted.
			if rest := it.Size - cr.n; rest > 0 {
				s.Progress.ReadBytes.Add(rest)
			}
		}()
	}
	members := 0
	err := x.Expand(r.ctx, name, src, ra, it.Size, func(path string, br *bufio.Reader, t *source.Table) error {
		started, err := r.readStream(path, br, t, in, it.idx, members, nil)
		if started {
			members++
		}
		return err
	})
	if err != nil && r.ctx.Err() == nil {
		r.problem(name, err)
	}
	return members, Position{Whole: true, Offset: it.Size}
}

// resume is how a plain file is read by an incremental scan: from where,
// where the end goes, and the start of the file (for its CSV header).
type resume struct {
	item source.Item
	from Position
	end  *Position
	head []byte
}

// besideFile opens the regular file beside p (after its symbolic links,
// as SQLite looks beside the file it opens) named as p with suffix added:
// nil where there is none or it is no regular file (a device is never
// opened, a link in its place never followed); an error where it is and
// cannot be read.
func besideFile(p, suffix string) (*os.File, error) {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	p += suffix
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, nil
	}
	f, err := openat.OpenFile(p, false)
	if errors.Is(err, openat.ErrNotRegular) {
		return nil, nil // replaced meanwhile
	}
	return f, err
}
