// Command exportgen writes an export of made-up customer orders several
// times, from a fixed seed: as a Parquet file (zstd, row groups of 128Ki
// rows), as an Avro container file (deflate) and as CSV, and if asked as
// an Excel workbook (shared strings, as Excel writes them; a sheet per
// 1,048,575 rows, each under the header), a Word
// document (a paragraph a row), an mbox (a confirmation mail a row,
// its text in base64, quoted-printable or as written, by turns) and a
// SQLite database (a table of the orders, written by SQLite), for
// bench/exports.sh. It writes rows until
// the Parquet file holds at least -mb MiB, or -rows rows.
//
//	go run ./bench/exportgen -mb 256 -parquet orders.parquet -avro orders.avro -csv orders.csv
//	go run ./bench/exportgen -rows 3932160 -parquet "" -avro "" -csv "" -xlsx orders.xlsx -docx orders.docx -mbox orders.mbox -sqlite orders.db
package main

import (
	"bufio"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"mime/quotedprintable"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
	_ "modernc.org/sqlite"

	"github.com/piiscan/piiscan/internal/officefile"
)

const avroSchema = `{"type": "record", "name": "Order", "namespace": "shop", "fields": [
	{"name": "order_id", "type": "long"},
	{"name": "app_version", "type": "string"},
	{"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
	{"name": "first_name", "type": "string"},
	{"name": "last_name", "type": "string"},
	{"name": "email", "type": "string"},
	{"name": "phone", "type": "string"},
	{"name": "ssn", "type": ["null", "string"]},
	{"name": "card_number", "type": "string"},
	{"name": "client_ip", "type": "string"},
	{"name": "shipping", "type": {"type": "record", "name": "Address", "fields": [
		{"name": "street", "type": "string"}, {"name": "city", "type": "string"}, {"name": "country", "type": "string"}]}},
	{"name": "notes", "type": "string"},
	{"name": "product", "type": "string"},
	{"name": "review", "type": "string"},
	{"name": "status", "type": "string"},
	{"name": "quantity", "type": "int"},
	{"name": "total", "type": "double"}
]}`

// avroRecord is o as the generic record the Avro encoder takes.
func avroRecord(o *order) map[string]any {
	var ssn any
	if o.SSN != nil {
		ssn = *o.SSN
	}
	return map[string]any{"order_id": o.OrderID, "app_version": o.AppVersion, "placed_at": o.PlacedAt,
		"first_name": o.FirstName, "last_name": o.LastName, "email": o.Email, "phone": o.Phone, "ssn": ssn,
		"card_number": o.CardNumber, "client_ip": o.ClientIP,
		"shipping": map[string]any{"street": o.Shipping.Street, "city": o.Shipping.City, "country": o.Shipping.Country},
		"notes":    o.Notes, "product": o.Product, "review": o.Review, "status": o.Status, "quantity": int(o.Quantity), "total": o.Total}
}

type address struct {
	Street  string `parquet:"street"`
	City    string `parquet:"city"`
	Country string `parquet:"country"`
}

type order struct {
	OrderID    int64     `parquet:"order_id"`
	AppVersion string    `parquet:"app_version"`
	PlacedAt   time.Time `parquet:"placed_at,timestamp(millisecond)"`
	FirstName  string    `parquet:"first_name"`
	LastName   string    `parquet:"last_name"`
	Email      string    `parquet:"email"`
	Phone      string    `parquet:"phone"`
	SSN        *string   `parquet:"ssn,optional"`
	CardNumber string    `parquet:"card_number"`
	ClientIP   string    `parquet:"client_ip"`
	Shipping   address   `parquet:"shipping"`
	Notes      string    `parquet:"notes"`
	Product    string    `parquet:"product"`
	Review     string    `parquet:"review"`
	Status     string    `parquet:"status"`
	Quantity   int32     `parquet:"quantity"`
	Total      float64   `parquet:"total"`
}

