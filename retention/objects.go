package retention

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/internal/itempath"
	"github.com/piiscan/piiscan/policy"
	"github.com/piiscan/piiscan/retention/audit"
	"github.com/piiscan/piiscan/scanners/bucket"
	"github.com/piiscan/piiscan/scanners/source"
)

// objectStore is a bucket as a Store. Every change is checked against the
// ETag (and LastModified) the plan saw, so an object a concurrent writer
// replaced is not overwritten or deleted silently: a rewrite is
// conditional (If-Match); a delete is by version in a versioned bucket,
// and reported as unconditional in another (see deleteBatch).
type objectStore struct {
	c           *bucket.Client
	bucket      string
	allVersions bool
	// versioning caches whether the bucket has versioning enabled (see
	// versioned).
	versioning *bool
	// mtimeKey signs OriginalMtimeMeta (see mtimeKey).
	mtimeKey []byte
	// pageSize is the most versions a page of a version listing asks
	// for (0: the store's default, 1000); tests make it small.
	pageSize int32
}

func (o *objectStore) Close() error { return nil }

func (o *objectStore) key(path string) (string, error) {
	b, key, err := itempath.ParseObject(path)
	if err != nil {
		return "", err
	}
	if b != o.bucket || key == "" {
		return "", fmt.Errorf("%s: %w", path, ErrOutside)
	}
	return key, nil
}

// apiCode returns the error code of an S3 error ("" for others).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// changed maps a failed precondition to ErrChanged.
func changed(path string, err error) error {
	switch apiCode(err) {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return fmt.Errorf("%s: %w", path, ErrChanged)
	}
	return err
}

func (o *objectStore) Open(ctx context.Context, path string) (io.ReadCloser, Snapshot, error) {
	key, err := o.key(path)
	if err != nil {
		return nil, Snapshot{}, err
	}
	out, err := o.c.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, Snapshot{}, fmt.Errorf("GET %s: %w", path, err)
	}
	return out.Body, Snapshot{Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified), ETag: aws.ToString(out.ETag)}, nil
}

func (o *objectStore) Remove(ctx context.Context, path string, snap Snapshot) error {
	_, err := o.remove(ctx, path, snap, nil)
	return err
}

// remove deletes one object as deleteBatch does, and says how. plan, when
// set, records the versions about to be deleted (see versionPlan).
func (o *objectStore) remove(ctx context.Context, path string, snap Snapshot, plan func([]audit.VersionOutcome) error) (deleted, error) {
	if _, err := o.key(path); err != nil {
		return deleted{}, err
	}
	it := &Item{Path: path, Snap: snap}
	var vp versionPlan
	if plan != nil {
		vp = func(ps []plannedVersions) error { return plan(ps[0].versions) }
	}
	how := o.deleteBatch(ctx, []*Item{it}, vp)
	switch {
	case it.Err != nil:
		return how[it], it.Err
	case !it.Done:
		return deleted{}, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	return how[it], nil
}

// removeVersions deletes the noncurrent versions (and delete markers) of a
// key when the location asks for it; keep is the version to leave (the
// one a rewrite just stored).
func (o *objectStore) removeVersions(ctx context.Context, key, keep string) error {
	if !o.allVersions {
		return nil
	}
	vs, err := o.versionsOf(ctx, []string{key})
	if err != nil {
		return fmt.Errorf("listing versions of %s: %w", key, err)
	}
	var ids []types.ObjectIdentifier
	if kv := vs[key]; kv != nil {
		for _, id := range kv.all {
			if keep == "" || aws.ToString(id.VersionId) != keep || !kv.versions[aws.ToString(id.VersionId)] {
				ids = append(ids, id)
			}
		}
	}
	return o.deleteKeyVersions(ctx, key, ids)
}

// deleted is how an object of a batch was deleted, for its audit entry.
type deleted struct {
	// version is the version deleted, or hidden behind a delete marker
	// (in a versioned bucket).
	version string
	// unconditional: the store cannot condition a delete on what the
	// plan saw (a bucket without versioning).
	unconditional bool
	// versions is, with all_versions, what happened to each version.
	versions []audit.VersionOutcome
}

// record puts how the object was deleted in its audit entry e.
func (d deleted) record(e *audit.Entry) {
	e.Version, e.Unconditional, e.Versions = d.version, d.unconditional, d.versions
}

// ErrVersionsKept says that, with all_versions, a version of an object
// could not be deleted (an S3 Object Lock legal hold or retention, a
// permission): the object is hidden behind a delete marker, but the
// version is still in the bucket.
var ErrVersionsKept error = reasonError("a version could not be deleted; the object is hidden behind a delete marker")

// versioned reports whether the bucket has versioning enabled, asking the
// store once. A bucket whose versioning cannot be told (an error, a
// store without the call) is taken as unversioned: its deletes are then
// reported as unconditional.
func (o *objectStore) versioned(ctx context.Context) bool {
	if o.versioning == nil {
		on := false
		out, err := o.c.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(o.bucket)})
		if err == nil {
			on = out.Status == types.BucketVersioningStatusEnabled
		}
		o.versioning = &on
	}
	return *o.versioning
}

// sameObject reports whether an object listed now (etag, modified) is
// the one the plan saw. LastModified is compared to the second: a HEAD
// gives no finer time than that.
func sameObject(snap Snapshot, etag string, modified time.Time) bool {
	if snap.ETag != "" && etag != snap.ETag {
		return false
	}
	if !snap.ModTime.IsZero() && !modified.IsZero() && !snap.ModTime.Truncate(time.Second).Equal(modified.Truncate(time.Second)) {
		return false
	}
	return true
}

// deleteBatch deletes objects with DeleteObjects, up to 1000 keys a call,
// and records per-key results in the items and in the map it returns.
// Neither S3 nor the S3-compatible stores tried honour the per-key ETag
// of DeleteObjects, so:
//
//   - in a bucket with versioning enabled, the key range of each call is
//     listed with its versions first, and each object is deleted as the
//     exact version whose ETag and LastModified the plan saw (with
//     all_versions), or hidden behind a delete marker that is taken back
//     when a version written meanwhile turns up right after: a writer's
//     new version always survives, and the object is reported changed;
//   - with all_versions, plan records every version about to be deleted
//     (listed right before) ahead of the first delete, so that a run
//     killed in the middle has named them all;
//   - in an unversioned bucket the key range is listed first and an
//     object whose ETag or LastModified changed since the plan is left
//     alone, but the delete itself cannot be conditioned: it is reported
//     as unconditional.
func (o *objectStore) deleteBatch(ctx context.Context, items []*Item, plan versionPlan) map[*Item]deleted {
	done := map[*Item]deleted{}
	slices.SortFunc(items, func(a, b *Item) int { return strings.Compare(a.Path, b.Path) })
	versioned := o.versioned(ctx)
	for len(items) > 0 {
		n := min(len(items), 1000)
		chunk := items[:n]
		items = items[n:]
		if versioned {
			o.deleteVersions(ctx, chunk, done, plan)
			continue
		}
		current, err := o.etags(ctx, chunk)
		if err != nil {
			failAll(chunk, err)
			continue
		}
		ids := make([]types.ObjectIdentifier, 0, len(chunk))
		byKey := map[string]*Item{}
		for _, it := range chunk {
			key, err := o.key(it.Path)
			if err != nil {
				it.Err = err
				continue
			}
			if obj, ok := current[key]; !ok || !sameObject(it.Snap, obj.ETag, obj.LastModified) {
				it.Err = fmt.Errorf("%s: %w", it.Path, ErrChanged)
				continue
			}
			id := types.ObjectIdentifier{Key: aws.String(key)}
			if it.Snap.ETag != "" {
				id.ETag = aws.String(it.Snap.ETag)
			}
			ids = append(ids, id)
			byKey[key] = it
		}
		out, ok := o.deleteIDs(ctx, ids, byKey)
		if !ok {
			continue
		}
		for _, d := range out.Deleted {
			key := aws.ToString(d.Key)
			if it := byKey[key]; it != nil && it.Err == nil {
				it.Done = true
				done[it] = deleted{unconditional: true}
				if err := o.removeVersions(ctx, key, ""); err != nil {
					it.Err = err
				}
			}
		}
	}
	return done
}

