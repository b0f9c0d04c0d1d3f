package bucket

import (
	"context"
	"errors"

	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/scanners/source"
)

// ErrNotConfigured is the problem of an s3:// target read without an S3
// client.
var ErrNotConfigured = errors.New("object storage is not configured")

// Source is the source of the objects of s3:// targets, listed and read
// through Client. With Client nil (object storage is not configured), each
// target is a problem that says so.
type Source struct {
	Client *Client
}

// Handles reports whether target is an s3:// URL.
func (Source) Handles(target string) bool { return itempath.IsObject(target) }

// Walk lists target as Client.Walk does. A listing that fails (after
// retries) is a problem of target, reported to funcs.Error: a checkpoint
// lets the next run resume it.
func (s Source) Walk(ctx context.Context, target string, funcs source.WalkFuncs) error {
	if s.Client == nil {
		funcs.Error(target, ErrNotConfigured)
		return nil
	}
	if err := s.Client.Walk(ctx, target, funcs.Item); err != nil {
		if ctx.Err() != nil {
			return err
		}
		funcs.Error(target, err)
	}
	return nil
}
