package detect

import (
	"bytes"
	"hash/crc32"

	"github.com/piiscan/piiscan/finding"
)

// Vendor tokens are API keys whose vendor gives them a fixed prefix, so
// that they are found anywhere in a line with no field name before them
// (the formats follow the vendors' documentation and the detectors of
// public secret scanners such as trufflehog and gitleaks):
//
//   - GitHub: ghp_, gho_, ghu_, ghs_, ghr_ and 36 base-62 characters, the
//     last six the base-62 CRC32 of the thirty before them (GitHub's
//     "Behind GitHub's new authentication token formats", 2021): the
//     checksum is verified, so made-up values are no token; github_pat_
//     and 22 + "_" + 59 base-62 characters (fine-grained tokens).
//   - npm: npm_ and 36 base-62 characters with the same checksum.
//   - Slack: xoxb-, xoxp-, xoxa-, xoxs- with dash-separated numeric ids and
//     a secret part, xapp- app tokens, and incoming webhooks
//     https://hooks.slack.com/services/T…/B…/secret (the path is reported).
//   - Stripe: sk_live_, rk_live_, and the test-mode sk_test_, rk_test_ (a
//     test key reads and writes a test account's data: low value, still a
//     secret); 20 to 247 base-62 characters. Publishable keys (pk_) are
//     meant to be public and are not reported.
//   - GitLab: glpat- and 20 or more of [A-Za-z0-9_-].
//   - PyPI: pypi-AgEIcHlwaS5vcmc (a macaroon for pypi.org) and 50 or more
//     of [A-Za-z0-9_-].
//   - SendGrid: SG. 22 characters . 43 characters of [A-Za-z0-9_-].
//   - Google API keys: AIza and 35 of [A-Za-z0-9_-].
//   - OpenAI: sk-, sk-proj-, sk-svcacct-, sk-admin- keys holding the
//     marker T3BlbkFJ ("openai" in base64) in 40 or more of [A-Za-z0-9_-].
//   - Anthropic: sk-ant-api03- and sk-ant-admin01- with 93 of
//     [A-Za-z0-9_-] and "AA".
//
// Placeholders in documentation (ghp_xxxx…, sk_live_..., xoxb-your-token,
// a body of "your", "example", a repeated or counting run) are rejected.
//
// The prefilter calls vendorToken only for a word whose first two letters
// start a prefix, in any case (tokenPair, indexed as the keyword filter
// is): one more table lookup per word of ordinary text.

// tokenPairs are the first two letters of the vendor prefixes.
var tokenPairs = []string{"gh", "gl", "gi", "np", "xo", "xa", "ho", "sk", "rk", "py", "SG", "AI"}

// tokenPair is set at the kwIndex of each of tokenPairs.
var tokenPair = func() (t [26 * 26]bool) {
	for _, p := range tokenPairs {
		t[kwIndex(p[0], p[1])] = true
	}
	return t
}()

// urlSafe reports whether c is in [A-Za-z0-9_-].
func urlSafe(c byte) bool { return isAlnum[c] || c == '_' || c == '-' }

// runOf returns the end of the run of bytes from p that ok accepts.
func runOf(b []byte, p int, ok func(byte) bool) int {
	for p < len(b) && ok(b[p]) {
		p++
	}
	return p
}

func alnumByte(c byte) bool { return isAlnum[c] }