// failAll records err, a failure before any of them was deleted, in
// every item.
func failAll(items []*Item, err error) {
	for _, it := range items {
		it.Err = err
	}
}

// deleteIDs sends one DeleteObjects call (not quiet: every key deleted is
// named) and records the keys the store refused, or the call's failure,
// in the items. ok is false when nothing was deleted.
func (o *objectStore) deleteIDs(ctx context.Context, ids []types.ObjectIdentifier, byKey map[string]*Item) (*s3.DeleteObjectsOutput, bool) {
	if len(ids) == 0 {
		return nil, false
	}
	out, err := o.c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(o.bucket), Delete: &types.Delete{Objects: ids}})
	if err != nil {
		for _, it := range byKey {
			it.Err = fmt.Errorf("DeleteObjects: %w", err)
		}
		return nil, false
	}
	for _, e := range out.Errors {
		if it := byKey[aws.ToString(e.Key)]; it != nil {
			it.Err = fmt.Errorf("%s: %s", aws.ToString(e.Code), aws.ToString(e.Message))
			if c := aws.ToString(e.Code); c == "PreconditionFailed" {
				it.Err = fmt.Errorf("%s: %w", it.Path, ErrChanged)
			}
		}
	}
	return out, true
}

// keyVersions is what a version listing shows of one key.
type keyVersions struct {
	// latest is the current version (nil when the key's latest is a
	// delete marker).
	latest *types.ObjectVersion
	// older are the noncurrent versions and delete markers.
	older []types.ObjectIdentifier
	// ids are all the version ids of the key listed, versions those of
	// its versions (not delete markers).
	ids, versions map[string]bool
	// all are its versions and delete markers, in the order listed.
	all []types.ObjectIdentifier
}

// versionPlan records, before the first version of any of them is
// deleted (all_versions), the versions deleteBatch is about to delete of
// each object, as listed right before: its noncurrent versions and delete
// markers, and its current version. When it returns an error, nothing of
// those objects is deleted.
type versionPlan func([]plannedVersions) error

// plannedVersions are the versions of an item's object about to be
// deleted.
type plannedVersions struct {
	it       *Item
	versions []audit.VersionOutcome
}

// planOf returns the versions of a key listed in kv that all_versions
// deletes: the noncurrent ones and delete markers, then the current one.
func planOf(it *Item, kv *keyVersions) plannedVersions {
	p := plannedVersions{it: it}
	for _, v := range kv.older {
		id := aws.ToString(v.VersionId)
		p.versions = append(p.versions, audit.VersionOutcome{Version: id, Marker: !kv.versions[id]})
	}
	p.versions = append(p.versions, audit.VersionOutcome{Version: aws.ToString(kv.latest.VersionId)})
	return p
}

// deleteVersions deletes a chunk of objects (sorted by path) of a
// versioned bucket: see deleteBatch. With all_versions, plan (when set)
// records every version about to go before the first one does.
func (o *objectStore) deleteVersions(ctx context.Context, chunk []*Item, done map[*Item]deleted, plan versionPlan) {
	before, err := o.listVersions(ctx, chunk)
	if err != nil {
		failAll(chunk, err)
		return
	}
	var (
		acting []*Item
		keys   = map[*Item]string{}
		plans  []plannedVersions
	)
	for _, it := range chunk {
		key, err := o.key(it.Path)
		if err != nil {
			it.Err = err
			continue
		}
		kv := before[key]
		if kv == nil || kv.latest == nil || !sameObject(it.Snap, aws.ToString(kv.latest.ETag), aws.ToTime(kv.latest.LastModified)) {
			it.Err = fmt.Errorf("%s: %w", it.Path, ErrChanged)
			continue
		}
		acting = append(acting, it)
		keys[it] = key
		if o.allVersions {
			plans = append(plans, planOf(it, kv))
		}
	}
	if len(plans) > 0 && plan != nil {
		if err := plan(plans); err != nil {
			failAll(acting, fmt.Errorf("nothing was done: the audit log failed: %w", err))
			return
		}
	}
	ids := make([]types.ObjectIdentifier, 0, len(acting))
	byKey := map[string]*Item{}
	older := map[string][]audit.VersionOutcome{} // all_versions: key -> its noncurrent versions' outcomes
	for _, it := range acting {
		key := keys[it]
		kv := before[key]
		id := types.ObjectIdentifier{Key: aws.String(key)}
		if o.allVersions {
			// The noncurrent versions first, one by one, so that
			// nothing older is exposed when the current one goes.
			outs, kept := o.deleteNoncurrent(ctx, key, kv)
			if kept {
				o.deleteKept(ctx, it, key, kv, outs, done)
				continue
			}
			older[key] = outs
			// The exact version planned: one written meanwhile stays.
			id.VersionId = kv.latest.VersionId
		}
		ids = append(ids, id)
		byKey[key] = it
	}
	out, ok := o.deleteIDs(ctx, ids, byKey)
	if o.allVersions {
		o.recordCurrent(ctx, before, byKey, older, out, done)
		return
	}
	if ok {
		o.checkMarkers(ctx, before, byKey, out, done)
	}
}

// checkMarkers finishes, without all_versions, the objects out says were
// deleted: a delete marker hides whatever version is current when it
// lands, so the keys are listed again, and the marker of a key a writer
// gave a new version meanwhile is taken back (the item is reported
// changed).
func (o *objectStore) checkMarkers(ctx context.Context, before map[string]*keyVersions, byKey map[string]*Item, out *s3.DeleteObjectsOutput, done map[*Item]deleted) {
	var (
		gone    []*Item
		markers = map[string]string{} // key -> the delete marker just added
	)
	for _, d := range out.Deleted {
		key := aws.ToString(d.Key)
		it := byKey[key]
		if it == nil || it.Err != nil {
			continue
		}
		markers[key] = aws.ToString(d.DeleteMarkerVersionId)
		gone = append(gone, it)
	}
	if len(gone) == 0 {
		return
	}
	after, err := o.listVersions(ctx, gone)
	for _, it := range gone {
		key, _ := o.key(it.Path)
		planned := aws.ToString(before[key].latest.VersionId)
		if err != nil {
			// Not reported done: a version written meanwhile may be
			// the one hidden.
			it.Err = fmt.Errorf("%s: hidden behind a delete marker, but whether it was replaced meanwhile could not be checked: %w", it.Path, err)
			continue
		}
		if !newVersion(before[key], after[key]) {
			it.Done = true
			done[it] = deleted{version: planned}
			continue
		}
		marker := markers[key]
		if marker == "" {
			it.Err = fmt.Errorf("%s: %w, while being deleted: a newer version may be hidden behind a delete marker", it.Path, ErrChanged)
			continue
		}
		if derr := o.deleteVersion(ctx, key, marker); derr != nil {
			it.Err = fmt.Errorf("%s: %w, while being deleted, and the delete marker hiding the new version could not be taken back: %v", it.Path, ErrChanged, derr)
			continue
		}
		it.Err = fmt.Errorf("%s: %w, while being deleted: the delete marker was taken back", it.Path, ErrChanged)
	}
}

// versionOutcome is the audit record of deleting one version (err nil:
// deleted; otherwise code, or err's API code, says why not). A refusal
// because of S3 Object Lock (a legal hold or retention) or a permission
// leaves the version kept. Stores say so differently: AWS S3 and
// versitygw answer AccessDenied, MinIO InvalidRequest; so a refusal
// other than AccessDenied is checked against the version's lock.
func (o *objectStore) versionOutcome(ctx context.Context, key, id string, marker bool, code string, err error) audit.VersionOutcome {
	vo := audit.VersionOutcome{Version: id, Marker: marker, Outcome: audit.VersionDeleted}
	if err == nil && code == "" {
		return vo
	}
	vo.Outcome, vo.Reason = audit.VersionFailed, cmp.Or(code, apiCode(err), "failed")
	switch {
	case vo.Reason == "AccessDenied":
		vo.Outcome = audit.VersionKept
	case !marker && id != "" && vo.Reason != "failed":
		if why, lerr := lockHeld(ctx, o.c, o.bucket, key, id, time.Now()); lerr == nil && why != "" {
			vo.Outcome = audit.VersionKept
		}
	}
	return vo
}

