package detect

import (
	"slices"
	"testing"
)

// TestCredentialDirectives holds credential_field to the configuration
// directives that hold a password after a space (issue 12): Redis,
// Sentinel, OpenLDAP, ldap.conf, keepalived, squid, BIND and HAProxy.
// Only the directives' own names count, at the start of a line.
func TestCredentialDirectives(t *testing.T) {
	e := allBuiltins(t)
	const f = "credential_field="
	tests := []foundCase{
		{"redis requirepass", "requirepass foobared", []string{f + "foobared"}},
		{"redis requirepass quoted", `requirepass "foob4red-x"`, []string{f + "foob4red-x"}},
		{"redis masterauth", "masterauth s3cr3tPass", []string{f + "s3cr3tPass"}},
		{"redis masterauth comment", "masterauth s3cr3tPass # set by ansible", []string{f + "s3cr3tPass"}},
		{"sentinel auth-pass", "sentinel auth-pass mymaster MySUPER--secret-0123passw0rd", []string{f + "MySUPER--secret-0123passw0rd"}},
		{"slapd rootpw hash", "rootpw {SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", []string{f + "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="}},
		{"ldap bindpw", "bindpw Ld4p-B1nd", []string{f + "Ld4p-B1nd"}},
		{"keepalived", "        auth_pass 42sEcr3t", []string{f + "42sEcr3t"}},
		{"squid", "cachemgr_passwd Sq1d-mgr all", []string{f + "Sq1d-mgr"}},
		{"bind key", "key \"rndc-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0LWtleS1ibGFo\";\n};", []string{f + "c2VjcmV0LWtleS1ibGFo"}},
		{"haproxy", "    user admin insecure-password Hap-pr0xy!", []string{f + "Hap-pr0xy!"}},

		{"masteruser is a user", "masteruser replica-user", nil},
		{"sudoers flag", "Defaults rootpw", nil},
		{"prose", "requirepass is the password clients must send", nil},
		{"not at line start", "the bindpw setting", nil},
		{"placeholder", "requirepass ${REDIS_PASSWORD}", nil},
		{"empty", "requirepass \"\"", nil},
		{"bind secret unquoted", "secret sauce;", nil},
		{"prose secret", `secret "word" in a sentence`, nil},
	}
	checkFound(t, e, tests)
}