var (
	first  = []string{"Maria", "Tomasz", "Aiko", "Samuel", "Priya", "Jonas", "Lucia", "Kwame", "Grace", "Ada"}
	last   = []string{"Delgado", "Nowak", "Tanaka", "Okafor", "Raman", "Berg", "Ferri", "Mensah", "Hopper", "Lovelace"}
	cities = []string{"Springfield", "Riverton", "Lakeside", "Fairview", "Greenville"}
	words  = []string{"fast", "delivery", "the", "box", "was", "fine", "and", "colour", "matches", "photos", "size", "runs", "small", "great", "value", "would", "buy", "again", "battery", "lasts", "a", "week", "strap", "broke", "after", "month", "support", "replaced", "it", "quickly"}
	goods  = []string{"wireless earbuds", "running shoes", "coffee grinder", "desk lamp", "yoga mat", "backpack", "water bottle", "phone case"}
	states = []string{"shipped", "delivered", "returned", "pending", "cancelled"}
	notes  = []string{"leave at the door", "gift wrap please", "", "", "call before delivery", "customer is a patient, diagnosed with asthma", "", "second order this month"}
)

// luhn completes the 15 digits of p with a check digit.
func luhn(p []byte) string {
	sum := 0
	for i := len(p) - 1; i >= 0; i-- {
		d := int(p[i] - '0')
		if (len(p)-i)%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return string(append(p, byte('0'+(10-sum%10)%10)))
}

// notLuhn returns n, or n+1 where n passes Luhn: order ids that are no
// card numbers.
func notLuhn(n int64) int64 {
	s := strconv.FormatInt(n, 10)
	if luhn([]byte(s[:len(s)-1])) == s {
		return n + 1
	}
	return n
}

func row(r *rand.Rand, i int64) (order, []string) {
	o := order{
		OrderID:    notLuhn(4000000000000000 + i*10),
		AppVersion: fmt.Sprintf("10.%d.%d.%d", r.IntN(5), r.IntN(20), r.IntN(200)),
		PlacedAt:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*3600)) * time.Second),
		FirstName:  first[r.IntN(len(first))],
		LastName:   last[r.IntN(len(last))],
		Phone:      fmt.Sprintf("(%d) 555-01%02d", 200+r.IntN(800), r.IntN(100)),
		ClientIP:   fmt.Sprintf("203.0.113.%d", r.IntN(256)),
		Shipping:   address{fmt.Sprintf("%d Example Street", 1+r.IntN(999)), cities[r.IntN(len(cities))], "US"},
		Notes:      notes[r.IntN(len(notes))],
		Product:    goods[r.IntN(len(goods))],
		Status:     states[r.IntN(len(states))],
		Quantity:   int32(1 + r.IntN(5)),
		Total:      float64(r.IntN(100000)) / 100,
	}
	review := make([]byte, 0, 160)
	for n := 8 + r.IntN(24); n > 0; n-- {
		review = append(append(review, words[r.IntN(len(words))]...), ' ')
	}
	o.Review = string(review)
	o.Email = fmt.Sprintf("%s.%s%d@example.com", o.FirstName, o.LastName, r.IntN(100000))
	if r.IntN(5) > 0 {
		s := fmt.Sprintf("%03d-%02d-%04d", 100+r.IntN(500), 1+r.IntN(99), 1+r.IntN(9999))
		o.SSN = &s
	}
	if r.IntN(3) == 0 {
		p := []byte("4111" + fmt.Sprintf("%011d", r.Int64N(1e11)))
		c := luhn(p)
		o.CardNumber = c[:4] + " " + c[4:8] + " " + c[8:12] + " " + c[12:]
	}
	ssn := ""
	if o.SSN != nil {
		ssn = *o.SSN
	}
	rec := []string{strconv.FormatInt(o.OrderID, 10), o.AppVersion, o.PlacedAt.Format(time.RFC3339), o.FirstName, o.LastName, o.Email, o.Phone, ssn,
		o.CardNumber, o.ClientIP, o.Shipping.Street, o.Shipping.City, o.Shipping.Country, o.Notes, o.Product, o.Review, o.Status, strconv.Itoa(int(o.Quantity)), strconv.FormatFloat(o.Total, 'f', 2, 64)}
	return o, rec
}

