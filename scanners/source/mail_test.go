package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// mailSample is a message as mail clients write it: folded and encoded
// header fields, a signature, a multipart/alternative body in base64 and
// quoted-printable, a CSV attachment and a forwarded message.
var mailSample = strings.ReplaceAll(`Return-Path: <ada@example.com>
Received: from mx.example.com (mx.example.com [203.0.113.7])
	by mail.example.org with ESMTPS id 4Q2; Tue, 1 Dec 2026 09:14:03 +0000
DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1;
	b=dGhpcyBpcyA1MzYtMjItODcyNiBub3QgYSByZWFsIHNpZ25hdHVyZQ==
Message-ID: <20261201091403.4111111111111111@example.com>
From: =?UTF-8?Q?Ada_L=C3=B6velace?= <ada@example.com>
To: "Support" <support@example.org>
Subject: =?ISO-8859-1?B?UmXndQ==?= my SSN 536-22-8726
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

`+base64.StdEncoding.EncodeToString([]byte("Hello,\nplease call me on +1 415 555 0134.\nThanks\n"))+`
--inner
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<p>Merci, card 4111 1111 1111 1111 =E9t=E9 <a href=3D"mailto:grace@ex=
ample.net">me</a></p>
--inner--

--outer
Content-Type: text/csv; name="customers.csv"
Content-Disposition: attachment; filename="customers.csv"
Content-Transfer-Encoding: base64

`+base64.StdEncoding.EncodeToString([]byte("name,email\nlin,lin@example.com\n"))+`
--outer
Content-Type: message/rfc822

From: bob@example.com
To: carol@example.com
Subject: fwd

ip 198.51.100.23
--outer--
epilogue: write to dpo@example.org
`, "\n", "\r\n")

