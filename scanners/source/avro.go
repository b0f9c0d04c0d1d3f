package source

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/klauspost/compress/snappy"
)

// An Avro object container file is read block by block here, not with
// the library's container reader: that one allocates a block's declared
// size and decompresses it whole, unbounded. Records are decoded with
// hamba/avro's decoder from a block already in memory, with bounded
// string and slice sizes.

const (
	// maxAvroBlock bounds a block as stored; writers make blocks of
	// 16 KiB to a few MiB.
	maxAvroBlock = 64 << 20
	// maxAvroData bounds a block decompressed.
	maxAvroData = 256 << 20
	// maxAvroHeader bounds the file's metadata (the schema with it).
	maxAvroHeader = 4 << 20
	// maxAvroNodes bounds the schema read into columns, named types
	// expanded.
	maxAvroNodes = 10000
	// avroRowBatch is how many records are rendered at a time.
	avroRowBatch = 256
	// maxAvroDepth bounds the nesting of the schema read into columns
	// (a record, a union, an array or a map is a level each).
	maxAvroDepth = 64
)

var avroMagic = []byte("Obj\x01")

// avro reads an Avro object container file as a Table stream: the
// string and integer values of every record, by field path.
func (ex *expansion) avro(name string, br *bufio.Reader) error {
	in := &countingReader{r: br}
	t, err := openAvro(in, ex.lim.MaxRatio)
	if err != nil {
		return &fs.PathError{Op: "avro", Path: name, Err: corrupt(err)}
	}
	return ex.table(name, t, in, FormatAvro, &t.table)
}

// avroTable renders the records of an Avro file.
type avroTable struct {
	tableRows
	in       *bufio.Reader
	codec    string
	sync     [16]byte
	maxRatio int64
	schema   avro.Schema
	plan     *avroNode
	nodes    int  // of the plan
	deep     bool // the schema nests deeper than maxAvroDepth
	apis     [4]avro.API
	block    []byte // the stored block
	data     *bytes.Reader
	dec      *avro.Decoder
	left     int64        // records of the block not yet decoded
	out      bytes.Buffer // a decompressed block
}

// avroNode is how the values of a schema node reach the columns.
type avroNode struct {
	kind     byte // avroSkip, ...
	col      int  // avroText, avroNumber: the column; avroMap: the keys' column
	fields   []avroField
	elem     *avroNode // array items, map values
	branches []avroField
}

const (
	avroSkip byte = iota
	avroText
	avroBytes
	avroNumber
	avroRecord
	avroArray
	avroMap
	avroUnion
)

type avroField struct {
	name string // a record's field; a union branch's type name
	node *avroNode
}

func openAvro(in *countingReader, maxRatio int64) (t *avroTable, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("%w: avro: %v", ErrCorrupt, p)
		}
	}()
	br := bufio.NewReaderSize(in, 64<<10)
	t = &avroTable{in: br, maxRatio: maxRatio}
	magic := make([]byte, 4)
	if _, err := io.ReadFull(br, magic); err != nil || !bytes.Equal(magic, avroMagic) {
		return nil, fmt.Errorf("%w: not an Avro container file", ErrCorrupt)
	}
	var meta map[string][]byte
	meta, err = readAvroMeta(br)
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(br, t.sync[:]); err != nil {
		return nil, fmt.Errorf("%w: avro header: %v", ErrCorrupt, err)
	}
	t.codec = string(meta["avro.codec"])
	switch t.codec {
	case "", "null", "deflate", "snappy", "zstandard", "bzip2", "xz":
	default:
		// The codec's name is not quoted: a damaged header could put
		// anything there.
		return nil, fmt.Errorf("%w: an avro codec that is not read (%d bytes)", ErrCorrupt, len(t.codec))
	}
	// A cache of its own: a file's named types must not meet another's.
	t.schema, err = avro.ParseBytesWithCache(meta["avro.schema"], "", &avro.SchemaCache{})
	if err != nil {
		// The parser's message quotes the schema, names and all.
		return nil, fmt.Errorf("%w: the avro schema cannot be parsed", ErrCorrupt)
	}
	if recursiveSchema(t.schema) {
		// The decoder recurses once per level of the data, without
		// bound: a linked list of a few MB overflows the stack.
		return nil, fmt.Errorf("%w: a recursive avro schema (a type that holds itself) is not read", ErrCorrupt)
	}
	t.plan = t.planOf(t.schema, nil, 0)
	if t.deep {
		return nil, fmt.Errorf("%w: an avro schema nested deeper than %d levels is not read", ErrCorrupt, maxAvroDepth)
	}
	if t.nodes > maxAvroNodes {
		return nil, fmt.Errorf("%w: an avro schema of more than %d fields, once its named types are expanded", ErrCorrupt, maxAvroNodes)
	}
	t.start(t.fill)
	return t, nil
}

