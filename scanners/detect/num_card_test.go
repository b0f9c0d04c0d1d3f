package detect

import (
	"strings"
	"testing"

	"github.com/piiscan/piiscan/finding"
	"github.com/piiscan/piiscan/scanners/detect/catalog"
)

// Card brands with real IIN ranges that were missing, and the ones whose
// shape is also an id's shape (UATP's 15 digits starting with 1, the 8x
// and 9x ranges, 12-digit Maestro), found only with a card word nearby.
// The numbers are made up with a valid Luhn check digit.
func TestCardBrands(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		{"dankort", "paid with 5019123456789013 ok", []string{"credit_card=5019123456789013"}},
		{"dankort test number", "5019 7170 1010 3742", []string{"credit_card=5019 7170 1010 3742"}},
		{"rupay 60", "rupay 6073123456789014", []string{"credit_card=6073123456789014"}},
		{"rupay 508", "5085123456789012", []string{"credit_card=5085123456789012"}},
		{"verve", "5060991234567895", []string{"credit_card=5060991234567895"}},
		{"verve 19 with a card word", `{"card":"5078651234567890122"}`, []string{"credit_card=5078651234567890122"}},
		{"elo", "5090001234567897", []string{"credit_card=5090001234567897"}},
		{"elo test number", "6362970000457013", []string{"credit_card=6362970000457013"}},
		{"hipercard", "6062 8256 2425 4001", []string{"credit_card=6062 8256 2425 4001"}},
		{"interpayment", "6361234567890129", []string{"credit_card=6361234567890129"}},
		{"instapayment", "6371-2345-6789-0127", []string{"credit_card=6371-2345-6789-0127"}},
		{"mir", "2200123456789019", []string{"credit_card=2200123456789019"}},
		{"unionpay 19 with a card word", "card: 6212345678901234569", []string{"credit_card=6212345678901234569"}},
		{"discover 19 with a card word", "payment 6011123456789012348", []string{"credit_card=6011123456789012348"}},
		{"maestro 19 with a card word", "pan=6759123456789012342", []string{"credit_card=6759123456789012342"}},

		// Found only with a card word or field nearby.
		{"uatp with a card word", "card_number=135410014004955", []string{"credit_card=135410014004955"}},
		{"uatp in a json card field", `{"cardNumber":"135412345678903"}`, []string{"credit_card=135412345678903"}},
		{"troy with a card word", "Credit card 9792123456789018", []string{"credit_card=9792123456789018"}},
		{"rupay 81 with a card word", "card 8171123456789011", []string{"credit_card=8171123456789011"}},
		{"rupay 82 with a card word", "card 8212123456789012", []string{"credit_card=8212123456789012"}},
		{"napas with a card word", "card=9704123456789015", []string{"credit_card=9704123456789015"}},
		{"uzcard with a card word", "card=8600123456789012", []string{"credit_card=8600123456789012"}},
		{"humo with a card word", "card=9860123456789015", []string{"credit_card=9860123456789015"}},
		{"maestro 12 with a card word", "card 675964123458", []string{"credit_card=675964123458"}},
		{"maestro 12 grouped with a card word", "card 6759 6412 3458", []string{"credit_card=6759 6412 3458"}},

		// Hard negatives.
		{"uatp-like id without a card word", "txn 135410014004955 done", nil},
		{"15-digit sequence starting with 1", "seq=112345678901236", nil},
		{"troy-like id without a card word", "id 9792123456789018", nil},
		{"81 id without a card word", "trace 8171123456789011", nil},
		{"12-digit order number", "order 675964123458 shipped", nil},
		{"12-digit grouped without a card word", "ref 6759 6412 3458", nil},
		{"luhn but unknown iin 7", "ref 7123456789012342", nil},
		{"luhn but unknown iin 50", "ref 5012345678901236", nil},
		{"luhn but unknown iin 1234", "ref 1234123456789011", nil},
		{"dankort wrong length", "card 501998765432108", nil},
		{"dankort 17 with a card word", "card=50199876543210982", nil},
		{"amex wrong length", "card 3798765432109872", nil},
		{"mastercard wrong length", "card 559876543210981", nil},
		{"instapayment wrong length", "card=6379876543210987659", nil},
		{"uatp wrong length", "card 1987654321098765", nil},
		{"visa 15", "card 498765432109871", nil},
		{"plus arithmetic", "1+1=2 and 2+2 and x=1111+2222", nil},
		{"plus joined non-card", "q=1234+5678+9012+3456", nil},
		{"plus joined short groups", "tags=12+34+56+78", nil},

		// Rows of numbers: four-digit groups in a table, a catalog row, a
		// PostScript path or a list of code points pass Luhn one time in
		// ten. A 13-digit "Visa" is an id: Visa stopped issuing them.
		{"catalog row", "insert ( 1184 timestamptz 11 10 8 0 1185 1150 1151 2476 2477 2907 2908 - d p f 0 -1 )", nil},
		{"row of coordinates", "  4584 4615 4646 4677 4708 4740 4771 4803 4835 4867 ", nil},
		{"row after a word", "bands 8 quanta 2650 1514 1514 1514 1514 1514 1514 1514 priomap 7", nil},
		{"code points", "543E 5426 544E 5427 5446 5443 5433 5448 5442 541B", nil},
		{"code points at the start of a line", "5414 5415 5416 5417 20BBF 20BC6 56DD", nil},
		{"code points after a hex cell", "605F 6024 6044 6058 6066 606E 6242", nil},
		{"card then a cvv-like word", "4111 1111 1111 1111 exp 12/29", []string{"credit_card=4111 1111 1111 1111"}},
		{"row with a card word", "card 1151 4111 1111 1111 1111", []string{"credit_card=4111 1111 1111 1111"}},
		{"grouped card then a short code", "4111 1111 1111 1111 12/29", []string{"credit_card=4111 1111 1111 1111"}},
		{"grouped card then an amount", "charged 5555 5555 5555 4444 100.00 USD", []string{"credit_card=5555 5555 5555 4444"}},
		{"13-digit visa-like id", "<U000279D2> IGNORE # 4111251125234", nil},
		{"13-digit visa with a card word", "card=4222222222222", []string{"credit_card=4222222222222"}},

		// "cid" is Amex's name for the security code, and every site's
		// name for a category, client or campaign id.
		{"cid in a url", "GET /cgi-bin/filter.cgi?cid=2052&p=1", nil},
		{"card cid field", `{"card_cid":"1234"}`, []string{"credit_card=1234"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(e, tt.text, nil)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// The credit_card validator of custom rules knows the same brands; a
// custom rule's pattern is its own context, so no card word is needed.
func TestCardValidatorBrands(t *testing.T) {
	v := Validators["credit_card"]
	for _, s := range []string{"5019123456789013", "135410014004955", "9792123456789018", "675964123458", "6062825624254001"} {
		if !v([]byte(s)) {
			t.Errorf("credit_card validator rejects %s", s)
		}
	}
	for _, s := range []string{"7123456789012342", "501998765432108", "1987654321098765", "4111111111111112"} {
		if v([]byte(s)) {
			t.Errorf("credit_card validator accepts %s", s)
		}
	}
}

// The card column of a CSV export is the card word its values need.
func TestCardColumn(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name, file string
		want       []string
	}{
		{"uatp and 19 digits in a card column", "id,card_number,amount\n1,135410014004955,5.00\n2,\"4111111111111111110\",3.50\n",
			[]string{"credit_card=135410014004955", "credit_card=4111111111111111110"}},
		{"pan column, tsv", "id\tPAN\tamount\n1\t9792123456789018\t5\n", []string{"credit_card=9792123456789018"}},
		{"same values in another column", "id,ref,card_number\n135410014004955,4111111111111111110,\n", nil},
		{"no card column", "id,ref,amount\n1,135410014004955,5\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols := HeaderColumns([]byte(tt.file[:strings.IndexByte(tt.file, '\n')]), 0)
			if cols != nil {
				cols.SkipFirstLine = true
			}
			got := found(e, tt.file, cols)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tt.file, got, tt.want)
			}
		})
	}
}