// deleteNoncurrent deletes the noncurrent versions and delete markers of
// a key listed in kv (all_versions), one by one by version id, and
// returns each one's outcome and whether a version (not a delete marker)
// is still there.
func (o *objectStore) deleteNoncurrent(ctx context.Context, key string, kv *keyVersions) ([]audit.VersionOutcome, bool) {
	outs, _ := o.deleteEach(ctx, key, kv.older, func(id string) bool { return !kv.versions[id] })
	kept := slices.ContainsFunc(outs, func(vo audit.VersionOutcome) bool { return !vo.Marker && vo.Outcome != audit.VersionDeleted })
	return outs, kept
}

// deleteEach deletes the versions ids of key one by one by version id
// (marker: whether an id is a delete marker) and returns each one's
// outcome (see versionOutcome), and the error of the last one that
// failed otherwise than kept.
func (o *objectStore) deleteEach(ctx context.Context, key string, ids []types.ObjectIdentifier, marker func(id string) bool) ([]audit.VersionOutcome, error) {
	var (
		outs    []audit.VersionOutcome
		lastErr error
	)
	for _, v := range ids {
		id := aws.ToString(v.VersionId)
		err := o.deleteVersion(ctx, key, id)
		vo := o.versionOutcome(ctx, key, id, marker(id), "", err)
		outs = append(outs, vo)
		if vo.Outcome == audit.VersionFailed {
			lastErr = cmp.Or(err, error(fmt.Errorf("%s", vo.Reason)))
		}
	}
	return outs, lastErr
}

// deleteKept finishes an object (all_versions) an older version of which
// could not be deleted: a delete marker goes on top first, so that the
// version does not become current, then the version the plan saw is
// deleted by its id. The item is reported failed with ErrVersionsKept.
func (o *objectStore) deleteKept(ctx context.Context, it *Item, key string, kv *keyVersions, outs []audit.VersionOutcome, done map[*Item]deleted) {
	hideErr := o.hide(ctx, it.Path, key, kv, &outs)
	planned := aws.ToString(kv.latest.VersionId)
	if hidden(outs) {
		err := o.deleteVersion(ctx, key, planned)
		outs = append(outs, o.versionOutcome(ctx, key, planned, false, "", err))
	} else {
		// Without a marker on top, deleting the current version would
		// make the kept one current: it stays.
		outs = append(outs, audit.VersionOutcome{Version: planned, Outcome: audit.VersionKept, Reason: "no delete marker"})
	}
	done[it] = deleted{version: planned, versions: outs}
	it.Err = versionsKept(it.Path, hideErr)
}

// hidden reports whether hide, the last step recorded in outs, left
// something on top of the key: its delete marker, or a writer's version
// that made it take the marker back.
func hidden(outs []audit.VersionOutcome) bool {
	if len(outs) == 0 {
		return false
	}
	last := outs[len(outs)-1]
	return last.Outcome == audit.VersionMarkerAdded || last.Outcome == audit.VersionMarkerRemoved
}

// versionsKept is the error of an object a version of which stays
// (hideErr: putting the delete marker on top failed).
func versionsKept(path string, hideErr error) error {
	if hideErr != nil {
		return fmt.Errorf("%s: %w; but hiding it failed: %w", path, ErrVersionsKept, hideErr)
	}
	return fmt.Errorf("%s: %w", path, ErrVersionsKept)
}

// recordCurrent records, with all_versions, the outcome of deleting the
// current versions of byKey's items by id (out: the DeleteObjects
// answer, nil when the call failed). A current version the store refused
// to delete is hidden behind a delete marker.
func (o *objectStore) recordCurrent(ctx context.Context, before map[string]*keyVersions, byKey map[string]*Item, older map[string][]audit.VersionOutcome, out *s3.DeleteObjectsOutput, done map[*Item]deleted) {
	codes := map[string]string{}
	gone := map[string]bool{}
	if out != nil {
		for _, e := range out.Errors {
			codes[aws.ToString(e.Key)] = cmp.Or(aws.ToString(e.Code), "failed")
		}
		for _, d := range out.Deleted {
			gone[aws.ToString(d.Key)] = true
		}
	}
	for key, it := range byKey {
		kv := before[key]
		planned := aws.ToString(kv.latest.VersionId)
		outs := older[key]
		switch {
		case gone[key] && it.Err == nil:
			it.Done = true
			outs = append(outs, o.versionOutcome(ctx, key, planned, false, "", nil))
		case codes[key] != "":
			vo := o.versionOutcome(ctx, key, planned, false, codes[key], nil)
			outs = append(outs, vo)
			if vo.Outcome == audit.VersionKept {
				// The current version stays: hide it.
				hideErr := o.hide(ctx, it.Path, key, kv, &outs)
				it.Err = versionsKept(it.Path, hideErr)
			}
		default:
			// The call failed, or did not name the key: the current
			// version may still be there.
			outs = append(outs, audit.VersionOutcome{Version: planned, Outcome: audit.VersionFailed, Reason: "failed"})
			if it.Err == nil {
				it.Err = fmt.Errorf("%s: %w, while being deleted", it.Path, ErrChanged)
			}
		}
		done[it] = deleted{version: planned, versions: outs}
	}
}

// hide puts a delete marker on top of a key (of the object at path), so that a version that could
// not be deleted does not become current, and lists the key again: when a
// writer stored a version since kv was listed, the marker would hide it,
// and is taken back (the writer's version hides the old ones).
func (o *objectStore) hide(ctx context.Context, path, key string, kv *keyVersions, outs *[]audit.VersionOutcome) error {
	out, err := o.c.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key)})
	if err != nil {
		*outs = append(*outs, audit.VersionOutcome{Marker: true, Outcome: audit.VersionFailed, Reason: cmp.Or(apiCode(err), "failed")})
		return fmt.Errorf("putting a delete marker on top: %w", err)
	}
	marker := aws.ToString(out.VersionId)
	*outs = append(*outs, audit.VersionOutcome{Version: marker, Marker: true, Outcome: audit.VersionMarkerAdded})
	after, err := o.listVersions(ctx, []*Item{{Path: path}})
	if err != nil {
		return fmt.Errorf("checking for a version written meanwhile: %w", err)
	}
	if !newVersion(kv, after[key]) || marker == "" {
		return nil
	}
	if err := o.deleteVersion(ctx, key, marker); err != nil {
		return fmt.Errorf("%w, and the delete marker hiding the new version could not be taken back: %v", ErrChanged, err)
	}
	*outs = append(*outs, audit.VersionOutcome{Version: marker, Marker: true, Outcome: audit.VersionMarkerRemoved})
	return nil
}

// deleteVersion deletes one version, or delete marker, of key by its id.
func (o *objectStore) deleteVersion(ctx context.Context, key, id string) error {
	_, err := o.c.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key), VersionId: aws.String(id)})
	return err
}

// newVersion reports whether after lists a version (not a delete marker)
// of a key that before did not.
func newVersion(before, after *keyVersions) bool {
	if after == nil {
		return false
	}
	for id := range after.versions {
		if !before.ids[id] {
			return true
		}
	}
	return false
}

// listVersions lists the versions of the keys of items (sorted by path),
// one listing from the first key to the last.
func (o *objectStore) listVersions(ctx context.Context, items []*Item) (map[string]*keyVersions, error) {
	if _, _, err := o.keyRange(items); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(items))
	for _, it := range items {
		if k, err := o.key(it.Path); err == nil {
			keys = append(keys, k)
		}
	}
	out, err := o.versionsOf(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("listing versions before deleting: %w", err)
	}
	return out, nil
}