// readAvroMeta reads the header's metadata map (string keys, bytes
// values), bounded by maxAvroHeader.
func readAvroMeta(br *bufio.Reader) (map[string][]byte, error) {
	meta := map[string][]byte{}
	total := int64(0)
	bad := func(what string) error { return fmt.Errorf("%w: avro header: %s", ErrCorrupt, what) }
	for {
		n, err := binary.ReadVarint(br)
		if err != nil {
			return nil, bad(err.Error())
		}
		if n == 0 {
			return meta, nil
		}
		if n < 0 {
			n = -n
			if _, err := binary.ReadVarint(br); err != nil { // the block's size
				return nil, bad(err.Error())
			}
		}
		for range n {
			var kv [2][]byte
			for i := range kv {
				l, err := binary.ReadVarint(br)
				if err != nil || l < 0 || total+l > maxAvroHeader {
					return nil, bad("metadata too long or damaged")
				}
				total += l
				kv[i] = make([]byte, l)
				if _, err := io.ReadFull(br, kv[i]); err != nil {
					return nil, bad(err.Error())
				}
			}
			meta[string(kv[0])] = kv[1]
		}
	}
}

// planOf maps a schema node at path to the columns, adding columns to
// the table as it meets text and number values.
func (t *avroTable) planOf(s avro.Schema, path []string, depth int) *avroNode {
	// A named type used in ten fields of a type used in ten fields...
	// expands exponentially.
	if t.nodes++; depth > maxAvroDepth || t.nodes > maxAvroNodes {
		t.deep = t.deep || depth > maxAvroDepth
		return &avroNode{}
	}
	column := func(kind byte, name string) *avroNode {
		n := &avroNode{kind: kind, col: len(t.table.Fields)}
		field := strings.Join(path, ".")
		if field == "" {
			field = "value" // the schema is not a record
		}
		t.table.Fields = append(t.table.Fields, field)
		t.table.Names = append(t.table.Names, name)
		t.table.Numbers = append(t.table.Numbers, kind == avroNumber)
		return n
	}
	last := func() string {
		if len(path) == 0 {
			return "value"
		}
		return path[len(path)-1]
	}
	switch s := s.(type) {
	case *avro.RefSchema:
		return t.planOf(s.Schema(), path, depth+1)
	case *avro.RecordSchema:
		n := &avroNode{kind: avroRecord}
		for _, f := range s.Fields() {
			n.fields = append(n.fields, avroField{f.Name(), t.planOf(f.Type(), append(slices.Clip(path), f.Name()), depth+1)})
		}
		return n
	case *avro.ArraySchema:
		return &avroNode{kind: avroArray, elem: t.planOf(s.Items(), path, depth+1)}
	case *avro.MapSchema:
		// Keys are data too (a map of emails to counts).
		n := column(avroMap, last())
		t.table.Fields[n.col] += ".key"
		n.elem = t.planOf(s.Values(), append(slices.Clip(path), "value"), depth+1)
		return n
	case *avro.UnionSchema:
		n := &avroNode{kind: avroUnion}
		for _, b := range s.Types() {
			if b.Type() == avro.Null {
				continue
			}
			n.branches = append(n.branches, avroField{unionName(b), t.planOf(b, path, depth+1)})
		}
		return n
	case *avro.EnumSchema:
		return column(avroText, last())
	case *avro.PrimitiveSchema:
		if s.Logical() != nil && s.Logical().Type() != avro.UUID {
			return &avroNode{} // dates, times, decimals
		}
		switch s.Type() {
		case avro.String:
			return column(avroText, last())
		case avro.Bytes:
			return column(avroBytes, last())
		case avro.Int, avro.Long:
			return column(avroNumber, last())
		}
	}
	return &avroNode{}
}

