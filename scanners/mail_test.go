package scanners

import (
	"encoding/base64"
	"strings"
	"testing"
)

// A message's findings carry the header field or the text part they are
// in as field; line 1 is the header, a part's line N its line N. Message
// identifiers and signatures are not read (a Message-ID of Luhn-valid
// digits is no card, and no one's address), nor is a version in
// X-Mailer an IP address.
func TestScanMail(t *testing.T) {
	msg := strings.ReplaceAll(`Received: from laptop (unknown [198.51.100.23])
	by mx.example.org; Tue, 1 Dec 2026 09:14:03 +0000
Message-ID: <4111111111111111@example.com>
References: <536228726.grace@example.net>
DKIM-Signature: v=1; d=example.com; b=ada@example.com 4111 1111 1111 1111
X-Mailer: Thunderbird 10.2.3.4
From: =?UTF-8?Q?Ada_L=C3=B6velace?= <ada@example.com>
To: support@example.org
Subject: =?UTF-8?B?U1NOIDUzNi0yMi04NzI2?=
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello,
call me on +1 415 555 0134 or write to grace@ex=
ample.net.
--b1
Content-Type: text/csv
Content-Disposition: attachment; filename=orders.csv
Content-Transfer-Encoding: base64

`+base64.StdEncoding.EncodeToString([]byte("order_id,version,email\n4111111111111112,10.2.3.4,lin@example.com\n"))+`
--b1--
`, "\n", "\r\n")
	got := fileFindings(t, "m.eml", []byte(msg))
	want := []string{
		" 1:16+15 From email",
		" 1:1+19 To email",
		" 1:23+13 Received ip_address",
		" 1:5+11 Subject us_ssn",
		" 2:12+15 body.1 phone_number",
		// grace@ex= / ample.net: quoted-printable decoded, one address.
		" 2:40+17 body.1 email",
		"!part-2.csv 2:27+15  email",
	}
	checkFindings(t, got, want)
}

// An mbox's messages are members (mbox!message-N); each one's "From "
// line is read as the field From_, and a body line quoted as ">From " is
// read unquoted, in its message.
func TestScanMbox(t *testing.T) {
	box := "From ada@example.com Tue Dec  1 09:14:03 2026\n" +
		"From: ada@example.com\nSubject: one\n\n" +
		">From the start, my SSN is 536-22-8726\n\n" +
		"From grace@example.net Tue Dec  1 10:00:00 2026\n" +
		"From: Grace <grace@example.net>\nSubject: two\n\ncall +1 415 555 0134\n"
	got := fileFindings(t, "inbox.mbox", []byte(box))
	want := []string{
		"!message-1 1:1+15 From email",
		"!message-1 1:1+15 From_ email",
		"!message-1 1:27+11 body us_ssn",
		"!message-2 1:1+17 From_ email",
		"!message-2 1:8+17 From email",
		"!message-2 1:6+15 body phone_number",
	}
	checkFindings(t, got, want)
}
