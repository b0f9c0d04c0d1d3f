package shard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/piiscan/piiscan/internal/atomicfile"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/bucket"
)

// Store is where shards leave their findings files: a directory, or a
// prefix in a bucket. A file appears there whole or not at all.
type Store struct {
	dest string
	b    backend
	// runs caches the run of listed objects by key and ETag: a --wait
	// that polls reads each header once.
	runs map[string]string
}

// backend keeps the files of a Store: a directory (dirStore) or a
// bucket prefix (bucketStore).
type backend interface {
	// create starts the file name (see Store.Create).
	create(ctx context.Context, name string) (*Pending, error)
	// list returns the files directly in the store.
	list(ctx context.Context) ([]entry, error)
	// open opens a listed file.
	open(ctx context.Context, e entry) (io.ReadCloser, error)
	// location returns where name is, for messages.
	location(name string) string
}

// OpenStore returns the store at dest: a directory (created when missing)
// or s3://bucket/prefix, reached through objects (which may be nil for a
// directory).
func OpenStore(dest string, objects *bucket.Client) (*Store, error) {
	if dest == "" {
		return nil, errors.New("no shard output: set --shard-output, PIISCAN_SHARD_OUTPUT or shards.output")
	}
	return openStore(dest, at(dest, objects))
}

// openStore returns the store at p, which dest names.
func openStore(dest string, p place) (*Store, error) {
	b, err := p.store()
	if err != nil {
		return nil, err
	}
	return &Store{dest: dest, b: b}, nil
}

// String returns where the store is.
func (s *Store) String() string { return s.dest }

// Pending is a file being written to a store. Commit publishes it; Abort
// leaves nothing behind.
type Pending struct {
	w      io.Writer
	commit func(ctx context.Context) error
	abort  func()
	name   string
	where  string
}

// Write writes to the unpublished file.
func (p *Pending) Write(b []byte) (int, error) { return p.w.Write(b) }

// Commit publishes the file under its name.
func (p *Pending) Commit(ctx context.Context) error { return p.commit(ctx) }

// Abort drops the unfinished file.
func (p *Pending) Abort() { p.abort() }

// Create starts the file name. Locally it is written to a temporary file
// next to its final name (.NAME.*.tmp, mode 0600; a crashed writer leaves
// it behind), made durable and renamed into place; in a bucket it is streamed as a
// multipart upload, which becomes visible only when completed. A findings
// file in a store is always a regular file of the store's directory
// (whatever had its name is replaced, never followed or written
// through): Shards lists only those.
func (s *Store) Create(ctx context.Context, name string) (*Pending, error) {
	return s.b.create(ctx, name)
}

// dirStore is a store in a local directory.
type dirStore struct{ dir string }

func (d *dirStore) create(_ context.Context, name string) (*Pending, error) {
	final := filepath.Join(d.dir, name)
	f, err := atomicfile.Create(final, 0o600)
	if err != nil {
		return nil, fmt.Errorf("shard output: %w", err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	p := &Pending{w: bw, name: name, where: final, abort: f.Abort}
	p.commit = func(context.Context) error {
		if err := bw.Flush(); err != nil {
			f.Abort()
			return fmt.Errorf("publishing %s: %w", final, err)
		}
		return f.Commit()
	}
	return p, nil
}

// list returns the regular files of the directory.
func (d *dirStore) list(context.Context) ([]entry, error) {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", d.dir, err)
	}
	var found []entry
	for _, e := range entries {
		if e.Type().IsRegular() {
			found = append(found, entry{name: e.Name()})
		}
	}
	return found, nil
}

func (d *dirStore) open(_ context.Context, e entry) (io.ReadCloser, error) {
	return os.Open(filepath.Join(d.dir, e.name))
}

func (d *dirStore) location(name string) string { return filepath.Join(d.dir, name) }

// bucketStore is a store under a prefix of a bucket.
type bucketStore struct {
	objects *bucket.Client
	bucket  string
	prefix  string // ends in "/" unless empty
}

// partSize is the size of the parts of a multipart upload: files up to
// 10,000 parts (156 GiB) can be published.
const partSize = 16 << 20

// objectWriter streams a file into a bucket: one PutObject when it is
// small, a multipart upload otherwise.
type objectWriter struct {
	ctx      context.Context
	s        *bucketStore
	key      string
	ctype    string
	buf      []byte
	uploadID *string
	parts    []types.CompletedPart
	err      error
}

func (s *bucketStore) create(ctx context.Context, name string) (*Pending, error) {
	w := &objectWriter{ctx: ctx, s: s, key: s.prefix + name, ctype: contentType(name)}
	return &Pending{w: w, name: name, where: w.where(), commit: w.complete, abort: w.abortUpload}, nil
}

// list returns the objects directly under the prefix.
func (s *bucketStore) list(ctx context.Context) ([]entry, error) {
	var found []entry
	err := s.objects.List(ctx, s.bucket, s.prefix, "", func(o bucket.Object) error {
		if rest := strings.TrimPrefix(o.Key, s.prefix); !strings.Contains(rest, "/") {
			found = append(found, entry{name: rest, obj: o, version: o.Key + "\x00" + o.ETag})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// open opens the version of the object that was listed.
func (s *bucketStore) open(ctx context.Context, e entry) (io.ReadCloser, error) {
	return s.objects.Open(ctx, e.obj)
}

func (s *bucketStore) location(name string) string {
	return itempath.Scheme + path.Join(s.bucket, s.prefix+name)
}

func (w *objectWriter) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(b)
	for len(b) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, partSize)
		}
		k := min(len(b), partSize-len(w.buf))
		w.buf = append(w.buf, b[:k]...)
		b = b[k:]
		if len(w.buf) == partSize {
			if w.err = w.flush(); w.err != nil {
				return n - len(b), w.err
			}
		}
	}
	return n, nil
}

// flush uploads the buffer as the next part.
func (w *objectWriter) flush() error {
	c := w.s.objects.S3
	if w.uploadID == nil {
		out, err := c.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(w.s.bucket), Key: aws.String(w.key), ContentType: aws.String(w.ctype)})
		if err != nil {
			return fmt.Errorf("uploading %s: %w", w.where(), err)
		}
		w.uploadID = out.UploadId
	}
	if len(w.parts) == 10000 {
		return fmt.Errorf("uploading %s: larger than 10,000 parts of %d MiB", w.where(), partSize>>20)
	}
	num := int32(len(w.parts) + 1)
	out, err := c.UploadPart(w.ctx, &s3.UploadPartInput{Bucket: aws.String(w.s.bucket), Key: aws.String(w.key),
		UploadId: w.uploadID, PartNumber: aws.Int32(num), Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf)))})
	if err != nil {
		return fmt.Errorf("uploading %s (part %d): %w", w.where(), num, err)
	}
	w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
	w.buf = w.buf[:0]
	return nil
}

