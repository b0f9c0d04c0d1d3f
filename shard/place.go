package shard

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/internal/output"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// A place is what a name given to the package stands for: a store of
// findings files, a findings file, a report's destination, a scan's
// target or an item a scan reached. It is on this machine (localPlace)
// or in a bucket (bucketPlace); at tells which, and the rest of the
// package asks the place.
type place interface {
	// store opens the store of findings files there: a directory (made
	// when missing) or a bucket prefix.
	store() (backend, error)
	// create starts a report there (see CreateAt).
	create(ctx context.Context) (*Pending, error)
	// file opens the findings file there when the place is one (a local
	// file that is not a directory); it returns nil when the place holds
	// a store instead.
	file() (io.ReadCloser, error)
	// holds reports whether a scan of the place, as a target, names
	// item (the real name of a file or object) among what it found
	// under it. An item named as the target is the caller's to match.
	holds(item string) bool
	// compare orders item a, the place's own name, and item b as a scan
	// reaches them.
	compare(a, b string) int
}

// at returns the place name stands for: an s3:// URL is in a bucket,
// reached through objects (nil when there is none, or when the place is
// only matched and ordered); any other name is on this machine. It is
// the one place in package shard that tells the two apart.
func at(name string, objects *bucket.Client) place {
	if itempath.IsObject(name) {
		return bucketPlace{url: name, objects: objects}
	}
	return localPlace(name)
}

// localPlace is a path on this machine.
type localPlace string

func (p localPlace) store() (backend, error) {
	if err := os.MkdirAll(string(p), 0o750); err != nil {
		return nil, fmt.Errorf("shard output: %w", err)
	}
	return &dirStore{dir: string(p)}, nil
}

// create opens the report at p with internal/output, as scan -o does,
// making the missing directories.
func (p localPlace) create(ctx context.Context) (*Pending, error) {
	dest := string(p)
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
		return nil, err
	}
	f, err := output.Create(ctx, dest)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	pd := &Pending{w: bw, name: filepath.Base(dest), where: f.Where(), abort: f.Abort}
	pd.commit = func(context.Context) error {
		if err := bw.Flush(); err != nil {
			f.Abort()
			return fmt.Errorf("writing %s: %w", f.Where(), err)
		}
		return f.Commit()
	}
	return pd, nil
}

func (p localPlace) file() (io.ReadCloser, error) {
	fi, err := os.Stat(string(p))
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, nil
	}
	f, err := os.Open(string(p))
	if err != nil {
		return nil, err
	}
	return f, nil
}

// holds reports whether item is under the directory p. The walk reports
// the files under a directory target with cleaned paths ("./d" gives
// "d/f", "." gives "f").
func (p localPlace) holds(item string) bool {
	dir := filepath.Clean(string(p))
	switch {
	case dir == "." && !filepath.IsAbs(item) && item != ".." && !strings.HasPrefix(item, "../"):
		return true
	case strings.HasPrefix(item, dir) && len(item) > len(dir) && item[len(dir)] == '/',
		dir == "/" && strings.HasPrefix(item, "/"):
		return true
	}
	return false
}

// compare orders files in walk order, which is lexical order of the path
// components ("a/b" comes before "a.log").
func (localPlace) compare(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		switch {
		case x == '/':
			return -1
		case y == '/':
			return 1
		case x < y:
			return -1
		}
		return 1
	}
	return len(a) - len(b)
}

// bucketPlace is an s3:// URL, reached through objects.
type bucketPlace struct {
	url     string
	objects *bucket.Client
}

func (p bucketPlace) store() (backend, error) {
	b, prefix, err := itempath.ParseObject(p.url)
	if err != nil {
		return nil, fmt.Errorf("shard output: %w", err)
	}
	if p.objects == nil {
		return nil, fmt.Errorf("shard output %s: object storage is not configured", p.url)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &bucketStore{objects: p.objects, bucket: b, prefix: prefix}, nil
}

// create starts the object s3://bucket/key as a file of the store of its
// folder.
func (p bucketPlace) create(ctx context.Context) (*Pending, error) {
	dest := p.url
	i := strings.LastIndexByte(dest, '/')
	if i < len(itempath.Scheme) || i == len(dest)-1 {
		return nil, fmt.Errorf("%s: want s3://bucket/key", dest)
	}
	st, err := bucketPlace{url: dest[:i+1], objects: p.objects}.store()
	if err != nil {
		return nil, err
	}
	return st.create(ctx, dest[i+1:])
}

// file returns nil: a bucket URL names a store of findings files.
func (bucketPlace) file() (io.ReadCloser, error) { return nil, nil }

// holds reports whether item is an object under the prefix p.
func (p bucketPlace) holds(item string) bool { return strings.HasPrefix(item, p.url) }

// compare orders objects by key, as they are listed.
func (bucketPlace) compare(a, b string) int { return strings.Compare(a, b) }