// versionsOf lists the versions of keys (sorted), one listing from the
// first key to the last. A page that still fails after the request's
// retries (an outage longer than they last) is asked for again from the
// same KeyMarker and VersionIdMarker (see bucket.Client.Resume), as a
// listing of objects resumes from its continuation token: an outage in
// the middle costs no part of the listing, and the pages before are not
// asked for again. A store that starts the next page with the entry at
// VersionIdMarker again (versitygw does; S3 starts after it) has it
// listed once.
func (o *objectStore) versionsOf(ctx context.Context, keys []string) (map[string]*keyVersions, error) {
	first, last := keys[0], keys[len(keys)-1]
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(o.bucket), Prefix: aws.String(commonPrefix(first, last))}
	// KeyMarker is exclusive: start just before the first key.
	if start := first[:len(first)-1]; start >= aws.ToString(in.Prefix) && start != "" {
		in.KeyMarker = aws.String(start)
	}
	if o.pageSize > 0 {
		in.MaxKeys = aws.Int32(o.pageSize)
	}
	out := map[string]*keyVersions{}
	get := func(key string) *keyVersions {
		kv := out[key]
		if kv == nil {
			kv = &keyVersions{ids: map[string]bool{}, versions: map[string]bool{}}
			out[key] = kv
		}
		return kv
	}
	err := versionPages(ctx, o.c, in, func(page *s3.ListObjectVersionsOutput) bool {
		past := true
		for _, v := range page.Versions {
			key := aws.ToString(v.Key)
			if key <= last {
				past = false
			}
			if !want[key] {
				continue
			}
			kv := get(key)
			id := aws.ToString(v.VersionId)
			if kv.ids[id] {
				continue // listed again at the top of the next page
			}
			kv.ids[id], kv.versions[id] = true, true
			kv.all = append(kv.all, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
			if aws.ToBool(v.IsLatest) {
				kv.latest = &v
			} else {
				kv.older = append(kv.older, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
			}
		}
		for _, m := range page.DeleteMarkers {
			key := aws.ToString(m.Key)
			if key <= last {
				past = false
			}
			if !want[key] {
				continue
			}
			kv := get(key)
			if kv.ids[aws.ToString(m.VersionId)] {
				continue
			}
			kv.ids[aws.ToString(m.VersionId)] = true
			kv.all = append(kv.all, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
			if !aws.ToBool(m.IsLatest) {
				kv.older = append(kv.older, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
			}
		}
		// Stop once a page lists only keys past the last.
		return !past || len(page.Versions) == 0 && len(page.DeleteMarkers) == 0
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// versionPages lists the versions in asks for, page by page, calling each
// with every page until it returns false or the listing ends. A page that
// still fails after the request's retries is asked for again from the same
// KeyMarker and VersionIdMarker (see bucket.Client.Resume); a store that
// repeats its markers ends the listing.
func versionPages(ctx context.Context, c *bucket.Client, in *s3.ListObjectVersionsInput, each func(*s3.ListObjectVersionsOutput) bool) error {
	for {
		var page *s3.ListObjectVersionsOutput
		err := c.Resume(ctx, func(ctx context.Context) error {
			var err error
			page, err = c.S3.ListObjectVersions(ctx, in)
			return err
		})
		if err != nil {
			return err
		}
		if !each(page) {
			return nil
		}
		nextKey, nextVersion := aws.ToString(page.NextKeyMarker), aws.ToString(page.NextVersionIdMarker)
		if !aws.ToBool(page.IsTruncated) || nextKey == "" ||
			nextKey == aws.ToString(in.KeyMarker) && nextVersion == aws.ToString(in.VersionIdMarker) {
			return nil // the last page (or a store that repeats its markers)
		}
		in.KeyMarker, in.VersionIdMarker = aws.String(nextKey), nil
		if nextVersion != "" {
			in.VersionIdMarker = aws.String(nextVersion)
		}
	}
}

// deleteKeyVersions deletes the versions and delete markers ids of key, by their
// version ids. Given the noncurrent ones listed before its current
// version was deleted (all_versions), a version written since is not
// among them.
func (o *objectStore) deleteKeyVersions(ctx context.Context, key string, ids []types.ObjectIdentifier) error {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		out, err := o.c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(o.bucket), Delete: &types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("deleting versions of %s: %w", key, err)
		}
		if len(out.Errors) > 0 {
			return fmt.Errorf("deleting a version of %s: %s", key, aws.ToString(out.Errors[0].Message))
		}
		ids = ids[n:]
	}
	return nil
}

// etags lists the current objects (ETags, times) of the objects of items (sorted by path):
// one listing from the first key to the last, so about one request per
// thousand keys.
func (o *objectStore) etags(ctx context.Context, items []*Item) (map[string]bucket.Object, error) {
	first, last, err := o.keyRange(items)
	if err != nil {
		return nil, err
	}
	prefix := commonPrefix(first, last)
	// StartAfter is exclusive: start just before the first key.
	start := first[:len(first)-1]
	if start < prefix {
		start = ""
	}
	etags := map[string]bucket.Object{}
	err = o.c.List(ctx, o.bucket, prefix, start, func(obj bucket.Object) error {
		if obj.Key > last {
			return errListed
		}
		etags[obj.Key] = obj
		return nil
	})
	if err != nil && !errors.Is(err, errListed) {
		return nil, fmt.Errorf("before deleting: %w", err)
	}
	return etags, nil
}

// keyRange returns the keys of the first and the last of items (sorted by
// path), which a listing of them runs between.
func (o *objectStore) keyRange(items []*Item) (first, last string, err error) {
	if first, err = o.key(items[0].Path); err != nil {
		return "", "", err
	}
	if last, err = o.key(items[len(items)-1].Path); err != nil {
		return "", "", err
	}
	return first, last, nil
}

// errListed stops a listing that went past what it needed.
var errListed = errors.New("listed")

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// OriginalMtimeMeta is the user metadata (x-amz-meta-piiscan-original-mtime)
// in which a rewrite by piiscan (redact, erase, record filtering) keeps an
// object's modification time from before its first rewrite: rewriting the
// data does not make it younger. Its value is versioned; version 2 is
//
//	v2;<time>;<signature of the SHA-256>;<signature of the MD5>
//
// with the time in RFC 3339 with nanoseconds, UTC, and each signature a
// keyed hash (see mtimeKey) of the bucket, the key, the time, and the
// size and a digest of the content piiscan uploaded. Anyone who can write
// to the bucket can write metadata, and many writers keep an object's
// metadata when they replace its data (a copy with metadata, rclone, SDK
// helpers that read, modify and write): a value counts only for the
// very content it was written with, which the store vouches for, so
// neither a forged value nor one copied to another key or kept on new
// data at the same key ages new data past its retention (see
// originalMtime). Version 1 values (written by piiscan before content was
// bound) are ignored: such an object counts from its LastModified.
const OriginalMtimeMeta = "piiscan-original-mtime"

// mtimeStampVersion starts a version 2 OriginalMtimeMeta value.
const mtimeStampVersion = "v2"

// mtimeKey returns the key OriginalMtimeMeta is signed with, derived from
// the fingerprint key, or nil when there is none (then no value is
// written or trusted).
func mtimeKey(c *config.Config) []byte {
	if c == nil {
		return nil
	}
	key, _, err := c.FingerprintKey()
	if err != nil {
		return nil
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("piiscan original mtime v1"))
	return m.Sum(nil)
}

// objectContent is what an OriginalMtimeMeta value is bound to: the size
// and digests of an object's content. A digest is nil when unknown.
type objectContent struct {
	size        int64
	sha256, md5 []byte
}

// headContent returns the content a HEAD (with ChecksumMode ENABLED)
// vouches for: the size, the SHA-256 checksum the store verified when the
// object was uploaded with one (a whole-object one, not the composite of
// a multipart upload), and the MD5 when the ETag is one (a single PUT
// without SSE-KMS; a multipart ETag ends in -N).
func headContent(h *s3.HeadObjectOutput) objectContent {
	c := objectContent{size: aws.ToInt64(h.ContentLength)}
	if h.ChecksumType != types.ChecksumTypeComposite {
		if sum, err := base64.StdEncoding.DecodeString(aws.ToString(h.ChecksumSHA256)); err == nil && len(sum) == sha256.Size {
			c.sha256 = sum
		}
	}
	if etag := strings.Trim(aws.ToString(h.ETag), `"`); len(etag) == 2*md5.Size {
		if sum, err := hex.DecodeString(etag); err == nil {
			c.md5 = sum
		}
	}
	return c
}

// mtimeSignature signs t for the object bucket/key with the given content
// size and digest (alg names it).
func mtimeSignature(mkey []byte, bucketName, key, t string, size int64, alg string, digest []byte) string {
	m := hmac.New(sha256.New, mkey)
	// Lengths first: no key can be read as another key and time.
	fmt.Fprintf(m, "%s\x00%d:%s\x00%d:%s\x00%s\x00%d\x00%s\x00%x", mtimeStampVersion, len(bucketName), bucketName, len(key), key, t, size, alg, digest)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// stampMtime is the OriginalMtimeMeta value of t for the object
// bucket/key with content c (as uploaded: both digests known).
func stampMtime(mkey []byte, bucketName, key string, t time.Time, c objectContent) string {
	ts := t.UTC().Format(time.RFC3339Nano)
	return strings.Join([]string{mtimeStampVersion, ts,
		mtimeSignature(mkey, bucketName, key, ts, c.size, "sha256", c.sha256),
		mtimeSignature(mkey, bucketName, key, ts, c.size, "md5", c.md5)}, ";")
}

// originalMtime returns the time an object's metadata keeps in
// OriginalMtimeMeta, if one is there, of version 2, and signed with mkey
// for the object bucket/key with the content c the store vouches for (see
// headContent): its SHA-256 checksum when the store gives one, else its
// MD5 ETag. When the store vouches for neither, the value is not
// trusted (the object counts from its LastModified: it is kept longer,
// never deleted early).
func originalMtime(meta map[string]string, mkey []byte, bucketName, key string, c objectContent) (time.Time, bool) {
	if mkey == nil {
		return time.Time{}, false
	}
	for k, v := range meta {
		if !strings.EqualFold(k, OriginalMtimeMeta) {
			continue
		}
		parts := strings.Split(v, ";")
		if len(parts) != 4 || parts[0] != mtimeStampVersion {
			return time.Time{}, false // version 1 (not bound to the content), or unknown
		}
		ts, sig := parts[1], ""
		switch {
		case c.sha256 != nil:
			sig = mtimeSignature(mkey, bucketName, key, ts, c.size, "sha256", c.sha256)
			if !hmac.Equal([]byte(parts[2]), []byte(sig)) {
				return time.Time{}, false
			}
		case c.md5 != nil:
			sig = mtimeSignature(mkey, bucketName, key, ts, c.size, "md5", c.md5)
			if !hmac.Equal([]byte(parts[3]), []byte(sig)) {
				return time.Time{}, false
			}
		default:
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		return t, err == nil
	}
	return time.Time{}, false
}

// keepOriginalMtime returns a copy of an object's metadata that keeps its
// original modification time for the content a rewrite uploads: the one
// a rewrite kept before (when its signature holds for the object's
// current content), or else lastModified. The earlier of the two wins, so
// metadata never makes an object younger than S3 says it is. An unsigned,
// forged, old (version 1) or replayed value is replaced.
func keepOriginalMtime(meta map[string]string, lastModified time.Time, mkey []byte, bucketName, key string, current, uploaded objectContent) map[string]string {
	out := maps.Clone(meta)
	for k := range out {
		if strings.EqualFold(k, OriginalMtimeMeta) {
			delete(out, k)
		}
	}
	orig, ok := originalMtime(meta, mkey, bucketName, key, current)
	if !ok || !lastModified.IsZero() && lastModified.Before(orig) {
		orig = lastModified
	}
	if orig.IsZero() || mkey == nil {
		return out
	}
	if out == nil {
		out = map[string]string{}
	}
	out[OriginalMtimeMeta] = stampMtime(mkey, bucketName, key, orig, uploaded)
	return out
}

// objectModTime returns the modification time retention counts for the
// object at path, listed with lastModified: the original time a rewrite
// by piiscan kept in its metadata when that is signed for the object's
// current content and earlier. It costs a HEAD (asking for the object's
// checksum). When the HEAD fails, lastModified is returned with the
// error: the object looks younger, never older, so nothing is deleted
// early, but the caller should say the time could not be read. An
// object gone since it was listed is no error.
func objectModTime(ctx context.Context, objects *bucket.Client, mkey []byte, path string, lastModified time.Time) (time.Time, error) {
	b, key, err := itempath.ParseObject(path)
	if err != nil || objects == nil || mkey == nil {
		return lastModified, err
	}
	h, err := objects.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	switch code := apiCode(err); {
	case code == "NotFound" || code == "NoSuchKey":
		slog.Debug("object gone before its original time was read", "path", path)
		return lastModified, nil
	case err != nil:
		return lastModified, err
	}
	if orig, ok := originalMtime(h.Metadata, mkey, b, key, headContent(h)); ok && orig.Before(lastModified) {
		return orig, nil
	}
	return lastModified, nil
}

// maxPut is the largest object a single PutObject may store.
const maxPut = 5 << 30

// Rewrite writes the new content to a local temporary file, and only when
// it is complete uploads it over the object, keeping its content type and
// encoding, user metadata, tags, server-side encryption and storage
// class, on the condition (If-Match) that the object still has the
// planned ETag. The PUT gives the object a new LastModified: its original
// one is kept in the metadata x-amz-meta-piiscan-original-mtime (see
// OriginalMtimeMeta), signed for the content uploaded, which goes with
// its SHA-256 checksum; retention counts the object's age from it.
func (o *objectStore) Rewrite(ctx context.Context, path string, snap Snapshot, write func(io.Writer) error) (int64, error) {
	key, err := o.key(path)
	if err != nil {
		return 0, err
	}
	// The checksum too: a time an earlier rewrite kept counts only for
	// the content it was written with (see originalMtime).
	head, err := o.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return 0, fmt.Errorf("HEAD %s: %w", path, err)
	}
	if snap.ETag != "" && aws.ToString(head.ETag) != snap.ETag {
		return 0, fmt.Errorf("%s: %w", path, ErrChanged)
	}
	tags, err := o.c.S3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(o.bucket), Key: aws.String(key)})
	if err != nil && apiCode(err) != "NotImplemented" {
		return 0, fmt.Errorf("tags of %s: %w", path, err)
	}
	// The rewritten object holds the data the redaction kept: a spool
	// file, nameless where the system allows, so a kill leaves no copy.
	tmp, err := source.CreateSpool("")
	if err != nil {
		return 0, err
	}
	defer source.CloseSpool(tmp)
	// The digests of what is uploaded, for the checksum the store
	// verifies and for the original time's signature.
	sum256, sumMD5 := sha256.New(), md5.New()
	cw := &countWriter{w: io.MultiWriter(tmp, sum256, sumMD5)}
	if err := write(cw); err != nil {
		return 0, err
	}
	if cw.n > maxPut {
		return 0, fmt.Errorf("%s: the rewritten object (%d bytes) is larger than one PUT may be (5 GiB); left unchanged", path, cw.n)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	in := &s3.PutObjectInput{
		Bucket: aws.String(o.bucket), Key: aws.String(key), Body: tmp, ContentLength: aws.Int64(cw.n),
		ContentType: head.ContentType, ContentEncoding: head.ContentEncoding, ContentDisposition: head.ContentDisposition,
		ContentLanguage: head.ContentLanguage, CacheControl: head.CacheControl,
		ServerSideEncryption: head.ServerSideEncryption, SSEKMSKeyId: head.SSEKMSKeyId,
		BucketKeyEnabled: head.BucketKeyEnabled,
	}
	// The store checks the SHA-256 and keeps it (given back to a HEAD
	// with ChecksumMode ENABLED); the original time is signed for this
	// content alone.
	uploaded := objectContent{size: cw.n, sha256: sum256.Sum(nil), md5: sumMD5.Sum(nil)}
	in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
	in.ChecksumSHA256 = aws.String(base64.StdEncoding.EncodeToString(uploaded.sha256))
	in.Metadata = keepOriginalMtime(head.Metadata, aws.ToTime(head.LastModified), o.mtimeKey, o.bucket, key, headContent(head), uploaded)
	if head.StorageClass != "" {
		in.StorageClass = head.StorageClass
	}
	if tags != nil && len(tags.TagSet) > 0 {
		v := url.Values{}
		for _, t := range tags.TagSet {
			v.Set(aws.ToString(t.Key), aws.ToString(t.Value))
		}
		in.Tagging = aws.String(v.Encode())
	}
	if snap.ETag != "" {
		in.IfMatch = aws.String(snap.ETag)
	}
	// The old content lives on as a noncurrent version in a versioned
	// bucket; all_versions removes it, and the versions older: those
	// listed before the upload, so that a version a writer stores after
	// it is not among them.
	// They are named in the audit log before the upload (see
	// rewriteVersions), and what happened to each after it.
	var (
		old     []types.ObjectIdentifier
		markers map[string]bool
		rv      = rewriteVersionsOf(ctx)
	)
	if o.allVersions && o.versioned(ctx) {
		vs, err := o.listVersions(ctx, []*Item{{Path: path}})
		if err != nil {
			return 0, err
		}
		if kv := vs[key]; kv != nil {
			old = kv.older
			if kv.latest != nil {
				old = append(old, types.ObjectIdentifier{Key: kv.latest.Key, VersionId: kv.latest.VersionId})
			}
			markers = map[string]bool{}
			var planned []audit.VersionOutcome
			for _, id := range old {
				v := aws.ToString(id.VersionId)
				markers[v] = !kv.versions[v]
				planned = append(planned, audit.VersionOutcome{Version: v, Marker: markers[v]})
			}
			if rv.plan != nil && len(planned) > 0 {
				if err := rv.plan(planned); err != nil {
					return 0, fmt.Errorf("nothing was done: the audit log failed: %w", err)
				}
			}
		}
	}
	out, err := o.c.S3.PutObject(ctx, in)
	if err != nil {
		return 0, changed(path, err)
	}
	switch v := aws.ToString(out.VersionId); {
	case v == "" || v == "null":
	case len(old) > 0:
		outs, err := o.deleteOldVersions(ctx, key, old, markers)
		rv.outcomes = append(rv.outcomes, outs...)
		if err != nil {
			return cw.n, fmt.Errorf("rewrote %s, but: %w", path, err)
		}
	case !o.versioned(ctx):
		// Versioning suspended: what is there cannot be told apart
		// from what a writer adds.
		if err := o.removeVersions(ctx, key, v); err != nil {
			return cw.n, fmt.Errorf("rewrote %s, but: %w", path, err)
		}
	}
	return cw.n, nil
}

func (o *objectStore) QuarantineName(path string) (string, error) {
	key, err := o.key(path)
	if err != nil {
		return "", err
	}
	return o.bucket + "_" + strings.ReplaceAll(key, "/", "_"), nil
}

// lockEnabled reports whether a bucket has S3 Object Lock switched on:
// without it no object of the bucket can be held.
func lockEnabled(ctx context.Context, c *bucket.Client, b string) (bool, error) {
	out, err := c.S3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	switch {
	case apiCode(err) == "ObjectLockConfigurationNotFoundError":
		return false, nil
	case err != nil:
		return false, err
	}
	return out.ObjectLockConfiguration != nil && out.ObjectLockConfiguration.ObjectLockEnabled == types.ObjectLockEnabledEnabled, nil
}

// lockHeld returns why S3 Object Lock protects an object of a bucket with
// Object Lock on ("" when it does not): its version id, or its current
// version when id is "". An answer other than "no hold" or "no retention"
// is an error: the object must then be kept.
func lockHeld(ctx context.Context, c *bucket.Client, b, key, id string, now time.Time) (string, error) {
	var version *string
	if id != "" {
		version = aws.String(id)
	}
	lh, err := c.S3.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: version})
	switch {
	case err == nil && lh.LegalHold != nil && lh.LegalHold.Status == types.ObjectLockLegalHoldStatusOn:
		return "S3 Object Lock legal hold", nil
	case err != nil && !noLock(err):
		return "", fmt.Errorf("legal hold: %w", err)
	}
	r, err := c.S3.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: version})
	switch {
	case err == nil && r.Retention != nil && r.Retention.RetainUntilDate != nil && now.Before(*r.Retention.RetainUntilDate):
		return fmt.Sprintf("S3 Object Lock retention (%s) until %s", r.Retention.Mode, r.Retention.RetainUntilDate.UTC().Format(time.RFC3339)), nil
	case err != nil && !noLock(err):
		return "", fmt.Errorf("retention: %w", err)
	}
	return "", nil
}