// vendorToken examines a token that may start at b[i], whose leading
// alphanumeric run ends at k. It reports a match and returns its end, or
// returns k.
func (s *Matcher) vendorToken(i, k int) int {
	b := s.b
	// Every prefix but AIza ends its leading word with '_', '-' or '.'
	// within six bytes.
	if i > 0 && (wordChar(b[i-1]) || b[i-1] == '-') ||
		b[i] != 'A' && (k-i > 6 || k >= len(b) || b[k] != '_' && b[k] != '-' && b[k] != '.') {
		return k
	}
	w := b[i:]
	start, end := i, -1
	switch b[i] {
	case 'g':
		switch {
		case len(w) > 4 && w[0] == 'g' && w[1] == 'h' && w[3] == '_' &&
			(w[2] == 'p' || w[2] == 'o' || w[2] == 'u' || w[2] == 's' || w[2] == 'r'):
			end = checksumToken(b, i+4)
		case bytes.HasPrefix(w, []byte("github_pat_")):
			p := i + len("github_pat_")
			e := runOf(b, p, wordChar)
			if e-p == 82 && b[p+22] == '_' && runOf(b, p, alnumByte) == p+22 &&
				runOf(b, p+23, alnumByte) == e && !tokenPlaceholder(b[p:e]) {
				end = e
			}
		case bytes.HasPrefix(w, []byte("glpat-")):
			p := i + len("glpat-")
			e := runOf(b, p, urlSafe)
			if e-p >= 20 && e-p <= 255 && !tokenPlaceholder(b[p:e]) {
				end = e
			}
		}
	case 'n':
		if bytes.HasPrefix(w, []byte("npm_")) {
			end = checksumToken(b, i+4)
		}
	case 'x':
		if len(w) > 5 && w[4] == '-' && bytes.HasPrefix(w, []byte("xox")) &&
			(w[3] == 'b' || w[3] == 'p' || w[3] == 'a' || w[3] == 's') {
			end = slackToken(b, i+5)
		} else if bytes.HasPrefix(w, []byte("xapp-")) {
			end = slackAppToken(b, i+5)
		}
	case 'h':
		const hook = "hooks.slack.com/services/"
		if bytes.HasPrefix(w, []byte(hook)) {
			start = i + len(hook)
			end = slackWebhook(b, start)
		}
	case 's', 'r':
		switch {
		case len(w) > 8 && w[1] == 'k' && w[2] == '_' && w[7] == '_' &&
			(bytes.Equal(w[3:7], []byte("live")) || bytes.Equal(w[3:7], []byte("test"))):
			p := i + 8
			e := runOf(b, p, alnumByte)
			if e-p >= 20 && e-p <= 247 && !tokenPlaceholder(b[p:e]) {
				end = e
			}
		case b[i] == 's' && bytes.HasPrefix(w, []byte("sk-ant-")):
			end = anthropicKey(b, i+len("sk-ant-"))
		case b[i] == 's' && len(w) > 3 && w[1] == 'k' && w[2] == '-':
			p := i + 3
			e := runOf(b, p, urlSafe)
			if e-p >= 40 && e-p <= 512 {
				if m := bytes.Index(b[p:e], []byte("T3BlbkFJ")); m >= 8 && e-(p+m+8) >= 8 && !tokenPlaceholder(b[p:e]) {
					end = e
				}
			}
		}
	case 'p':
		const pypi = "pypi-AgEIcHlwaS5vcmc"
		if bytes.HasPrefix(w, []byte(pypi)) {
			p := i + len(pypi)
			e := runOf(b, p, urlSafe)
			if e-p >= 50 && !tokenPlaceholder(b[p:e]) {
				end = e
			}
		}
	case 'S':
		if len(w) > 3 && w[1] == 'G' && w[2] == '.' {
			p := i + 3
			e := runOf(b, p, urlSafe)
			if e-p == 22 && e < len(b) && b[e] == '.' {
				f := runOf(b, e+1, urlSafe)
				if f-(e+1) == 43 && !tokenPlaceholder(b[p:e]) && !tokenPlaceholder(b[e+1:f]) {
					end = f
				}
			}
		}
	case 'A':
		if len(w) > 4 && w[1] == 'I' && w[2] == 'z' && w[3] == 'a' {
			p := i + 4
			e := runOf(b, p, urlSafe)
			if e-p == 35 && !tokenPlaceholder(b[p:e]) {
				end = e
			}
		}
	}
	if end < 0 || end < len(b) && (wordChar(b[end]) || b[end] == '-') {
		return k
	}
	s.emit(dVendorToken, start, end, finding.ConfidenceHigh)
	return max(end, k)
}

// checksumToken checks a GitHub or npm token body at b[p:]: 36 base-62
// characters whose last six are the base-62 CRC32 of the thirty before
// them. It returns the end of the token or -1.
func checksumToken(b []byte, p int) int {
	e := runOf(b, p, alnumByte)
	if e-p != 36 || !githubChecksum(b[p:e]) {
		return -1
	}
	return e
}

const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// githubChecksum reports whether the last six characters of the 36-byte
// body are the base-62 CRC32 (IEEE) of its first thirty, left-padded with
// '0'.
func githubChecksum(body []byte) bool {
	return bytes.Equal(body[30:], base62CRC(body[:30]))
}

// base62CRC returns the six-character base-62 CRC32 of data.
func base62CRC(data []byte) []byte {
	v := crc32.ChecksumIEEE(data)
	out := []byte("000000")
	for x := 5; x >= 0 && v > 0; x-- {
		out[x] = base62Digits[v%62]
		v /= 62
	}
	return out
}

