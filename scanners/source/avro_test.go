package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hamba/avro/v2/ocf"
)

const customerSchema = `{"type": "record", "name": "Customer", "namespace": "shop", "fields": [
	{"name": "id", "type": "long"},
	{"name": "full_name", "type": "string"},
	{"name": "ssn", "type": ["null", "string"], "default": null},
	{"name": "born", "type": {"type": "int", "logicalType": "date"}},
	{"name": "balance", "type": "double"},
	{"name": "photo", "type": "bytes"},
	{"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["GOLD", "SILVER"]}},
	{"name": "contacts", "type": {"type": "array", "items": {"type": "record", "name": "Contact", "fields": [
		{"name": "kind", "type": "string"}, {"name": "email", "type": "string"}]}}},
	{"name": "attrs", "type": {"type": "map", "values": "string"}},
	{"name": "ref", "type": ["null", "long", "string"]},
	{"name": "note", "type": "string"}
]}`

func avroOCF(t testing.TB, schema string, records []map[string]any, opts ...ocf.EncoderFunc) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := ocf.NewEncoder(schema, &buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func avroCustomers(t testing.TB, opts ...ocf.EncoderFunc) []byte {
	return avroOCF(t, customerSchema, []map[string]any{
		{"id": int64(1), "full_name": "Maria Delgado", "ssn": "536-22-8726", "born": 7000, "balance": 12.5,
			"photo": []byte{0xff, 0xd8, 0x00}, "tier": "GOLD",
			"contacts": []any{map[string]any{"kind": "work", "email": "m.delgado@example.org"}, map[string]any{"kind": "home", "email": "maria@example.com"}},
			"attrs":    map[string]any{"ip": "203.0.113.9", "a@example.com": "x"}, "ref": "ORD-1\tX", "note": "called\nfrom +44 20 7946 0958"},
		{"id": int64(2), "full_name": "Tomasz Nowak", "ssn": nil, "born": 0, "balance": 0.0, "photo": []byte("ok"), "tier": "SILVER",
			"contacts": []any{}, "attrs": map[string]any{}, "ref": int64(42), "note": ""},
	}, opts...)
}

const avroCustomersRendered = "id\tfull_name\tssn\tphoto\ttier\tkind\temail\tattrs\tvalue\tref\tref\tnote\n" +
	"1\tMaria Delgado\t536-22-8726\t\tGOLD\twork home\tm.delgado@example.org maria@example.com\ta@example.com ip\tx 203.0.113.9\t\tORD-1 X\tcalled from +44 20 7946 0958\n" +
	"2\tTomasz Nowak\t\tok\tSILVER\t\t\t\t\t42\t\t\n"

var avroCustomersFields = []string{"id", "full_name", "ssn", "photo", "tier", "contacts.kind", "contacts.email", "attrs.key", "attrs.value", "ref", "ref", "note"}

func TestAvroTable(t *testing.T) {
	for _, codec := range []ocf.CodecName{ocf.Null, ocf.Deflate, ocf.Snappy, ocf.ZStandard} {
		t.Run(string(codec), func(t *testing.T) {
			data := avroCustomers(t, ocf.WithCodec(codec), ocf.WithBlockLength(1))
			rec := &tableRecorder{recorder: *newRecorder(), tables: map[string]*Table{}}
			tarball := gzipBytes(t, tarBytes(t, reg("lake/customers.avro", string(data))))
			for _, in := range [][]byte{data, tarball} {
				rec.streams = nil
				if err := rec.expander(Limits{}).Expand(t.Context(), "in", bytes.NewReader(in), nil, -1, rec.fn); err != nil {
					t.Fatal(err)
				}
				if len(rec.streams) != 1 || rec.streams[0].content != avroCustomersRendered {
					t.Fatalf("streams %q, want\n%q", rec.streams, avroCustomersRendered)
				}
				tab := rec.tables[rec.streams[0].path]
				if tab == nil || !slices.Equal(tab.Fields, avroCustomersFields) {
					t.Fatalf("table %+v, want %q", tab, avroCustomersFields)
				}
			}
		})
	}
}

// avroFile writes a container file's header by hand, then blocks.
func avroFile(schema string, blocks ...[]byte) []byte {
	b := append([]byte(nil), avroMagic...)
	b = binary.AppendVarint(b, 1)
	b = binary.AppendVarint(b, int64(len("avro.schema")))
	b = append(b, "avro.schema"...)
	b = binary.AppendVarint(b, int64(len(schema)))
	b = append(b, schema...)
	b = binary.AppendVarint(b, 0)
	sync := bytes.Repeat([]byte{0xa5}, 16)
	b = append(b, sync...)
	for _, bl := range blocks {
		b = append(append(b, bl...), sync...)
	}
	return b
}

func TestAvroDamaged(t *testing.T) {
	data := avroCustomers(t, ocf.WithCodec(ocf.Deflate))
	flipped := slices.Clone(data)
	for i := len(flipped) - 40; i < len(flipped)-20; i++ {
		flipped[i] ^= 0x5a
	}
	schema := `{"type": "record", "name": "R", "fields": [{"name": "email", "type": "string"}]}`
	record := append(binary.AppendVarint(nil, 15), "ada@example.com"...)
	block := func(count, size int64, data []byte) []byte {
		return append(binary.AppendVarint(binary.AppendVarint(nil, count), size), data...)
	}
	tests := []struct {
		name string
		in   []byte
		want error // nil: read whole
	}{
		{"hand-made", avroFile(schema, block(1, int64(len(record)), record)), nil},
		{"truncated", data[:len(data)-10], ErrCorrupt},
		{"damaged block", flipped, ErrCorrupt},
		{"a block of 1 TiB", avroFile(schema, block(1, 1<<40, record)), ErrCorrupt},
		{"negative size", avroFile(schema, block(1, -5, record)), ErrCorrupt},
		{"more records than bytes", avroFile(schema, block(1<<40, int64(len(record)), record)), ErrCorrupt},
		{"bad sync", append(avroFile(schema, block(1, int64(len(record)), record))[:80], make([]byte, 40)...), ErrCorrupt},
		{"no schema", []byte("Obj\x01\x00" + strings.Repeat("s", 16)), ErrCorrupt},
		{"metadata of 1 GiB", append([]byte("Obj\x01\x02\x16avro.schema"), binary.AppendVarint(nil, 1<<30)...), ErrCorrupt},
		{"magic only", []byte("Obj\x01"), ErrCorrupt},
	}
	for _, tt := range tests {
		_, err := expandBytes(t, "in", tt.in, Limits{})
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
}

// Blocks that decompress far beyond their size are bombs.
func TestAvroBomb(t *testing.T) {
	schema := `{"type": "record", "name": "R", "fields": [{"name": "email", "type": "string"}]}`
	rows := make([]map[string]any, 2000)
	for i := range rows {
		rows[i] = map[string]any{"email": strings.Repeat("a", 4000)}
	}
	data := avroOCF(t, schema, rows, ocf.WithCodec(ocf.Deflate), ocf.WithBlockLength(2000))
	if _, err := expandBytes(t, "bomb.avro", data, Limits{}); !errors.Is(err, ErrBomb) {
		t.Fatalf("%d bytes: err %v, want ErrBomb", len(data), err)
	}
	rec, err := expandBytes(t, "ok.avro", data, Limits{MaxRatio: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(rec.streams[0].content, "\n"); n != len(rows)+1 {
		t.Fatalf("%d lines", n)
	}
}

func FuzzAvro(f *testing.F) {
	f.Add(avroCustomers(f))
	f.Add(avroCustomers(f, ocf.WithCodec(ocf.Snappy)))
	f.Add(avroCustomers(f, ocf.WithCodec(ocf.Deflate), ocf.WithBlockLength(1)))
	spool := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) { checkExpand(t, data, spool) })
}

// What a review of hostile schemas found: each is refused quickly and
// without quoting the file, or read right.
func TestAvroHostileSchemas(t *testing.T) {
	laughs := `{"type":"record","name":"T0","fields":[{"name":"s","type":"string"}]}`
	for i := 1; i <= 8; i++ {
		fields := `{"name":"f0","type":"string"}`
		for j := 1; j < 10; j++ {
			if j == 1 {
				fields += fmt.Sprintf(`,{"name":"f%d","type":%s}`, j, laughs)
			} else {
				fields += fmt.Sprintf(`,{"name":"f%d","type":"T%d"}`, j, i-1)
			}
		}
		laughs = fmt.Sprintf(`{"type":"record","name":"T%d","fields":[%s]}`, i, fields)
	}
	tests := []struct {
		name, schema string
		secret       string // must not be in the error
	}{
		{"linked list", `{"type":"record","name":"Node","fields":[{"name":"v","type":"string"},{"name":"next","type":["null","Node"]}]}`, ""},
		{"a type used 10^8 times", laughs, ""},
		{"unparsable", `{"type":"record","name":"alice@example.com","fields":[{"name":"x","type":"nosuchtype"}]}`, "alice@example.com"},
	}
	for _, tt := range tests {
		_, err := expandBytes(t, "in", avroFile(tt.schema), Limits{})
		if !errors.Is(err, ErrCorrupt) || tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
			t.Errorf("%s: err %v", tt.name, err)
		}
	}
	codec := avroFile(`"string"`)
	codec = bytes.Replace(codec, []byte("\x02\x16avro.schema"), []byte("\x04\x14avro.codec\x3abob@example.com 536-22-8726 x\x16avro.schema"), 1)
	if _, err := expandBytes(t, "in", codec, Limits{}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "codec") || strings.Contains(err.Error(), "bob@") {
		t.Errorf("unknown codec: err %v", err)
	}
}

func TestAvroUnionsAndShapes(t *testing.T) {
	// Branches com.A and com.A.B: a value of com.A.B is not com.A's.
	union := `{"type":"record","name":"R","namespace":"com","fields":[{"name":"u","type":[
		{"type":"record","name":"A","fields":[{"name":"ssn","type":"string"}]},
		{"type":"record","name":"B","namespace":"com.A","fields":[{"name":"phone","type":"string"}]}]}]}`
	data := avroOCF(t, union, []map[string]any{
		{"u": map[string]any{"com.A.B": map[string]any{"phone": "+1 415 829 3344"}}},
		{"u": map[string]any{"com.A": map[string]any{"ssn": "536-22-8726"}}},
	})
	rec := &tableRecorder{recorder: *newRecorder(), tables: map[string]*Table{}}
	if err := rec.expander(Limits{}).Expand(t.Context(), "in", bytes.NewReader(data), nil, -1, rec.fn); err != nil {
		t.Fatal(err)
	}
	if want := "ssn\tphone\n\t+1 415 829 3344\n536-22-8726\t\n"; rec.streams[0].content != want {
		t.Errorf("union: %q, want %q", rec.streams[0].content, want)
	}
	// A schema that is no record: its one column is "value".
	rec = &tableRecorder{recorder: *newRecorder(), tables: map[string]*Table{}}
	if err := rec.expander(Limits{}).Expand(t.Context(), "in", bytes.NewReader(avroFile(`"string"`, append([]byte{2, 8}, "\x06abc"...))), nil, -1, rec.fn); err != nil {
		t.Fatal(err)
	}
	if tab := rec.tables["in"]; tab == nil || !slices.Equal(tab.Fields, []string{"value"}) || rec.streams[0].content != "value\nabc\n" {
		t.Errorf("a string schema: %+v %q", tab, rec.streams[0].content)
	}
	// An array of 5,000 ints in a block of 10 KiB is no bomb.
	ints := make([]any, 5000)
	for i := range ints {
		ints[i] = i % 60
	}
	data = avroOCF(t, `{"type":"record","name":"R","fields":[{"name":"n","type":{"type":"array","items":"int"}}]}`, []map[string]any{{"n": ints}})
	if _, err := expandBytes(t, "in", data, Limits{}); err != nil {
		t.Errorf("an array of 5,000 ints: %v", err)
	}
	// Records with no fields take no bytes: valid, and nothing to read.
	empty := avroFile(`{"type":"record","name":"E","fields":[]}`, []byte{0x80, 0x10, 0})
	if _, err := expandBytes(t, "in", empty, Limits{}); err != nil {
		t.Errorf("empty records: %v", err)
	}
}