// A message is its header fields, a table of one row whose columns are
// the fields (decoded; signatures and message identifiers not read),
// then each part's header fields (Content-Type.1.2) and each text part as
// a table of one column, decoded, and each other part as an input of its
// own, named by its part; the preamble and the epilogue are read too.
func TestMailMessage(t *testing.T) {
	var tables []string
	rec := newRecorder()
	x := rec.expander(Limits{})
	err := x.Expand(context.Background(), "m.eml", strings.NewReader(mailSample), nil, -1, func(p string, br *bufio.Reader, tb *Table) error {
		if tb != nil {
			tables = append(tables, p+" "+strings.Join(tb.Fields, ","))
		}
		return rec.fn(p, br, tb)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkMembers(t, rec, nil)
	header := "return-path\treceived\tfrom\tto\tsubject\tmime-version\tcontent-type\n" +
		"<ada@example.com>\tfrom mx.example.com (mx.example.com [203.0.113.7]) by mail.example.org with ESMTPS id 4Q2; Tue, 1 Dec 2026 09:14:03 +0000\t" +
		"Ada Lövelace <ada@example.com>\t\"Support\" <support@example.org>\tReçu my SSN 536-22-8726\t1.0\tmultipart/mixed; boundary=\"outer\"\n"
	checkStreams(t, rec, []stream{
		{"m.eml", header},
		{"m.eml", "content-type\nmultipart/alternative; boundary=inner\n"},
		{"m.eml", "content-type\tcontent-transfer-encoding\ntext/plain; charset=utf-8\tbase64\n"},
		{"m.eml", "body\nHello,\nplease call me on +1 415 555 0134.\nThanks\n"},
		{"m.eml", "content-type\tcontent-transfer-encoding\ntext/html; charset=iso-8859-1\tquoted-printable\n"},
		{"m.eml", "body\n<p>Merci, card 4111 1111 1111 1111 été <a href=\"mailto:grace@example.net\">me</a></p>"},
		{"m.eml", "content-type\tcontent-disposition\tcontent-transfer-encoding\ntext/csv; name=\"customers.csv\"\tattachment; filename=\"customers.csv\"\tbase64\n"},
		// Named by its part; its extension kept, so it is read as a CSV.
		{"m.eml!part-2.csv", "name,email\nlin,lin@example.com\n"},
		{"m.eml", "content-type\nmessage/rfc822\n"},
		{"m.eml!part-3.eml", "from\tto\tsubject\nbob@example.com\tcarol@example.com\tfwd\n"},
		{"m.eml!part-3.eml", "body\nip 198.51.100.23"},
		{"m.eml", "body\nThis is a multi-part message in MIME format. \n \n"},
		{"m.eml", "body\nepilogue: write to dpo@example.org \n"},
	})
	wantTables := []string{
		"m.eml Return-Path,Received,From,To,Subject,Mime-Version,Content-Type",
		"m.eml Content-Type.1",
		"m.eml Content-Type.1.1,Content-Transfer-Encoding.1.1", "m.eml body.1.1",
		"m.eml Content-Type.1.2,Content-Transfer-Encoding.1.2", "m.eml body.1.2",
		"m.eml Content-Type.2,Content-Disposition.2,Content-Transfer-Encoding.2",
		"m.eml Content-Type.3",
		"m.eml!part-3.eml From,To,Subject", "m.eml!part-3.eml body",
		"m.eml preamble", "m.eml epilogue",
	}
	if strings.Join(tables, "|") != strings.Join(wantTables, "|") {
		t.Errorf("tables\n%q\nwant\n%q", tables, wantTables)
	}
}

// Mail is told by its header: fields of mail, one at least that only mail
// has, capitalised as mail writes them. An mbox starts with a "From "
// line. HTTP headers, YAML, logs and prose that start alike are plain.
func TestSniffMail(t *testing.T) {
	for _, c := range []struct {
		head string
		want Format
	}{
		{mailSample[:512], FormatMail},
		{"From: ada@example.com\nTo: bob@example.com\nSubject: hi\n\nbody\n", FormatMail},
		{"Subject: hi\r\nDate: Tue, 1 Dec 2026 09:14:03 +0000\r\n\r\n", FormatMail},
		// Cut in its first field, which only mail starts with.
		{"Received: from mx.example.com (mx.example.com [203.0.113.7]) by mail.example.org " + strings.Repeat("x", 600), FormatMail},
		{"DKIM-Signature: v=1; a=rsa-sha256; b=" + strings.Repeat("A", 600), FormatMail},
		{"x-store-info:J++/JTCzmObr++wNraA4\nFrom: ada@example.com\nTo: bob@example.com\n\n", FormatMail},
		{"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n", FormatMail},
		{"From ada@example.com Tue Dec  1 09:14:03 2026\nFrom: ada@example.com\n\nhi\n", FormatMbox},
		{"From - Tue Dec 01 09:14:03 2026\r\nX-Mozilla-Status: 0001\r\n", FormatMbox},
		{"From ada@example.com\r\nReturn-Path: <ada@example.com>\r\n", FormatMbox},

		{"from: ada@example.com\nto: bob@example.com\nsubject: alerts\n\n", FormatPlain}, // YAML
		{"Host: example.com\nUser-Agent: curl/8.0\nAccept: */*\n\n", FormatPlain},
		{"HTTP/1.1 200 OK\nDate: Tue, 1 Dec 2026 09:14:03 GMT\nContent-Type: text/html\n\n", FormatPlain},
		{"Date: Tue, 1 Dec 2026\nContent-Type: text/plain\n\n", FormatPlain}, // no field only mail has
		{"From here on, the log says: ok\nTo: whom it may concern\n", FormatPlain},
		{"2026-12-01 09:14:03 INFO From: ada@example.com To: bob@example.com\n", FormatPlain},
		{"From ada@example.com Tue Dec  1 09:14:03 2026\nnot a header\n", FormatPlain},
		{"Subject: hi\nthis is not a header line\n\n", FormatPlain},
	} {
		if got := Sniff([]byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q) = %v, want %v", abbrev(c.head), got, c.want)
		}
	}
}

// An mbox's messages end at a "From " line after an empty line, and only
// there: a body line "From here" after text stays in its message, and
// ">From " is unquoted. CRLF mboxes, and lines longer than the buffer,
// too.
func TestMboxMessages(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	box := "From ada@example.com Tue Dec  1 09:14:03 2026\r\n" +
		"Subject: one\r\n\r\n" +
		"line\r\nFrom here on, text\r\n>From the start\r\n>>From quoted twice\r\n" + long + "\r\n\r\n" +
		"From grace@example.net  Tue Dec  1 10:00:00 2026\r\n" +
		"Subject: two\r\n\r\nlast"
	rec, err := expandBytes(t, "box", []byte(box), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkMembers(t, rec, nil)
	checkStreams(t, rec, []stream{
		{"box!message-1", "from\tsubject\nada@example.com Tue Dec  1 09:14:03 2026\tone\n"},
		{"box!message-1", "body\nline \nFrom here on, text \nFrom the start \n>From quoted twice \n" + long + " \n \n"},
		{"box!message-2", "from\tsubject\ngrace@example.net  Tue Dec  1 10:00:00 2026\ttwo\n"},
		{"box!message-2", "body\nlast"},
	})
}

// Damage is reported without the text it is in (a malformed header line
// may hold an address), and the rest of the message is read.
func TestMailDamage(t *testing.T) {
	for _, c := range []struct {
		name, msg string
		want      []stream
		errs      []memberErr
	}{{
		name: "malformed header line",
		// Past the 512 bytes the format is told by. As mail clients
		// read it: the fields after it are fields; the line is read as
		// text of the header. Nothing is lost: nothing to report.
		msg: "From: a@example.com\nTo: b@example.com\nX-Pad: " + strings.Repeat("p", 500) +
			"\nmy ssn 536-22-8726 grace@example.net\nSubject: x\n\nbody\n",
		want: []stream{
			{"m", "body\nmy ssn 536-22-8726 grace@example.net\n"},
			{"m", "from\tto\tx-pad\tsubject\na@example.com\tb@example.com\t" + strings.Repeat("p", 500) + "\tx\n"},
			{"m", "body\nbody\n"},
		},
	}, {
		// As mail clients read it: bytes out of the alphabet skipped (and
		// reported), no padding needed.
		name: "damaged base64",
		msg:  "From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: base64\n\naGVsbG8g!Z3JhY2VAZXhhbXBsZS5uZXQ\n",
		want: []stream{
			{"m", "from\tto\tcontent-transfer-encoding\na@example.com\tb@example.com\tbase64\n"},
			{"m", "body\nhello grace@example.net"},
		},
		errs: []memberErr{{"m", ErrCorrupt}},
	}, {
		name: "base64 chunks, each padded",
		msg:  "From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: base64\n\naGVsbG8=\nd29ybGQ=\n",
		want: []stream{
			{"m", "from\tto\tcontent-transfer-encoding\na@example.com\tb@example.com\tbase64\n"},
			{"m", "body\nhelloworld"},
		},
	}, {
		name: "a bad quoted-printable escape is kept as written",
		msg:  "From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: quoted-printable\n\nhi =Zgrace@example.net\n",
		want: []stream{
			{"m", "from\tto\tcontent-transfer-encoding\na@example.com\tb@example.com\tquoted-printable\n"},
			{"m", "body\nhi =Zgrace@example.net\n"},
		},
	}, {
		name: "a line where a delimiter should be",
		msg: "From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n" +
			"--b-grace@example.net\n--b\n\nthree\n--b--\n",
		want: []stream{
			{"m", "from\tto\tcontent-type\na@example.com\tb@example.com\tmultipart/mixed; boundary=b\n"},
			{"m", "body\none"}, {"m", "body\ntwo"},
		},
		errs: []memberErr{{"m", ErrCorrupt}},
	}, {
		name: "no last delimiter: the last part read to the end",
		msg:  "From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n",
		want: []stream{
			{"m", "from\tto\tcontent-type\na@example.com\tb@example.com\tmultipart/mixed; boundary=b\n"},
			{"m", "body\none"}, {"m", "body\ntwo"},
		},
	}, {
		name: "transfer encodings as written in the wild",
		msg:  "From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: Quoted Printable;\n\ngrace@ex=\nample.net\n",
		want: []stream{
			{"m", "from\tto\tcontent-transfer-encoding\na@example.com\tb@example.com\tQuoted Printable;\n"},
			{"m", "body\ngrace@example.net\n"},
		},
	}, {
		name: "an encoding piiscan does not decode",
		msg:  "From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a.txt\n",
		want: []stream{
			{"m", "from\tto\tcontent-transfer-encoding\na@example.com\tb@example.com\tx-uuencode\n"},
			{"m", "body\nbegin 644 a.txt\n"},
		},
		errs: []memberErr{{"m", ErrCorrupt}},
	}} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := expandBytes(t, "m", []byte(c.msg), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			checkStreams(t, rec, c.want)
			checkMembers(t, rec, c.errs)
			for _, m := range rec.members {
				if strings.Contains(m.err.Error(), "grace") || strings.Contains(m.err.Error(), "536") {
					t.Errorf("regression (an error quotes the message's text): %v", m.err)
				}
			}
		})
	}
}