// A Luhn-valid run in a field named as another thing's identifier is as
// likely an id as a card: reported at medium confidence, which redact
// (min_confidence high) leaves alone, unless a card word or column backs
// it. The numbers are test card numbers.
func TestCardInIDFieldConfidence(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want finding.Confidence
	}{
		{"order_id", "order_id=4111111111111111", finding.ConfidenceMedium},
		{"transaction_id json", `{"transaction_id": "4111111111111111"}`, finding.ConfidenceMedium},
		{"invoice_no colon", "invoice_no: 4111111111111111", finding.ConfidenceMedium},
		{"tracking_number", "tracking_number=5500005555555559&x=1", finding.ConfidenceMedium},
		{"reference", "reference => '4111111111111111'", finding.ConfidenceMedium},
		{"orderId grouped", "orderId: 4111 1111 1111 1111", finding.ConfidenceMedium},
		{"card word backs it", "card ending, order_id=4111111111111111", finding.ConfidenceHigh},
		{"card field", "card_number=4111111111111111", finding.ConfidenceHigh},
		{"pan field", `"pan":"4111111111111111"`, finding.ConfidenceHigh},
		{"bare", "charged 4111111111111111 today", finding.ConfidenceHigh},
		{"other field", "amount=4111111111111111", finding.ConfidenceHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := e.NewMatcher().Scan([]byte(tt.text), nil)
			if len(ms) != 1 || e.Rules()[ms[0].Rule].Detector != catalog.CreditCard || ms[0].Confidence != tt.want {
				t.Errorf("Scan(%q) = %+v, want one card at %v", tt.text, ms, tt.want)
			}
		})
	}
}
