package detect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// madeUp returns n made-up characters of alphabet, the same for a seed.
func madeUp(seed uint64, n int, alphabet string) string {
	r := rand.New(rand.NewPCG(seed, 12))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	b62 = base62Digits
	b64 = base62Digits + "_-"
	hex = "0123456789abcdef"
	dig = "0123456789"
	upd = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// ghToken returns a made-up GitHub or npm token with a valid checksum.
func ghToken(prefix string, seed uint64) string {
	body := madeUp(seed, 30, b62)
	return prefix + body + string(base62CRC([]byte(body)))
}

// TestVendorTokens holds vendor_token to the documented forms of each
// vendor's tokens, anywhere in a line, and to the placeholders, near
// misses and identifiers that look like them.
func TestVendorTokens(t *testing.T) {
	e := allBuiltins(t)
	const v = "vendor_token="
	ghp := ghToken("ghp_", 1)
	npm := ghToken("npm_", 2)
	badSum := "ghp_" + madeUp(3, 36, b62)
	pat := "github_pat_11" + madeUp(4, 20, b62) + "_" + madeUp(5, 59, b62)
	xoxb := "xoxb-" + madeUp(6, 11, dig) + "-" + madeUp(7, 13, dig) + "-" + madeUp(8, 24, b62)
	xoxp := "xoxp-" + madeUp(9, 11, dig) + "-" + madeUp(10, 11, dig) + "-" + madeUp(11, 13, dig) + "-" + madeUp(12, 32, hex)
	xapp := "xapp-1-A" + madeUp(13, 10, upd) + "-" + madeUp(14, 13, dig) + "-" + madeUp(15, 64, hex)
	hookPath := "T" + madeUp(16, 8, upd) + "/B" + madeUp(17, 10, upd) + "/" + madeUp(18, 24, b62)
	skLive := "sk_live_" + madeUp(19, 24, b62)
	skLong := "sk_live_51" + madeUp(20, 97, b62)
	rkLive := "rk_live_" + madeUp(21, 24, b62)
	skTest := "sk_test_" + madeUp(22, 24, b62)
	glpat := "glpat-" + madeUp(23, 20, b64)
	pypi := "pypi-AgEIcHlwaS5vcmc" + madeUp(24, 140, b64)
	sg := "SG." + madeUp(25, 22, b64) + "." + madeUp(26, 43, b64)
	aiza := "AIza" + madeUp(27, 35, b64)
	openai := "sk-" + madeUp(28, 20, b62) + "T3BlbkFJ" + madeUp(29, 20, b62)
	proj := "sk-proj-" + madeUp(30, 74, b64) + "T3BlbkFJ" + madeUp(31, 74, b64)
	ant := "sk-ant-api03-" + madeUp(32, 93, b64) + "AA"
	tests := []struct {
		name string
		text string
		want []string // vendor_token spans; nil means nothing may be found
	}{
		{"github classic", "cloning with " + ghp + " failed", []string{v + ghp}},
		{"github oauth in url", "https://x-access-token:" + ghToken("gho_", 40) + "@github.com/o/r.git", []string{v + ghToken("gho_", 40)}},
		{"github app token", "GH " + ghToken("ghs_", 41), []string{v + ghToken("ghs_", 41)}},
		{"github refresh", "(" + ghToken("ghr_", 42) + ")", []string{v + ghToken("ghr_", 42)}},
		{"github user-to-server", "'" + ghToken("ghu_", 43) + "'", []string{v + ghToken("ghu_", 43)}},
		{"github bad checksum", "cloning with " + badSum, nil},
		{"github placeholder", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", nil},
		{"github one short", ghp[:len(ghp)-1], nil},
		{"github one long", ghp + "a", nil},
		{"github glued", "my_" + ghp, nil},
		{"github other prefix", "ghx_" + ghp[4:], nil},
		{"fine-grained", "token " + pat + "\n", []string{v + pat}},
		{"fine-grained short", "github_pat_11ABC_def", nil},
		{"fine-grained identifier", "github_pat_regex = re.compile(r'github_pat_[0-9a-zA-Z_]{82}')", nil},
		{"npm", "//registry.npmjs.org/:_authToken " + npm, []string{v + npm}},
		{"npm bad checksum", "npm_" + madeUp(44, 36, b62), nil},
		{"npm config word", "npm_config_registry_https_registry_npmjs_org", nil},
		{"slack bot", "slack " + xoxb + " ok", []string{v + xoxb}},
		{"slack user", "xoxp " + xoxp, []string{v + xoxp}},
		{"slack app", xapp, []string{v + xapp}},
		{"slack bot, secret of letters only", "notify via xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx now", []string{v + "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"}},
		{"slack placeholder", "export SLACK_BOT=xoxb-your-token", nil},
		{"slack x placeholder", "xoxb-1234567890-1234567890123-xxxxxxxxxxxxxxxxxxxxxxxx", nil},
		{"slack doc placeholder", "xoxb-123-456-abc", nil},
		{"slack webhook", "POST https://hooks.slack.com/services/" + hookPath + " 200", []string{v + hookPath}},
		{"slack webhook placeholder", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", nil},
		{"stripe live", "charge via " + skLive, []string{v + skLive}},
		{"stripe long", skLong, []string{v + skLong}},
		{"stripe restricted", rkLive, []string{v + rkLive}},
		{"stripe test", "stripe.api_key(" + skTest + ")", []string{v + skTest}},
		{"stripe dots", "Stripe.apiKey = sk_live_...;", nil},
		{"stripe your key", "sk_live_YOUR_SECRET_KEY_HERE", nil},
		{"stripe publishable", "pk_live_" + madeUp(45, 24, b62), nil},
		{"stripe identifier", "func sk_test_helper_for_charges_and_refunds()", nil},
		{"gitlab", "curl --header PRIVATE-TOKEN " + glpat, []string{v + glpat}},
		{"gitlab placeholder", "glpat-xxxxxxxxxxxxxxxxxxxx", nil},
		{"gitlab short", "glpat-" + madeUp(46, 19, b62), nil},
		{"pypi", "password " + pypi, []string{v + pypi}},
		{"pypi short", "pypi-AgEIcHlwaS5vcmc" + madeUp(47, 20, b62), nil},
		{"pypi other", "pypi-" + madeUp(48, 80, b62), nil},
		{"sendgrid", "apikey " + sg, []string{v + sg}},
		{"sendgrid placeholder", "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", nil},
		{"sendgrid short", "SG." + madeUp(49, 22, b62) + "." + madeUp(50, 40, b62), nil},
		{"google", "maps?key=" + aiza + "&v=3", []string{v + aiza}},
		{"google short", "AIza" + madeUp(51, 34, b62), nil},
		{"google long", "AIza" + madeUp(52, 36, b62), nil},
		{"google word", "AIzaSyYOUR_API_KEY_HERE_0000000000000000", nil},
		{"openai legacy", "OPENAI " + openai, []string{v + openai}},
		{"openai project", proj, []string{v + proj}},
		{"sk- without marker", "sk-" + madeUp(53, 48, b62), nil},
		{"openai placeholder", "sk-proj-xxxxxxxxxxxxxxxxxxxxT3BlbkFJxxxxxxxxxxxxxxxxxxxxxxxxx", nil},
		{"anthropic", "x-api-key " + ant, []string{v + ant}},
		{"anthropic no AA", "sk-ant-api03-" + madeUp(54, 95, b62)[:93] + "AB", nil},
		{"anthropic placeholder", "sk-ant-api03-...", nil},
		{"prose", "the sk-learn and gh-pages branches; SG.1 and AIza.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withPrefix(found(e, tt.text, nil), v)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestGitHubChecksum checks the checksum against a token published as
// valid by a public secret scanner's tests, and one digit off it.
func TestGitHubChecksum(t *testing.T) {
	for _, tt := range []struct {
		body string
		ok   bool
	}{
		{"M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V4", true},
		{"M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3", false},
		{"16C7e42F292c6912E7710c838347Ae178B4a", false}, // GitHub's documentation example
	} {
		if got := githubChecksum([]byte(tt.body)); got != tt.ok {
			t.Errorf("githubChecksum(%s) = %v, want %v", tt.body, got, tt.ok)
		}
	}
}

// TestTokenPlaceholder covers the placeholder rules on their own.
func TestTokenPlaceholder(t *testing.T) {
	for _, tt := range []struct {
		body string
		want bool
	}{
		{"xxxxxxxxxxxxxxxxxxxxxxxx", true},
		{"YOUR_SECRET_KEY_HERE", true},
		{"0123456789abcdefghijklmn", true},
		{"abababababababababababab", true},
		{"1234", true},
		{"a8Kd93LmQ0zR7xPv2Nc5TbWe", false},
	} {
		if got := tokenPlaceholder([]byte(tt.body)); got != tt.want {
			t.Errorf("tokenPlaceholder(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
}