// TestCredentialCommandLines holds credential_field to the passwords given
// on command lines, as shell history, scripts, cron jobs and ps output in
// logs keep them (issue 12): only after the named command, on its line.
func TestCredentialCommandLines(t *testing.T) {
	e := allBuiltins(t)
	const f = "credential_field="
	tests := []foundCase{
		{"mysql attached", "mysql -uroot -pS3cret db", []string{f + "S3cret"}},
		{"mysql long", "mysql --password=S3cret db", []string{f + "S3cret"}},
		{"mysqldump quoted", "mysqldump -p'S3 cret' db > x.sql", []string{f + "S3 cret"}},
		{"mysqldump double quoted", `mysqldump -u app -p"Dump-Pw_2026" --all-databases | gzip > all.sql.gz`, []string{f + "Dump-Pw_2026"}},
		{"mysql path", "/usr/bin/mysql -uroot -pS3cret", []string{f + "S3cret"}},
		{"mysql in cron", "0 3 * * * root mysqldump -uroot -pCr0n-pw db > /var/backups/db.sql", []string{f + "Cr0n-pw"}},
		{"mariadb-dump", "mariadb-dump -pS3cret db", []string{f + "S3cret"}},
		{"sshpass", "sshpass -p 'S3cret' ssh user@host", []string{f + "S3cret"}},
		{"sshpass attached", "sshpass -pS3cret scp a host:b", []string{f + "S3cret"}},
		{"curl user", "curl -u user:S3cret https://example.com/", []string{f + "S3cret"}},
		{"curl long user", `curl --user "user:S3cret" https://example.com/`, []string{f + "S3cret"}},
		{"curl then bearer", `curl -u user:S3cret -H "Authorization: Bearer abcdef0123456789"`, []string{f + "S3cret", "authorization_header=abcdef0123456789"}},
		{"docker login", "docker login -u x -p S3cret registry.example.com", []string{f + "S3cret"}},
		{"docker login long", "docker login --username x --password=S3cret", []string{f + "S3cret"}},
		{"podman login", "podman login -u x --password S3cret quay.io", []string{f + "S3cret"}},
		{"redis-cli", "redis-cli -a S3cret ping", []string{f + "S3cret"}},
		{"redis-cli after pipe", "echo PING | redis-cli -h cache -a 'S3cret' --no-auth-warning", []string{f + "S3cret"}},
		{"htpasswd", "htpasswd -b /etc/nginx/.htpasswd user S3cret", []string{f + "S3cret"}},
		{"htpasswd no file", "htpasswd -nb user S3cret", []string{f + "S3cret"}},
		{"sh -c", `sh -c "mysql -uroot -pS3cret db"`, []string{f + "S3cret"}},
		{"sh -c next quote", `sh -c "mysql -uroot db" && echo "-pS3cret"`, nil},
		{"exec form", `    command: ["redis-server", "--requirepass", "r3d1s-Cache-Pw"]`, []string{f + "r3d1s-Cache-Pw"}},
		{"exec form masterauth", `CMD ["redis-server", "--masterauth", "Rpl-9fKq2", "--port", "6380"]`, []string{f + "Rpl-9fKq2"}},
		{"exec form mysql", `command: ["mysqladmin", "ping", "-h", "localhost", "-pS3cret"]`, []string{f + "S3cret"}},
		{"redis-server shell", "redis-server /etc/redis.conf --requirepass S3cret", []string{f + "S3cret"}},
		{"exec form variable", `command: ["redis-server", "--requirepass", "$REDIS_PASSWORD"]`, nil},
		{"pgpassword", "PGPASSWORD=S3cret psql -h db -U app", []string{f + "S3cret"}},

		{"mysql prompt", "mysql -p db", nil},
		{"mysql prompt alone", "mysql -u root -p", nil},
		{"mysql port", "mysql -P 3306 -h db", nil},
		{"other command -p", "nc -p 3306 host", nil},
		{"docker run -p", "docker run -p 8080:80 nginx", nil},
		{"docker no login", "docker push -p x", nil},
		{"curl user prompt", "curl -u user https://example.com/", nil},
		{"redis-cli port", "redis-cli -h host -p 6379 ping", nil},
		{"htpasswd prompt", "htpasswd -c /etc/nginx/.htpasswd user", nil},
		{"variable", "mysql -uroot -p$MYSQL_ROOT_PASSWORD db", nil},
		{"variable quoted", `mysql -uroot -p"${DB_PASS}" db`, nil},
		{"substitution", `sshpass -p "$(cat /run/secrets/pw)" ssh host`, nil},
		{"after the command's line", "mysql -u root\n-pS3cret", nil},
		{"after a pipe", "mysql db | grep -pS3cret", nil},
		{"word in prose", "the mysql client", nil},
		{"glued", "mysqlx -pS3cret", nil},
	}
	checkFound(t, e, tests)
}

// PowerShell: the plain-text password of ConvertTo-SecureString is the
// secret a script leaks (PSScriptAnalyzer's
// AvoidUsingConvertToSecureStringWithPlainText); a cmdlet called for a
// value is none.
func TestCredentialPowerShell(t *testing.T) {
	e := allBuiltins(t)
	const f = "credential_field="
	tests := []struct {
		text string
		want []string
	}{
		{`New-LocalUser -Name svc -Password (ConvertTo-SecureString 'Ps-Pw-7781x' -AsPlainText -Force)`, []string{f + "Ps-Pw-7781x"}},
		{`$cred = New-Object PSCredential('svc', (ConvertTo-SecureString "Ps-Pw-7781x" -AsPlainText -Force))`, []string{f + "Ps-Pw-7781x"}},
		{`$pw = convertto-securestring -String 'Ps-Pw-7781x' -asplaintext -force`, []string{f + "Ps-Pw-7781x"}},
		{`$pw = ConvertTo-SecureString $env:DB_PASSWORD -AsPlainText -Force`, nil},
		{`$pw = ConvertTo-SecureString "$env:DB_PASSWORD" -AsPlainText -Force`, nil},
		{`$pw = ConvertTo-SecureString 'Ps-Pw-7781x'`, nil}, // an encrypted standard string, not plain text
		{`$pw = $encrypted | ConvertTo-SecureString`, nil},
		{`$token = Get-AzAccessToken`, nil},
		{`$password = Read-Host -AsSecureString`, nil},
		{`$password = Get-Credential`, nil},
	}
	for _, tt := range tests {
		if got := found(e, tt.text, nil); !slices.Equal(got, tt.want) {
			t.Errorf("Scan(%q)\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

// foundCase is one row of a table that checkFound runs: want holds
// rule=exact span of every finding in text; nil means nothing may be found.
type foundCase struct {
	name string
	text string
	want []string
}

// checkFound scans each case's text with e, in a subtest of its name, and
// fails unless the findings are exactly the case's want.
func checkFound(t *testing.T, e *Engine, tests []foundCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := found(e, tc.text, nil); !slices.Equal(got, tc.want) {
				t.Errorf("%q\n got %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
}