// slackToken checks the body of an xoxb-/xoxp-/xoxa-/xoxs- token at b[p:]:
// dash-separated parts, the first a numeric id, at least three in all, the
// last a secret of at least 16 alphanumerics mixing letters and digits
// (or not, after two long numeric ids).
// It returns the end or -1.
func slackToken(b []byte, p int) int {
	e := runOf(b, p, func(c byte) bool { return isAlnum[c] || c == '-' })
	body := b[p:e]
	parts := bytes.Split(body, []byte("-"))
	if len(parts) < 3 || len(body) < 30 || len(body) > 255 {
		return -1
	}
	if !allDigits(parts[0]) {
		return -1
	}
	last := parts[len(parts)-1]
	// The secret is random: letters alone one time in seventy, so after
	// two numeric ids (xoxb-<team>-<bot>-<secret>) it need not mix.
	ids := len(parts[1]) >= 8 && allDigits(parts[1]) && len(parts[0]) >= 8
	if len(last) < 16 || !(hasLetter(last) && hasDigit(last)) && !ids || tokenPlaceholder(last) {
		return -1
	}
	return e
}

// slackAppToken checks the body of an xapp- token at b[p:]:
// 1-A0123456789-1234567890123-<hex>. It returns the end or -1.
func slackAppToken(b []byte, p int) int {
	e := runOf(b, p, func(c byte) bool { return isAlnum[c] || c == '-' })
	parts := bytes.Split(b[p:e], []byte("-"))
	if len(parts) != 4 || !allDigits(parts[0]) ||
		len(parts[1]) < 8 || !allDigits(parts[2]) || len(parts[2]) < 8 ||
		len(parts[3]) < 32 || runOf(parts[3], 0, isHex) != len(parts[3]) || tokenPlaceholder(parts[3]) {
		return -1
	}
	return e
}

// slackWebhook checks the path of a Slack incoming webhook at b[p:]:
// T<team>/B<channel>/<secret of 24 alphanumerics>. It returns the end or -1.
func slackWebhook(b []byte, p int) int {
	id := func(q int, lead byte) int {
		if q >= len(b) || b[q] != lead {
			return -1
		}
		e := runOf(b, q+1, func(c byte) bool { return isUpper(c) || isDigit(c) })
		if e-q < 9 || e-q > 13 || e >= len(b) || b[e] != '/' {
			return -1
		}
		return e + 1
	}
	q := id(p, 'T')
	if q < 0 {
		return -1
	}
	if q = id(q, 'B'); q < 0 {
		return -1
	}
	e := runOf(b, q, alnumByte)
	if e-q != 24 || tokenPlaceholder(b[q:e]) {
		return -1
	}
	return e
}

// anthropicKey checks the rest of an Anthropic key after "sk-ant-":
// api03- or admin01- and 93 of [A-Za-z0-9_-] ending in "AA". It returns
// the end or -1.
func anthropicKey(b []byte, p int) int {
	switch {
	case bytes.HasPrefix(b[p:], []byte("api03-")):
		p += len("api03-")
	case bytes.HasPrefix(b[p:], []byte("admin01-")):
		p += len("admin01-")
	default:
		return -1
	}
	e := runOf(b, p, urlSafe)
	if e-p != 95 || b[e-2] != 'A' || b[e-1] != 'A' || tokenPlaceholder(b[p:e]) {
		return -1
	}
	return e
}

// tokenWords are words that mark a token body as written by a person:
// documentation's placeholders.
var tokenWords = []string{"xxxx", "your", "example", "redacted", "placeholder", "dummy", "fake",
	"token", "secret", "sample", "changeme", "insert", "replace"}

// tokenPlaceholder reports whether a token body is a placeholder: a word
// of tokenWords in any case, a run of five of one character, a counting
// run ("12345", "abcde") of half its length, or a body too short or of
// too few different characters to be random.
func tokenPlaceholder(body []byte) bool {
	if len(body) < 8 {
		return true
	}
	var seen [256]bool
	distinct, same, count := 0, 1, 0
	for x, c := range body {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
		if x == 0 {
			continue
		}
		if c == body[x-1] || toLower(c) == toLower(body[x-1]) && isLetter(c) {
			same++
			if same >= 5 {
				return true
			}
		} else {
			same = 1
		}
		if c == body[x-1]+1 {
			count++
		}
	}
	if count*2 >= len(body) || distinct*3 < min(len(body), 30) {
		return true
	}
	for _, w := range tokenWords {
		if indexFold(body, w) >= 0 {
			return true
		}
	}
	return false
}
