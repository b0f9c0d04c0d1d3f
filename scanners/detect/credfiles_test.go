package detect

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCredentialFileNames(t *testing.T) {
	for _, tt := range []struct {
		path string
		want FileKind
	}{
		{"/home/u/.pgpass", FilePgpass},
		{`C:\Users\u\AppData\Roaming\postgresql\pgpass.conf`, FilePgpass},
		{"backup.tar!home/u/.pgpass", FilePgpass},
		{"home.tgz!u/.netrc", FileNetrc},
		{`C:\Users\u\_netrc`, FileNetrc},
		{"/etc/pgbouncer/userlist.txt", FileUserlist},
		{"/var/www/.htpasswd", FileHtpasswd},
		{"/home/u/.pgpass.bak", FileNone},
		{"/home/u/pgpass", FileNone},
		{"notes/netrc.md", FileNone},
		{"/home/u/.netrc/", FileNone},
	} {
		if got := CredentialFile(tt.path); got != tt.want {
			t.Errorf("CredentialFile(%q) = %d, want %d", tt.path, got, tt.want)
		}
	}
}

// foundIn is found for the text of a credential file of kind k.
func foundIn(e *Engine, k FileKind, text string) []string {
	s := e.NewMatcher()
	s.SetFile(k)
	var out []string
	for _, m := range s.Scan([]byte(text), nil) {
		out = append(out, fmt.Sprintf("%s=%s", e.Rules()[m.Rule].ID, text[m.Start:m.End]))
	}
	return out
}