func main() {
	mb := flag.Int64("mb", 256, "write rows until the Parquet file holds this many MiB")
	rows := flag.Int64("rows", 0, "write this many rows instead (a multiple of 131072)")
	pq := flag.String("parquet", "orders.parquet", "the Parquet file (\"\": none)")
	av := flag.String("avro", "orders.avro", "the same rows as Avro (\"\": none)")
	cs := flag.String("csv", "orders.csv", "the same rows as CSV (\"\": none)")
	xl := flag.String("xlsx", "", "the same rows as an Excel workbook, with shared strings (\"\": none)")
	dx := flag.String("docx", "", "the same rows as a Word document, a paragraph a row (\"\": none)")
	mx := flag.String("mbox", "", "the same rows as an mbox, a mail a row (\"\": none)")
	sq := flag.String("sqlite", "", "the same rows as a SQLite database, a table of orders (\"\": none)")
	flag.Parse()
	if *pq == "" && *rows == 0 {
		log.Fatal("without -parquet, -rows says how many rows to write")
	}
	create := func(name string) *os.File {
		if name == "" {
			return nil
		}
		f, err := os.Create(name)
		if err != nil {
			log.Fatal(err)
		}
		return f
	}
	pf, cf, af, xf, df, mf := create(*pq), create(*cs), create(*av), create(*xl), create(*dx), create(*mx)
	var mbuf *bufio.Writer
	if mf != nil {
		mbuf = bufio.NewWriterSize(mf, 1<<20)
	}
	var db *sql.DB
	var tx *sql.Tx
	var ins *sql.Stmt
	if *sq != "" {
		os.Remove(*sq)
		var err error
		if db, err = sql.Open("sqlite", *sq); err != nil {
			log.Fatal(err)
		}
		cols := "order_id INTEGER, app_version TEXT, placed_at TEXT, first_name TEXT, last_name TEXT, email TEXT, phone TEXT, ssn TEXT, " +
			"card_number TEXT, client_ip TEXT, street TEXT, city TEXT, country TEXT, notes TEXT, product TEXT, review TEXT, status TEXT, quantity INTEGER, total REAL"
		if _, err := db.Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; CREATE TABLE orders(" + cols + ")"); err != nil {
			log.Fatal(err)
		}
		if tx, err = db.Begin(); err != nil {
			log.Fatal(err)
		}
		if ins, err = tx.Prepare("INSERT INTO orders VALUES (?" + strings.Repeat(", ?", 18) + ")"); err != nil {
			log.Fatal(err)
		}
	}
	var ae *ocf.Encoder
	if af != nil {
		var err error
		if ae, err = ocf.NewEncoder(avroSchema, af, ocf.WithCodec(ocf.Deflate)); err != nil {
			log.Fatal(err)
		}
	}
	header := []string{"order_id", "app_version", "placed_at", "first_name", "last_name", "email", "phone", "ssn", "card_number", "client_ip", "street", "city", "country", "notes", "product", "review", "status", "quantity", "total"}
	var cw *csv.Writer
	if cf != nil {
		cw = csv.NewWriter(cf)
		cw.Write(header)
	}
	var xw *officefile.XLSX
	var xbuf *bufio.Writer
	xrows, xsheets := 0, 1 // data rows in the sheet, sheets
	if xf != nil {
		var err error
		xbuf = bufio.NewWriterSize(xf, 1<<20)
		if xw, err = officefile.NewXLSX(xbuf, false); err != nil {
			log.Fatal(err)
		}
		xw.Sheet("Orders")
		xw.Row(header...)
	}
	var dw *officefile.DOCX
	var dbuf *bufio.Writer
	if df != nil {
		var err error
		dbuf = bufio.NewWriterSize(df, 1<<20)
		if dw, err = officefile.NewDOCX(dbuf); err != nil {
			log.Fatal(err)
		}
	}
	var w *parquet.GenericWriter[order]
	if pf != nil {
		w = parquet.NewGenericWriter[order](pf, parquet.Compression(&parquet.Zstd), parquet.MaxRowsPerRowGroup(128<<10))
	}
	r := rand.New(rand.NewPCG(7, 15))
	batch := make([]order, 0, 128<<10)
	var n int64
	for {
		batch = batch[:0]
		for range cap(batch) {
			o, rec := row(r, n)
			batch = append(batch, o)
			if ae != nil {
				if err := ae.Encode(avroRecord(&o)); err != nil {
					log.Fatal(err)
				}
			}
			if cw != nil {
				cw.Write(rec)
			}
			if xw != nil {
				// A sheet holds 1,048,576 rows: the next rows go to the
				// next sheet, under the header again, as an export
				// larger than a sheet is written.
				if xrows == 1<<20-1 {
					xsheets++
					xw.Sheet(fmt.Sprintf("Orders %d", xsheets))
					xw.Row(header...)
					xrows = 0
				}
				if err := xw.Row(rec...); err != nil {
					log.Fatal(err)
				}
				xrows++
			}
			if mbuf != nil {
				writeMail(mbuf, &o, header, rec, n)
			}
			if ins != nil {
				args := make([]any, len(rec))
				for i, v := range rec {
					args[i] = v
				}
				args[0], args[17] = o.OrderID, o.Quantity
				if _, err := ins.Exec(args...); err != nil {
					log.Fatal(err)
				}
			}
			if dw != nil {
				runs := make([]string, 0, 2*len(rec))
				for i, v := range rec {
					runs = append(runs, header[i]+": ", v+"; ")
				}
				if err := dw.Paragraph(runs...); err != nil {
					log.Fatal(err)
				}
			}
			n++
		}
		if w != nil {
			if _, err := w.Write(batch); err != nil {
				log.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				log.Fatal(err)
			}
		}
		if *rows > 0 {
			if n >= *rows {
				break
			}
		} else if st, err := pf.Stat(); err != nil {
			log.Fatal(err)
		} else if st.Size() >= *mb<<20 {
			break
		}
	}
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	if w != nil {
		check(w.Close())
		check(pf.Close())
	}
	if ae != nil {
		check(ae.Close())
		check(af.Close())
	}
	if cw != nil {
		cw.Flush()
		check(cw.Error())
		check(cf.Close())
	}
	if xw != nil {
		check(xw.Close())
		check(xbuf.Flush())
		check(xf.Close())
	}
	if dw != nil {
		check(dw.Close())
		check(dbuf.Flush())
		check(df.Close())
	}
	if mbuf != nil {
		check(mbuf.Flush())
		check(mf.Close())
	}
	if db != nil {
		check(ins.Close())
		check(tx.Commit())
		check(db.Close())
	}
	fmt.Fprintf(os.Stderr, "%d rows\n", n)
}