func (w *objectWriter) complete(ctx context.Context) error {
	w.ctx = ctx
	if w.err != nil {
		w.abortUpload()
		return w.err
	}
	c := w.s.objects.S3
	if w.uploadID == nil {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.s.bucket), Key: aws.String(w.key),
			Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf))), ContentType: aws.String(w.ctype)})
		if err != nil {
			return fmt.Errorf("uploading %s: %w", w.where(), err)
		}
		return nil
	}
	if len(w.buf) > 0 {
		if err := w.flush(); err != nil {
			w.abortUpload()
			return err
		}
	}
	_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(w.s.bucket), Key: aws.String(w.key),
		UploadId: w.uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts}})
	if err != nil {
		w.abortUpload()
		return fmt.Errorf("uploading %s: %w", w.where(), err)
	}
	return nil
}

func (w *objectWriter) abortUpload() {
	w.buf = nil
	if w.uploadID != nil {
		// Without a context of its own an abort after cancellation would
		// leave the parts (and their cost) behind.
		w.s.objects.S3.AbortMultipartUpload(context.WithoutCancel(w.ctx), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(w.s.bucket), Key: aws.String(w.key), UploadId: w.uploadID})
		w.uploadID = nil
	}
}

func (w *objectWriter) where() string { return itempath.Object(w.s.bucket, w.key) }

// contentType is the media type of a report or findings file by name.
func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".jsonl", ".ndjson":
		return "application/x-ndjson"
	case ".json":
		return "application/json"
	case ".sarif":
		return "application/sarif+json"
	}
	return "text/plain; charset=utf-8"
}

// entry is a findings file in a store.
type entry struct {
	name string
	obj  bucket.Object // in a bucket: pinned by its ETag when read
	// version names what was listed when the store can tell one version
	// of a file from the next (in a bucket: key and ETag), so that its
	// header is read once; "" when it cannot (a directory).
	version string
}

// Shards lists the findings files in the store, by shard. With run set,
// only the files of that run count: their headers are read.
func (s *Store) Shards(ctx context.Context, run string) (map[Shard]entry, error) {
	found, err := s.b.list(ctx)
	if err != nil {
		return nil, err
	}
	out := map[Shard]entry{}
	for _, e := range found {
		sh, ok := ParseFileName(e.name)
		if !ok {
			continue
		}
		if run != "" && s.runOf(ctx, e) != run {
			continue
		}
		out[sh] = e
	}
	return out, nil
}

// runOf returns the run of a findings file ("" when unreadable).
func (s *Store) runOf(ctx context.Context, e entry) string {
	if r, ok := s.runs[e.version]; ok && e.version != "" {
		return r
	}
	h, err := s.header(ctx, e)
	if err != nil {
		slog.Warn("skipping a file that is not a readable findings file", "file", s.Location(e.name), "error", err)
		return ""
	}
	if e.version != "" {
		if s.runs == nil {
			s.runs = map[string]string{}
		}
		s.runs[e.version] = h.Run
	}
	return h.Run
}

// header reads the first record of a findings file.
func (s *Store) header(ctx context.Context, e entry) (*Header, error) {
	r, err := s.open(ctx, e)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// The first JSON value, however long (a header lists the targets).
	var first headerRecord
	if err := json.NewDecoder(r).Decode(&first); err != nil || first.Shard == nil {
		return nil, fmt.Errorf("%s: not a findings file", s.Location(e.name))
	}
	return first.Shard, nil
}

// open opens a findings file of the store; in a bucket, the version that
// was listed.
func (s *Store) open(ctx context.Context, e entry) (io.ReadCloser, error) {
	return s.b.open(ctx, e)
}

// Location returns where name is, for messages.
func (s *Store) Location(name string) string { return s.b.location(name) }

// CreateAt starts a report at dest, a local path or s3://bucket/key (a
// merged report, say). A local path is opened by internal/output, as
// scan -o is: a regular file (or none) is replaced whole when committed,
// keeping its permissions; a device or named pipe is written in place; a
// link is followed to its target, unless another user planted it in a
// shared sticky directory (output.ErrUnsafe). Missing directories are
// made. An object appears whole when committed.
func CreateAt(ctx context.Context, dest string, objects *bucket.Client) (*Pending, error) {
	return at(dest, objects).create(ctx)
}