// noLock reports whether err says an object has no legal hold or
// retention (or is gone: nothing left to protect).
func noLock(err error) bool {
	switch apiCode(err) {
	case "NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchKey", "NotFound":
		return true
	}
	return false
}

// OldVersion names a noncurrent version, or a delete marker, of an object
// that a plan deletes by its version id (all_versions: see
// planOldVersions). The item's Path is then VersionPath(Object, Version).
type OldVersion struct {
	// Object is the object's URL (s3://bucket/key), Key its key.
	Object, Key string
	// Version is the version id; Marker says it is a delete marker.
	Version string
	Marker  bool
	// under are the items of the versions below a delete marker: it is
	// deleted only when they all were, so that it never uncovers one.
	under []*Item
}

// VersionPath is how plans and the audit log name one version of the
// object at path: "s3://b/a.log (version 3f2a…)", or "(delete marker …)".
func VersionPath(path, id string, marker bool) string {
	if marker {
		return path + " (delete marker " + id + ")"
	}
	return path + " (version " + id + ")"
}

// ErrOldVersionKept says that the store refused to delete an old version
// of an object (an S3 Object Lock legal hold or retention, a permission):
// it is still in the bucket, noncurrent.
var ErrOldVersionKept error = reasonError("an old version could not be deleted (S3 Object Lock or a permission); it stays, noncurrent")