// writeMail writes order o (rec, under header) to an mbox as the mail a
// shop sends the customer: the client's IP in Received, the address in
// From_, Return-Path and To, and the order in the text, each value after
// its column's name; the text in base64, quoted-printable or as written,
// by turns.
func writeMail(w *bufio.Writer, o *order, header, rec []string, n int64) {
	date := o.PlacedAt.Format(time.RFC1123Z)
	fmt.Fprintf(w, "From orders@shop.example %s\n", o.PlacedAt.Format(time.ANSIC))
	fmt.Fprintf(w, "Return-Path: <orders@shop.example>\n"+
		"Received: from web%d.shop.example (web.shop.example [%s])\n\tby mx.example.com with ESMTPS id %x; %s\n"+
		"Message-ID: <%d.%d@shop.example>\nFrom: Shop <orders@shop.example>\nTo: %s %s <%s>\n"+
		"Subject: Your order %d\nDate: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n",
		n%8, o.ClientIP, n, date, o.OrderID, n, o.FirstName, o.LastName, o.Email, o.OrderID, date)
	var text strings.Builder
	fmt.Fprintf(&text, "Dear %s %s,\n\nthank you for your order.\n\n", o.FirstName, o.LastName)
	for i, v := range rec {
		fmt.Fprintf(&text, "%s: %s\n", header[i], v)
	}
	switch n % 3 {
	case 0:
		w.WriteString("Content-Transfer-Encoding: base64\n\n")
		b := base64.StdEncoding.EncodeToString([]byte(text.String()))
		for len(b) > 76 {
			w.WriteString(b[:76] + "\n")
			b = b[76:]
		}
		w.WriteString(b + "\n")
	case 1:
		w.WriteString("Content-Transfer-Encoding: quoted-printable\n\n")
		qw := quotedprintable.NewWriter(w)
		io.WriteString(qw, text.String())
		qw.Close()
		w.WriteString("\n")
	default:
		w.WriteString("\n" + strings.ReplaceAll(text.String(), "\nFrom ", "\n>From "))
	}
	w.WriteString("\n")
}
