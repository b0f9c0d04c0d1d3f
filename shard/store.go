package shard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/piiscan/piiscan/scanners/bucket"
)

// Store is where shards leave their findings files: a directory, or a
// prefix in a bucket. A file appears there whole or not at all.
type Store struct {
	dest    string
	dir     string // local directory, or
	objects *bucket.Client
	bucket  string
	prefix  string // ends in "/" unless empty
}

// IsObjectURL reports whether dest is in a bucket (s3://...).
func IsObjectURL(dest string) bool { return bucket.IsURL(dest) }

// OpenStore returns the store at dest: a directory (created when missing)
// or s3://bucket/prefix, reached through objects (which may be nil for a
// directory).
func OpenStore(dest string, objects *bucket.Client) (*Store, error) {
	if dest == "" {
		return nil, errors.New("no shard output: set --shard-output, PIISCAN_SHARD_OUTPUT or shards.output")
	}
	s := &Store{dest: dest}
	if !bucket.IsURL(dest) {
		if err := os.MkdirAll(dest, 0o750); err != nil {
			return nil, fmt.Errorf("shard output: %w", err)
		}
		s.dir = dest
		return s, nil
	}
	b, p, err := bucket.ParseURL(dest)
	if err != nil {
		return nil, fmt.Errorf("shard output: %w", err)
	}
	if objects == nil {
		return nil, fmt.Errorf("shard output %s: object storage is not configured", dest)
	}
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	s.objects, s.bucket, s.prefix = objects, b, p
	return s, nil
}

// String returns where the store is.
func (s *Store) String() string { return s.dest }

// Pending is a file being written to a store. Commit publishes it; Abort
// leaves nothing behind.
type Pending struct {
	*os.File
	store *Store
	name  string
}

// Create starts the file name. Locally it is written next to its final
// name and renamed into place; for a bucket it is spooled to a temporary
// file and uploaded in one PUT when committed.
func (s *Store) Create(name string) (*Pending, error) {
	dir := s.dir
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("shard output: %w", err)
	}
	return &Pending{File: f, store: s, name: name}, nil
}

// Abort removes the unfinished file.
func (p *Pending) Abort() {
	p.File.Close()
	os.Remove(p.File.Name())
}

// Commit publishes the file under its name.
func (p *Pending) Commit(ctx context.Context) error {
	defer os.Remove(p.File.Name())
	if err := p.File.Sync(); err != nil {
		p.File.Close()
		return fmt.Errorf("writing %s: %w", p.name, err)
	}
	s := p.store
	if s.dir != "" {
		if err := p.File.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", p.name, err)
		}
		final := filepath.Join(s.dir, p.name)
		if err := os.Chmod(p.File.Name(), 0o640); err != nil {
			return err
		}
		if err := os.Rename(p.File.Name(), final); err != nil {
			return fmt.Errorf("publishing %s: %w", final, err)
		}
		if d, err := os.Open(s.dir); err == nil {
			d.Sync()
			d.Close()
		}
		return nil
	}
	defer p.File.Close()
	fi, err := p.File.Stat()
	if err != nil {
		return err
	}
	if _, err := p.File.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = s.objects.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + p.name),
		Body: p.File, ContentLength: aws.Int64(fi.Size()), ContentType: aws.String("application/x-ndjson"),
	})
	if err != nil {
		return fmt.Errorf("uploading %s%s: %w", s.dest, p.name, err)
	}
	return nil
}

// Shards lists the findings files in the store, by shard.
func (s *Store) Shards(ctx context.Context) (map[Shard]string, error) {
	var names []string
	if s.dir != "" {
		entries, err := os.ReadDir(s.dir)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", s.dir, err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				names = append(names, e.Name())
			}
		}
	} else {
		err := s.objects.List(ctx, s.bucket, s.prefix, "", func(o bucket.Object) error {
			if rest := strings.TrimPrefix(o.Key, s.prefix); !strings.Contains(rest, "/") {
				names = append(names, rest)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	out := map[Shard]string{}
	for _, n := range names {
		if sh, ok := ParseFileName(n); ok {
			out[sh] = n
		}
	}
	return out, nil
}

// Open opens the file name of the store.
func (s *Store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if s.dir != "" {
		return os.Open(filepath.Join(s.dir, name))
	}
	return s.objects.Open(ctx, bucket.Object{Bucket: s.bucket, Key: s.prefix + name})
}

// Location returns where name is, for messages.
func (s *Store) Location(name string) string {
	if s.dir != "" {
		return filepath.Join(s.dir, name)
	}
	return bucket.Scheme + path.Join(s.bucket, s.prefix+name)
}

// CreateAt starts a file at dest, a local path or s3://bucket/key, that
// appears whole when committed (a merged report, say).
func CreateAt(dest string, objects *bucket.Client) (*Pending, error) {
	i := strings.LastIndexByte(dest, '/')
	if !bucket.IsURL(dest) || i < len(bucket.Scheme) || i == len(dest)-1 {
		if bucket.IsURL(dest) {
			return nil, fmt.Errorf("%s: want s3://bucket/key", dest)
		}
		st, err := OpenStore(filepath.Dir(dest), nil)
		if err != nil {
			return nil, err
		}
		return st.Create(filepath.Base(dest))
	}
	st, err := OpenStore(dest[:i+1], objects)
	if err != nil {
		return nil, err
	}
	return st.Create(dest[i+1:])
}