// A message cannot make piiscan hold more than a header's worth (1 MiB)
// in memory, nor recurse without end: a huge header, a huge part header,
// deep multipart nesting and forwarded messages in forwarded messages are
// reported; what comes before them is read.
func TestMailBombs(t *testing.T) {
	huge := strings.Repeat("X-Pad: "+strings.Repeat("a", 1000)+"\n", 1100)
	nested := "From: a@example.com\nTo: b@example.com\n"
	for i := range 40 {
		nested += "Content-Type: multipart/mixed; boundary=b" + strconv.Itoa(i) + "\n\n--b" + strconv.Itoa(i) + "\n"
	}
	nested += "\ndeep\n"
	fwd := "From: a@example.com\nTo: b@example.com\n\nlevel 0\n"
	for i := 1; i <= 5; i++ {
		fwd = "From: a@example.com\nTo: b@example.com\nContent-Type: message/rfc822\n\n" + fwd
	}
	for _, c := range []struct {
		name, msg string
		err       error // of the message
		errs      []memberErr
		streams   int
	}{
		{name: "header", msg: "From: a@example.com\nTo: b@example.com\n" + huge + "\nbody\n", err: ErrBomb},
		{name: "part header", msg: "From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" + huge + "\nbody\n--b--\n",
			errs: []memberErr{{"m", ErrBomb}}, streams: 1},
		// The header, and the 32 parts' headers.
		{name: "nesting", msg: nested, errs: []memberErr{{"m", ErrBomb}}, streams: 33},
		{name: "forwarded", msg: fwd, errs: []memberErr{{"m!part-1.eml!part-1.eml!part-1.eml", ErrTooDeep}}, streams: 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := expandBytes(t, "m", []byte(c.msg), Limits{})
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Errorf("Expand: %v, want %v", err, c.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			checkMembers(t, rec, c.errs)
			if len(rec.streams) != c.streams {
				t.Errorf("%d streams %q, want %d", len(rec.streams), rec.paths(), c.streams)
			}
		})
	}
}

