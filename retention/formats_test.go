package retention

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// openText refuses what it cannot rewrite record by record and names it,
// for the plan's reason.
func TestOpenTextNames(t *testing.T) {
	type row struct {
		Email string `parquet:"email"`
	}
	var pq bytes.Buffer
	if err := parquet.Write(&pq, []row{{"ada@example.com"}}); err != nil {
		t.Fatal(err)
	}
	xlsx, err := os.ReadFile("../examples/documents/customers.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	eml, err := os.ReadFile("../examples/mail/support-ticket.eml")
	if err != nil {
		t.Fatal(err)
	}
	mbox, err := os.ReadFile("../examples/mail/inbox.mbox")
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile("../examples/databases/crm.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		kind string // "" for rewritable text
	}{
		{"log", []byte("2026-12-01 ada@example.com\n"), ""},
		{"parquet", pq.Bytes(), "a Parquet file"},
		{"avro", []byte("Obj\x01\x00" + strings.Repeat("s", 16)), "an Avro file"},
		{"xlsx", xlsx, "a zip archive"}, // office documents: whole-file actions
		// Mail: a base64 or quoted-printable body cannot be masked line
		// by line; whole-file actions.
		{"eml", eml, "a mail message"},
		{"mbox", mbox, "an mbox of mail messages"},
		{"sqlite", db, "an SQLite database"},
		{"binary", []byte("\x7fELF\x02\x01\x01\x00\x00"), "binary"},
	}
	for _, tt := range tests {
		tf, err := openText(bytes.NewReader(tt.in))
		var nt *notText
		switch {
		case tt.kind == "" && err != nil:
			t.Errorf("%s: %v, want text", tt.name, err)
		case tt.kind != "" && (!errors.As(err, &nt) || !strings.HasPrefix(nt.kind, tt.kind)):
			t.Errorf("%s: %v, want %q", tt.name, err, tt.kind)
		}
		if tf != nil {
			tf.Close()
		}
	}
}