// api returns the decoder configuration for a block of n bytes: it
// bounds what a string or an array may declare, since the decoder
// allocates a declared size before it reads the bytes. An array may hold
// half as many elements as the block has bytes (an element of one byte,
// an int or a bool, takes 16 decoded), and 16M at most. The configurations are the file's own: a
// configuration caches a decoder for every schema it meets, and a
// process-wide one would keep one for every file's schema, for good.
func (t *avroTable) api(n int) avro.API {
	i := 0
	for i < len(t.apis)-1 && n > avroTier(i) {
		i++
	}
	if t.apis[i] == nil {
		t.apis[i] = avro.Config{MaxByteSliceSize: avroTier(i), MaxSliceAllocSize: min(avroTier(i)/2, 1<<24)}.Freeze()
	}
	return t.apis[i]
}

// avroTier is the size bound of decoder configuration i: 64 KiB, 1 MiB,
// 16 MiB, 256 MiB.
func avroTier(i int) int { return 64 << 10 << (4 * i) }

// recursiveSchema reports whether s holds a type that holds itself.
func recursiveSchema(s avro.Schema) bool {
	return (&recursion{done: map[string]bool{}}).in(s)
}

// recursion walks a schema: open holds the records being walked, done
// those walked whole (a type used in many fields is walked once).
type recursion struct {
	open []string
	done map[string]bool
}

func (r *recursion) in(s avro.Schema) bool {
	switch s := s.(type) {
	case *avro.RefSchema:
		return r.in(s.Schema())
	case *avro.RecordSchema:
		name := s.FullName()
		if slices.Contains(r.open, name) {
			return true
		}
		if r.done[name] {
			return false
		}
		r.open = append(r.open, name)
		for _, f := range s.Fields() {
			if r.in(f.Type()) {
				return true
			}
		}
		r.open = r.open[:len(r.open)-1]
		r.done[name] = true
	case *avro.ArraySchema:
		return r.in(s.Items())
	case *avro.MapSchema:
		return r.in(s.Values())
	case *avro.UnionSchema:
		for _, b := range s.Types() {
			if r.in(b) {
				return true
			}
		}
	}
	return false
}

// primitiveType reports whether name is an Avro primitive type's.
func primitiveType(name string) bool {
	switch avro.Type(name) {
	case avro.Null, avro.Boolean, avro.Int, avro.Long, avro.Float, avro.Double, avro.Bytes, avro.String:
		return true
	}
	return false
}

// unionName is the key hamba/avro gives a union's value of branch s when
// it decodes into an empty interface.
func unionName(s avro.Schema) string {
	if n, ok := s.(avro.NamedSchema); ok {
		return n.FullName()
	}
	if r, ok := s.(*avro.RefSchema); ok {
		return r.Schema().FullName()
	}
	return string(s.Type())
}

// fill renders the next records into t.buf, reading the next block when
// the last is done, or sets t.err.
func (t *avroTable) fill() {
	if t.left == 0 {
		if err := t.nextBlock(); err != nil {
			t.err = err
			return
		}
		if t.left == 0 {
			return // an empty block
		}
	}
	buf := t.back[:0]
	for i := 0; i < avroRowBatch && t.left > 0; i++ {
		var v any
		if err := t.dec.Decode(&v); err != nil {
			t.err = fmt.Errorf("%w: avro record: %v", ErrCorrupt, err)
			break
		}
		t.left--
		t.walk(t.plan, v)
		buf = renderRow(buf, t.cells)
	}
	t.buf, t.back = buf, buf
}

// nextBlock reads a block: its count, its size, the data and the sync
// marker; io.EOF at the end of the file.
func (t *avroTable) nextBlock() error {
	count, err := binary.ReadVarint(t.in)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("%w: avro block: %v", ErrCorrupt, err)
	}
	size, err := binary.ReadVarint(t.in)
	if err != nil || count < 0 || size < 0 || size > maxAvroBlock {
		return fmt.Errorf("%w: avro block of %d records in %d bytes", ErrCorrupt, count, size)
	}
	if int64(cap(t.block)) < size {
		t.block = make([]byte, size)
	}
	t.block = t.block[:size]
	if _, err := io.ReadFull(t.in, t.block); err != nil {
		return fmt.Errorf("%w: avro block cut short: %v", ErrCorrupt, err)
	}
	var sync [16]byte
	if _, err := io.ReadFull(t.in, sync[:]); err != nil || sync != t.sync {
		return fmt.Errorf("%w: avro block without its sync marker", ErrCorrupt)
	}
	data, err := t.decompress(t.block)
	if errors.Is(err, ErrBomb) {
		return fmt.Errorf("avro block: %w", err)
	}
	if err != nil {
		return fmt.Errorf("%w: avro block: %v", ErrCorrupt, err)
	}
	// A record takes a byte at least, unless its schema holds nothing.
	if count > int64(len(data))+1024 {
		return fmt.Errorf("%w: avro block of %d records in %d bytes", ErrCorrupt, count, len(data))
	}
	if len(t.table.Fields) == 0 {
		return nil // nothing to read in its records
	}
	t.data = bytes.NewReader(data)
	t.dec = t.api(len(data)).NewDecoder(t.schema, t.data)
	t.left = count
	return nil
}