// FuzzMail: no message or mbox makes the reader panic, hang or read
// without bound.
func FuzzMail(f *testing.F) {
	f.Add([]byte(mailSample))
	f.Add([]byte("From ada@example.com Tue Dec  1 09:14:03 2026\nFrom: a@example.com\nTo: b@example.com\n\n>From x\n\nFrom b Tue Dec  1 09:14:03 2026\nSubject: y\n\nz"))
	f.Add([]byte("From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=b\n\npre\n--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\nx\n--c--\n--b\nContent-Type: message/rfc822\n\nFrom: c@example.com\nSubject: s\n\nq\n--b--\nepi\n"))
	f.Add([]byte("Subject: =?UTF-8?B?w6k=?=\nFrom: a@example.com\nContent-Transfer-Encoding: base64\n\nw6k=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x := &Expander{Limits: Limits{MaxBytes: 64 << 20, RatioFloor: 1 << 20}}
		x.Expand(t.Context(), "m", bytes.NewReader(data), nil, -1, func(_ string, br *bufio.Reader, _ *Table) error {
			_, err := io.Copy(io.Discard, br)
			return err
		})
		// Whatever the head, as a message and as an mbox.
		ex := &expansion{ctx: t.Context(), x: x, lim: x.Limits.WithDefaults(), fn: func(string, *bufio.Reader, *Table) error { return nil }}
		ex.remaining = ex.lim.MaxBytes
		ex.mail("m", bytes.NewReader(data), 0, nil)
		ex.mbox("b", bufio.NewReader(bytes.NewReader(data)), 0)
	})
}