// TestCredentialFiles holds credential_file to the formats of .pgpass,
// .netrc, pgbouncer's userlist.txt and .htpasswd, and to the lines of
// those files that hold no password.
func TestCredentialFiles(t *testing.T) {
	e := allBuiltins(t)
	const c = "credential_file="
	tests := []struct {
		name string
		kind FileKind
		text string
		want []string // credential_file spans; nil means none
	}{
		{"pgpass", FilePgpass, "db1.internal:5432:orders:app:Wp7nQ2xZ\n", []string{c + "Wp7nQ2xZ"}},
		{"pgpass wildcards", FilePgpass, "*:*:*:replicator:r3pl-Secret!\r\n", []string{c + "r3pl-Secret!"}},
		{"pgpass escapes", FilePgpass, `db\:x:5432:*:bob:p\:ss\\w0rd` + "\n", []string{c + `p\:ss\\w0rd`}},
		{"pgpass colon in password", FilePgpass, "h:5432:db:u:a:b:c\n", []string{c + "a:b:c"}},
		{"pgpass comment", FilePgpass, "# hostname:port:database:username:password\n", nil},
		{"pgpass short line", FilePgpass, "localhost:5432:db:user\n", nil},
		{"pgpass empty password", FilePgpass, "localhost:5432:db:user:\n", nil},
		{"pgpass several", FilePgpass, "a:1:*:u:Kp2m9Qx\n\nb:2:*:v:Zr8Lw3n\n", []string{c + "Kp2m9Qx", c + "Zr8Lw3n"}},
		{"netrc one line", FileNetrc, "machine api.example.com login alice password Zq8wPm3Kx1\n", []string{c + "Zq8wPm3Kx1"}},
		{"netrc lines", FileNetrc, "machine ftp.example.org\n\tlogin bob\n\tpassword  H7v-Qe2r\n\ndefault login anonymous password guest@\n",
			[]string{c + "H7v-Qe2r", c + "guest@"}},
		{"netrc quoted", FileNetrc, `machine h login u password "two words"` + "\n", []string{c + "two words"}},
		{"netrc comment", FileNetrc, "# machine h login u password notreal1\nmachine h2 login u2 password R3al-one\n", []string{c + "R3al-one"}},
		{"netrc macdef", FileNetrc, "machine h login u password P4ss-w0rd\nmacdef init\ncd password\nput x\n\nmachine k password Q9-z\n",
			[]string{c + "P4ss-w0rd", c + "Q9-z"}},
		{"netrc no password", FileNetrc, "machine h login u account acme\n", nil},
		{"userlist plaintext", FileUserlist, `"app" "Pg-b0uncer!"` + "\n", []string{c + "Pg-b0uncer!"}},
		{"userlist md5", FileUserlist, `"report" "md5a3556571e93b0d20722ba62be61e8c2d"` + "\n", []string{c + "md5a3556571e93b0d20722ba62be61e8c2d"}},
		{"userlist scram", FileUserlist, `"svc" "SCRAM-SHA-256$4096:c2FsdHNhbHQ=$Zm9vYmFy:YmF6cXV4"` + "\n", nil},
		{"userlist doubled quote", FileUserlist, `"o""neil" "a""b-9x"` + "\n", []string{c + `a""b-9x`}},
		{"userlist comment", FileUserlist, `;"x" "y"` + "\n", nil},
		{"htpasswd apr1", FileHtpasswd, "alice:$apr1$ySg7Mq0x$Qt4cRs7dEo8pXw1.Zb5Jz/\n", nil},
		{"htpasswd bcrypt", FileHtpasswd, "bob:$2y$05$W9f8uXb3lG6pZ0yq1m4wEu4jJk2QeYc7R3nVtH8sLrA1oP6xZ9d2a\n", nil},
		{"htpasswd sha", FileHtpasswd, "carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", nil},
		{"htpasswd crypt", FileHtpasswd, "dave:rqXexS6ZhobKA\n", nil},
		{"htpasswd plain", FileHtpasswd, "erin:plain-Text-pw9\n", []string{c + "plain-Text-pw9"}},
		{"other file", FileNone, "db1.internal:5432:orders:app:Wp7nQ2xZ\nmachine h login u password Zq8wPm3Kx1\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withPrefix(foundIn(e, tt.kind, tt.text), c)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestDockerAuth holds credential_file to Docker's "auth" values in any
// file, and to the "auth" values that are no user:password.
func TestDockerAuth(t *testing.T) {
	e := allBuiltins(t)
	const c = "credential_file="
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	up := b64("alice:S3cr3tPass")
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"config.json", `			"auth": "` + up + `"`, []string{c + up}},
		{"gcr json key login", `"auth": "` + b64("_json_key:"+strings.Repeat("{\n  \"type\": \"service_account\",\n  \"private_key\": \"k\"\n}", 70)) + `"`,
			[]string{c + b64("_json_key:"+strings.Repeat("{\n  \"type\": \"service_account\",\n  \"private_key\": \"k\"\n}", 70))}},
		{"user with a line break", `"auth": "` + b64("ali\nce:S3cr3tPass") + `"`, nil},
		{"dockercfg one line", `{"registry.example.com":{"auth":"` + b64("ci-bot:Gh-9xQ2") + `","email":"ci@example.com"}}`,
			[]string{c + b64("ci-bot:Gh-9xQ2")}},
		{"jackson space", `"auth" : "` + up + `"`, []string{c + up}},
		{"unpadded", `"auth": "` + strings.TrimRight(b64("bob:pw-1234x"), "=") + `"`, []string{c + strings.TrimRight(b64("bob:pw-1234x"), "=")}},
		{"no colon", `"auth": "` + b64("justatokenvalue") + `"`, nil},
		{"no password", `"auth": "` + b64("alice:") + `"`, nil},
		{"binary", `"auth": "AAECAwQFBgcICQoLDA0ODxAREhM="`, nil},
		{"not base64", `"auth": "basic"`, nil},
		{"other key", `"oauth": "` + up + `"`, nil},
		{"placeholder password", `"auth": "` + b64("user:password") + `"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withPrefix(found(e, tt.text, nil), c)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// withPrefix returns the findings of all that start with p (a rule's
// "name="), in order.
func withPrefix(all []string, p string) []string {
	var got []string
	for _, g := range all {
		if strings.HasPrefix(g, p) {
			got = append(got, g)
		}
	}
	return got
}