// removeOld deletes the version (or delete marker) an item names by its
// version id, and records its outcome in e. A delete marker stays when a
// version under it was not deleted.
func (o *objectStore) removeOld(ctx context.Context, it *Item, e *audit.Entry) error {
	old := it.Old
	e.Version = old.Version
	for _, u := range old.under {
		if !u.Done {
			e.Versions = []audit.VersionOutcome{{Version: old.Version, Marker: true, Outcome: audit.VersionKept, Reason: "a version under it was not deleted"}}
			return fmt.Errorf("%s: kept: a version under it was not deleted", it.Path)
		}
	}
	err := o.deleteVersion(ctx, old.Key, old.Version)
	vo := o.versionOutcome(ctx, old.Key, old.Version, old.Marker, "", err)
	if vo.Outcome == audit.VersionFailed && o.gone(ctx, old.Key, old.Version) {
		// Gone already: a rewrite of the object earlier in the run
		// deleted its old versions. Stores say so differently (S3
		// NoSuchVersion, versitygw InvalidArgument), so the key's
		// versions are listed.
		vo = audit.VersionOutcome{Version: old.Version, Marker: old.Marker, Outcome: audit.VersionDeleted, Reason: "already gone"}
	}
	e.Versions = []audit.VersionOutcome{vo}
	switch {
	case vo.Outcome == audit.VersionDeleted:
		it.Done = true
		return nil
	case vo.Outcome == audit.VersionKept:
		return fmt.Errorf("%s: %w (%s)", it.Path, ErrOldVersionKept, vo.Reason)
	case err != nil:
		return fmt.Errorf("deleting %s: %w", it.Path, err)
	}
	return fmt.Errorf("deleting %s: %s", it.Path, vo.Reason)
}

// gone reports whether a listing of key's versions shows that version id
// is no longer there (false when the listing fails).
func (o *objectStore) gone(ctx context.Context, key, id string) bool {
	vs, err := o.versionsOf(ctx, []string{key})
	if err != nil {
		return false
	}
	kv := vs[key]
	return kv == nil || !kv.ids[id]
}