// decompress returns a block's data, no longer than maxAvroData, and,
// past 1 MiB, no more than maxRatio times the block.
func (t *avroTable) decompress(b []byte) ([]byte, error) {
	limit := min(max(int64(len(b))*t.maxRatio, 1<<20), maxAvroData)
	var r io.Reader
	switch t.codec {
	case "", "null":
		return b, nil
	case "snappy": // the data, then the CRC-32 of the uncompressed data
		if len(b) < 4 {
			return nil, errors.New("snappy block without its checksum")
		}
		n, err := snappy.DecodedLen(b[:len(b)-4])
		if err != nil {
			return nil, err
		}
		if int64(n) > limit {
			return nil, fmt.Errorf("%w: a snappy block of %d bytes for %d", ErrBomb, n, len(b))
		}
		out, err := snappy.Decode(nil, b[:len(b)-4])
		if err != nil {
			return nil, err
		}
		if crc32.ChecksumIEEE(out) != binary.BigEndian.Uint32(b[len(b)-4:]) {
			return nil, errors.New("snappy block checksum mismatch")
		}
		return out, nil
	case "deflate":
		r = flate.NewReader(bytes.NewReader(b))
	default: // zstandard, bzip2, xz
		d, closeFn, err := decompressor(avroCodecs[t.codec], bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer closeFn()
		r = d
	}
	t.out.Reset()
	if err := copyAtMost(&t.out, r, limit); err != nil {
		return nil, err
	}
	return t.out.Bytes(), nil
}

// avroCodecs are the Avro codecs that are formats of their own.
var avroCodecs = map[string]Format{"zstandard": FormatZstd, "bzip2": FormatBzip2, "xz": FormatXz}

// walk adds the values of v, read by n, to the cells.
func (t *avroTable) walk(n *avroNode, v any) {
	if v == nil {
		return
	}
	switch n.kind {
	case avroText:
		if s, ok := v.(string); ok {
			add(&t.tableRows, n.col, s)
		}
	case avroBytes:
		if b, ok := v.([]byte); ok && !looksBinary(b) {
			add(&t.tableRows, n.col, b)
		}
	case avroNumber:
		switch x := v.(type) {
		case int:
			t.addNumber(n.col, int64(x))
		case int32:
			t.addNumber(n.col, int64(x))
		case int64:
			t.addNumber(n.col, x)
		}
	case avroRecord:
		if m, ok := v.(map[string]any); ok {
			for _, f := range n.fields {
				t.walk(f.node, m[f.name])
			}
		}
	case avroArray:
		if a, ok := v.([]any); ok {
			for _, e := range a {
				t.walk(n.elem, e)
			}
		}
	case avroMap:
		if m, ok := v.(map[string]any); ok {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys) // the same cells, run after run
			for _, k := range keys {
				add(&t.tableRows, n.col, k)
				t.walk(n.elem, m[k])
			}
		}
	case avroUnion:
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for k, x := range m {
				// The type's full name; a primitive with a logical
				// type is "long.timestamp-millis".
				for _, b := range n.branches {
					if b.name == k {
						t.walk(b.node, x)
						return
					}
				}
				for _, b := range n.branches {
					if primitiveType(b.name) && strings.HasPrefix(k, b.name+".") {
						t.walk(b.node, x)
						return
					}
				}
			}
		}
		for _, b := range n.branches {
			if b.node.accepts(v) {
				t.walk(b.node, v)
				return
			}
		}
	}
}

// accepts reports whether a decoded value can be read by n.
func (n *avroNode) accepts(v any) bool {
	switch v.(type) {
	case string:
		return n.kind == avroText
	case []byte:
		return n.kind == avroBytes
	case int, int32, int64:
		return n.kind == avroNumber
	case []any:
		return n.kind == avroArray
	case map[string]any:
		return n.kind == avroRecord || n.kind == avroMap
	}
	return false
}