// From a hostile reading: what mail clients show must be read, and what
// they do not take for structure must not be taken for it here.
func TestMailHostile(t *testing.T) {
	hdr := "From: a@example.com\nTo: b@example.com\n"
	t.Run("part header fields that start like a delimiter", func(t *testing.T) {
		msg := hdr + "Content-Type: multipart/mixed; boundary=BB\n\n--BB\n" +
			strings.Repeat("--BBx: y\n", 200_000) + "\nbody\n--BB--\n"
		rec, err := expandBytes(t, "m", []byte(msg), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		checkMembers(t, rec, []memberErr{{"m", ErrBomb}})
	})
	t.Run("a preamble line that is no delimiter", func(t *testing.T) {
		msg := hdr + "Content-Type: multipart/mixed; boundary=BB\n\n--BB junk\nssn 536-22-8726\n--BB\n\nbody\n--BB--\n"
		rec, err := expandBytes(t, "m", []byte(msg), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		checkMembers(t, rec, nil)
		if last := rec.streams[len(rec.streams)-1]; last.content != "body\n--BB junk\nssn 536-22-8726\n" {
			t.Errorf("preamble %q", last.content)
		}
	})
	t.Run("part headers and file names", func(t *testing.T) {
		msg := hdr + "Content-Type: multipart/mixed; boundary=BB\n\n--BB\n" +
			"Content-Description: scan of ada@example.com's card\n" +
			"Content-Disposition: attachment; filename*=UTF-8''ssn%20536-22-8726.txt\n\nhello\n--BB--\n"
		rec, err := expandBytes(t, "m", []byte(msg), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		checkStreams(t, rec, []stream{
			{"m", "from\tto\tcontent-type\na@example.com\tb@example.com\tmultipart/mixed; boundary=BB\n"},
			{"m", "content-description\tcontent-disposition\nscan of ada@example.com's card\tattachment; filename*=UTF-8''ssn%20536-22-8726.txt ssn 536-22-8726.txt\n"},
			// Named by its part: the file name is the sender's.
			{"m!part-1.txt", "hello"},
		})
	})
	t.Run("an unquoted boundary with '='", func(t *testing.T) {
		msg := hdr + "Content-Type: multipart/mixed; boundary=----=_NextPart_000\n\n------=_NextPart_000\n\nada@example.com\n------=_NextPart_000--\n"
		rec, err := expandBytes(t, "m", []byte(msg), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		checkMembers(t, rec, nil)
		if got := rec.streams[len(rec.streams)-1].content; got != "body\nada@example.com" {
			t.Errorf("body %q", got)
		}
	})
	t.Run("mbox not counted as decompressed", func(t *testing.T) {
		box := strings.Repeat("From a@example.com Tue Dec  1 09:14:03 2026\nFrom: a@example.com\n\n"+strings.Repeat("x", 1000)+"\n\n", 50)
		rec, err := expandBytes(t, "box", []byte(box), Limits{MaxBytes: 4 << 10})
		if err != nil {
			t.Fatal(err)
		}
		checkMembers(t, rec, nil)
		if len(rec.streams) != 100 {
			t.Errorf("%d streams, want 100", len(rec.streams))
		}
	})
	for _, c := range []struct{ name, box string }{
		{"a From line without a time", "From a@example.com Tue Dec 1 2026\nFrom: a@example.com\n\none\n\nFrom b@example.com Tue Dec 1 2026\nFrom: b@example.com\n\ntwo\n"},
		{"a From line of 2,000 bytes", "From a@example.com Tue Dec  1 09:14:03 2026\nFrom: a@example.com\n\none\n\nFrom b@example.com " + strings.Repeat("x", 2000) + " 09:14:03 2026\nFrom: b@example.com\n\ntwo\n"},
		{"no empty line before From", "From a@example.com Tue Dec  1 09:14:03 2026\nFrom: a@example.com\n\none\nFrom b@example.com Tue Dec  1 09:14:03 2026\nFrom: b@example.com\n\ntwo\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := expandBytes(t, "box", []byte(c.box), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(rec.paths(), " "); got != "box!message-1 box!message-1 box!message-2 box!message-2" {
				t.Errorf("streams %s", got)
			}
		})
	}
}

// Mail as programs other than mail clients save it is mail too: after a
// byte-order mark, an .emlx byte count, Outlook's first line; with
// lower-case fields; with more than 512 bytes of spam-filter fields
// before one only mail has.
func TestSniffMailSaved(t *testing.T) {
	msg := "From: a@example.com\nMessage-ID: <1@example.com>\nSubject: s\n\nbody\n"
	spam := "X-Spam-Checker-Version: SpamAssassin 4.0.0 (2022-12-14) on mx.example.org\n" +
		"X-Spam-Status: No, score=-1.9 required=5.0 tests=" + strings.Repeat("BAYES_00,", 60) + "\n\tautolearn=ham\n"
	for name, in := range map[string]string{
		"bom":       "\ufeff" + msg,
		"emlx":      "1234\n" + msg,
		"outlook":   "Microsoft Mail Internet Headers Version 2.0\r\n" + msg,
		"lowercase": "received: from mx.example.com\nfrom: a@example.com\nto: b@example.com\n\nbody\n",
		"spam":      spam + msg,
	} {
		br := bufio.NewReader(strings.NewReader(in))
		head, _ := br.Peek(512)
		if f := SniffReader(br, head); f != FormatMail {
			t.Errorf("%s: %v, want mail", name, f)
		}
		rec, err := expandBytes(t, "m", []byte(in), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		checkMembers(t, rec, nil)
		if len(rec.streams) != 2 || !strings.HasPrefix(rec.streams[0].content, strings.Split(rec.streams[0].content, "\n")[0]) || !strings.Contains(rec.streams[0].content, "a@example.com") {
			t.Errorf("%s: streams %q", name, rec.streams)
		}
	}
}