// deleteOldVersions deletes, after a rewrite (all_versions), the versions
// ids of key listed before the upload, one by one by version id
// (markers: which of them are delete markers), and returns each one's
// outcome; the error says which could not be deleted.
func (o *objectStore) deleteOldVersions(ctx context.Context, key string, ids []types.ObjectIdentifier, markers map[string]bool) ([]audit.VersionOutcome, error) {
	outs, lastErr := o.deleteEach(ctx, key, ids, func(id string) bool { return markers[id] })
	var kept, fails int
	for _, vo := range outs {
		switch vo.Outcome {
		case audit.VersionKept:
			kept++
		case audit.VersionFailed:
			fails++
		}
	}
	switch {
	case fails > 0:
		return outs, fmt.Errorf("deleting %d old versions of %s: %w", fails, key, lastErr)
	case kept > 0:
		return outs, fmt.Errorf("%s: %w (versions kept: %d)", key, ErrOldVersionKept, kept)
	}
	return outs, nil
}

// rewriteVersions carries, through a rewrite's context, what Rewrite
// does to the old versions of an object (all_versions) to the action's
// audit entry: plan names them in the log before the upload, outcomes
// are what happened to each after it.
type rewriteVersions struct {
	plan     func([]audit.VersionOutcome) error
	outcomes []audit.VersionOutcome
}

type rewriteVersionsKey struct{}

// withRewriteVersions returns ctx carrying rv to Rewrite.
func withRewriteVersions(ctx context.Context, rv *rewriteVersions) context.Context {
	return context.WithValue(ctx, rewriteVersionsKey{}, rv)
}

// rewriteVersionsOf returns the rewriteVersions ctx carries (a fresh one,
// recorded nowhere, when none).
func rewriteVersionsOf(ctx context.Context) *rewriteVersions {
	if rv, ok := ctx.Value(rewriteVersionsKey{}).(*rewriteVersions); ok && rv != nil {
		return rv
	}
	return &rewriteVersions{}
}

// listedVersion is a version or delete marker of a version listing.
type listedVersion struct {
	id             string
	marker, latest bool
	size           int64
	etag           string
	modified       time.Time
}

// versionsUnder lists every version and delete marker under prefix in
// bucket b, by key, paged and resumed as
// versionsOf is (an entry a store lists again at the top of the next page
// is listed once). keys are the keys in listing order.
func versionsUnder(ctx context.Context, c *bucket.Client, b, prefix string, pageSize int32) (map[string][]listedVersion, []string, error) {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String(prefix)}
	if pageSize > 0 {
		in.MaxKeys = aws.Int32(pageSize)
	}
	out := map[string][]listedVersion{}
	var keys []string
	seen := map[string]bool{}
	add := func(key string, v listedVersion) {
		if seen[key+"\x00"+v.id] {
			return
		}
		seen[key+"\x00"+v.id] = true
		if _, ok := out[key]; !ok {
			keys = append(keys, key)
		}
		out[key] = append(out[key], v)
	}
	err := versionPages(ctx, c, in, func(page *s3.ListObjectVersionsOutput) bool {
		for _, v := range page.Versions {
			add(aws.ToString(v.Key), listedVersion{id: aws.ToString(v.VersionId), latest: aws.ToBool(v.IsLatest),
				size: aws.ToInt64(v.Size), etag: aws.ToString(v.ETag), modified: aws.ToTime(v.LastModified)})
		}
		for _, m := range page.DeleteMarkers {
			add(aws.ToString(m.Key), listedVersion{id: aws.ToString(m.VersionId), marker: true, latest: aws.ToBool(m.IsLatest),
				modified: aws.ToTime(m.LastModified)})
		}
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	return out, keys, nil
}

// planOldVersions adds to a plan, for every selected location with
// all_versions (want), the noncurrent versions and delete markers that
// must go, each as its own Delete item by version id (see OldVersion):
//
//  1. a noncurrent version whose own LastModified is past the location's
//     max_age;
//  2. in a redact plan (redact), the noncurrent versions of a key whose
//     current version piiscan rewrote (it carries a signed
//     OriginalMtimeMeta): they are older, copies from before the
//     redaction;
//  3. the delete markers of a key with no noncurrent version left (or
//     only versions this plan deletes: they go after them, and only if
//     they went), so that none uncovers an old version.
//
// Keys the plan already acts on are left alone (their action deletes
// their old versions). A legal hold covering the object, or S3 Object
// Lock on the version, keeps it: the item is a Keep that says so. The
// location's versions count in its size for the circuit breaker, and the
// noncurrent versions of an object deleted whole in its removals. A
// listing that fails is a problem of the plan.
func planOldVersions(ctx context.Context, c *config.Config, p *Plan, objects *bucket.Client, want func(*config.Location) bool, redact bool) {
	if objects == nil {
		return
	}
	// A whole-object action deletes the old versions itself; a record
	// action may find nothing to drop and rewrite nothing.
	acting := map[string]bool{}
	for _, it := range p.Items {
		switch it.Action {
		case Delete, Quarantine, RedactFile:
			acting[it.Path] = true
		}
	}
	seen := map[string]bool{} // a key under two roots of a location is planned once
	mkey := mtimeKey(c)
	locks := map[string]*bool{}
	for _, loc := range c.Locations {
		if !loc.AllVersions || !want(loc) {
			continue
		}
		if p.sizes == nil {
			p.sizes = map[string]*locationSize{}
		}
		size := p.sizes[loc.Name]
		countCurrent := size == nil
		if size == nil {
			size = &locationSize{}
			p.sizes[loc.Name] = size
		}
		for _, root := range loc.ObjectRoots() {
			b, prefix, err := itempath.ParseObject(root)
			if err != nil {
				continue // the walk said so
			}
			byKey, keys, err := versionsUnder(ctx, objects, b, prefix, 0)
			if apiCode(err) == "NotImplemented" {
				continue // a store without versions: none to sweep
			}
			if err != nil {
				p.Problems = append(p.Problems, problemOf(root, fmt.Errorf("listing versions: %w", err)))
				continue
			}
			for _, key := range keys {
				url := bucket.Object{Bucket: b, Key: key}.URL()
				// LocationOf is loc only where loc contains url.
				if seen[url] || policy.LocationOf(c, url) != loc {
					continue
				}
				seen[url] = true
				vs := byKey[key]
				older := &locationSize{}
				for _, v := range vs {
					if !v.marker && !v.latest {
						older.files++
						older.bytes += v.size
					}
					if !v.marker && (countCurrent || !v.latest) {
						size.files++
						size.bytes += v.size
					}
				}
				if acting[url] {
					if p.older == nil {
						p.older = map[string]*locationSize{}
					}
					p.older[url] = older
					continue
				}
				p.Items = append(p.Items, oldVersionItems(ctx, c, p.Now, loc, objects, b, key, url, vs, redact, mkey, locks)...)
			}
		}
	}
}

// oldVersionItems are the items of planOldVersions for the versions vs
// (newest first) of one key.
func oldVersionItems(ctx context.Context, c *config.Config, now time.Time, loc *config.Location, objects *bucket.Client,
	b, key, url string, vs []listedVersion, redact bool, mkey []byte, locks map[string]*bool) []*Item {
	var latest *listedVersion
	for i := range vs {
		if vs[i].latest && !vs[i].marker {
			latest = &vs[i]
		}
	}
	// A current version that piiscan rewrote: the older ones are the
	// copies from before.
	rewritten := false
	if redact && latest != nil && len(vs) > 1 && mkey != nil {
		h, err := objects.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(latest.id),
			ChecksumMode: types.ChecksumModeEnabled})
		if err == nil {
			_, rewritten = originalMtime(h.Metadata, mkey, b, key, headContent(h))
		}
	}
	hold := holdOf(c, objectSide{}, url, now)
	var items []*Item
	going := map[string]*Item{}
	for _, v := range vs {
		if v.marker || v.latest {
			continue
		}
		var reason string
		switch age := now.Sub(v.modified); {
		case loc.MaxAge > 0 && age > loc.MaxAge:
			reason = fmt.Sprintf("noncurrent version, modified %s ago, retention %s", policy.FormatAge(age), policy.FormatAge(loc.MaxAge))
		case rewritten:
			// Every noncurrent version is older than the current one.
			reason = "noncurrent version from before piiscan redacted the object"
		default:
			continue
		}
		it := &Item{Location: loc, Path: VersionPath(url, v.id, false), Action: Delete, Reason: reason, Disallowed: redact,
			Snap: Snapshot{Size: v.size, ModTime: v.modified, ETag: v.etag},
			Old:  &OldVersion{Object: url, Key: key, Version: v.id}, at: objectSide{}}
		switch why, err := versionLock(ctx, objects, b, key, v.id, now, locks); {
		case hold != "":
			it.Action, it.Held, it.Reason = Keep, hold, it.Reason+"; kept: legal hold: "+hold
		case err != nil:
			it.Action, it.Reason = Keep, it.Reason+"; kept: S3 Object Lock could not be checked: "+err.Error()
		case why != "":
			it.Action, it.Held, it.Reason = Keep, why, it.Reason+"; kept: "+why
		default:
			going[v.id] = it
		}
		items = append(items, it)
	}
	if hold != "" {
		return items
	}
	// Delete markers go when no noncurrent version stays: none is then
	// under them (a current version is above them all, and stays
	// current). Not by their times, which stores give to the second
	// (versitygw gives a noncurrent version the time it became so).
	var under []*Item
	for _, v := range vs {
		if v.marker || v.latest {
			continue
		}
		if going[v.id] == nil {
			return items
		}
		under = append(under, going[v.id])
	}
	for _, m := range vs {
		if !m.marker {
			continue
		}
		reason := "delete marker with no version under it"
		if len(under) > 0 {
			reason = "delete marker over versions this plan deletes"
		}
		items = append(items, &Item{Location: loc, Path: VersionPath(url, m.id, true), Action: Delete, Reason: reason, Disallowed: redact,
			Snap: Snapshot{ModTime: m.modified}, Old: &OldVersion{Object: url, Key: key, Version: m.id, Marker: true, under: under}, at: objectSide{}})
	}
	return items
}

// versionLock returns why S3 Object Lock protects one version (see
// lockHeld), asking whether the bucket has Object Lock on once (locks
// caches it by bucket).
func versionLock(ctx context.Context, objects *bucket.Client, b, key, id string, now time.Time, locks map[string]*bool) (string, error) {
	on := locks[b]
	if on == nil {
		enabled, err := lockEnabled(ctx, objects, b)
		if err != nil {
			return "", err
		}
		on = &enabled
		locks[b] = on
	}
	if !*on {
		return "", nil
	}
	return lockHeld(ctx, objects, b, key, id, now)
}

// objectSide is a bucket as a place: its paths are s3:// URLs.
type objectSide struct{}

// walk lists the objects of the location under root, a bucket prefix,
// with their snapshots from the listing (see listObjects).
func (objectSide) walk(ctx context.Context, w *locationWalk, root string) error {
	listObjects(ctx, w.loc, w.objects, root, func(path string, snap Snapshot) { w.fn(objectSide{}, path, snap) }, w.onErr)
	return nil
}

// listObjects calls fn for every object of loc under root, a bucket
// prefix, with its snapshot from the listing. Unlike a scan's listing
// (bucket.Source), it applies no name, size or age filter: retention
// covers every object of the location. A listing that fails is a
// problem of root.
func listObjects(ctx context.Context, loc *config.Location, objects *bucket.Client, root string, fn func(string, Snapshot), onErr func(string, error)) {
	if objects == nil {
		onErr(root, bucket.ErrNotConfigured)
		return
	}
	b, prefix, err := itempath.ParseObject(root)
	if err != nil {
		onErr(root, err)
		return
	}
	err = objects.List(ctx, b, prefix, "", func(o bucket.Object) error {
		if !o.IsDirMarker() && policy.Contains(loc, o.URL()) {
			fn(o.URL(), Snapshot{Size: o.Size, ModTime: o.LastModified, ETag: o.ETag})
		}
		return nil
	})
	if err != nil {
		onErr(root, err)
	}
}

// snapshot is a HEAD of the object.
func (objectSide) snapshot(ctx context.Context, objects *bucket.Client, _ *config.Location, path string) (Snapshot, error) {
	b, key, err := itempath.ParseObject(path)
	if err != nil {
		return Snapshot{}, err
	}
	if objects == nil {
		return Snapshot{}, bucket.ErrNotConfigured
	}
	h, err := objects.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Size: aws.ToInt64(h.ContentLength), ModTime: aws.ToTime(h.LastModified), ETag: aws.ToString(h.ETag)}, nil
}

// head is a GET of the object's first 64 KiB.
func (objectSide) head(ctx context.Context, objects *bucket.Client, _ *config.Location, path string) io.ReadCloser {
	b, key, err := itempath.ParseObject(path)
	if objects == nil || err != nil {
		return nil
	}
	out, err := objects.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), Range: aws.String("bytes=0-65535")})
	if err != nil {
		return nil
	}
	return out.Body
}

// age is by the plan's clock alone: an object cannot be appended to (a
// writer replaces it whole, which its ETag shows).
func (objectSide) age(mod, now time.Time) time.Duration { return now.Sub(mod) }

// inUse: no process holds an object open, and an object has one name.
func (objectSide) inUse(Snapshot, *writers) error { return nil }

// holdNames is the URL alone: an object has no other name.
func (objectSide) holdNames(path string) []string { return []string{path} }

// addOwn adds nothing: piiscan writes its own files locally, and a path
// of its own written as a URL protects nothing in a bucket.
func (objectSide) addOwn(*ownFiles, string) {}

// own is false: piiscan's own files are local.
func (objectSide) own(*ownFiles, string) bool { return false }

// originalTimeInMeta is true: a rewrite stores a new object, with a new
// LastModified, and keeps the original time in OriginalMtimeMeta.
func (objectSide) originalTimeInMeta() bool { return true }

// bucketLocks caches, by bucket, whether S3 Object Lock is on (or why
// that could not be told).
type bucketLocks struct {
	c       *bucket.Client
	buckets map[string]bucketLock
}

type bucketLock struct {
	on  bool
	err error
}

// lockHeld returns why S3 Object Lock protects the object's current
// version (see lockHeld), asking whether its bucket has Object Lock on
// once. A path that names no object is not looked at.
func (objectSide) lockHeld(ctx context.Context, locks *bucketLocks, path string, now time.Time) (string, error) {
	b, key, err := itempath.ParseObject(path)
	if err != nil {
		return "", nil
	}
	st, ok := locks.buckets[b]
	if !ok {
		st.on, st.err = lockEnabled(ctx, locks.c, b)
		locks.buckets[b] = st
	}
	switch {
	case st.err != nil:
		return "", st.err
	case st.on:
		return lockHeld(ctx, locks.c, b, key, "", now)
	}
	return "", nil
}

// store is the bucket the object is in (see batchStore).
func (s objectSide) store(x *Executor, loc *config.Location, path string) (Store, error) {
	st, err := s.batchStore(x, loc, path)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// batchStore returns the executor's store of the bucket the object is in,
// one per bucket and all_versions setting.
func (objectSide) batchStore(x *Executor, loc *config.Location, path string) (*objectStore, error) {
	name, _, err := itempath.ParseObject(path)
	if err != nil {
		return nil, err
	}
	if x.Objects == nil {
		return nil, fmt.Errorf("%s: object storage is not configured", path)
	}
	key := itempath.Scheme + name
	if loc.AllVersions {
		key += " all-versions"
	}
	if st := x.stores[key]; st != nil {
		return st.(*objectStore), nil
	}
	st := &objectStore{c: x.Objects, bucket: name, allVersions: loc.AllVersions, mtimeKey: mtimeKey(x.Config)}
	x.remember(key, st)
	return st, nil
}
