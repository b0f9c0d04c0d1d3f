package detect

import (
	"slices"
	"testing"
)

// TestCredentialForms holds the credential detectors to the forms secrets
// are written in by configuration files, scripts and logs (issue 12), and
// to the values written in the same forms that are not secrets.
func TestCredentialForms(t *testing.T) {
	e := allBuiltins(t)
	const f, a, u, k = "credential_field=", "authorization_header=", "url_credential=", "aws_access_key_id="
	tests := []struct {
		name string
		text string
		want []string // rule=exact span; nil means nothing may be found
	}{
		// Pretty-printed JSON: Jackson writes a space before the colon.
		{"jackson", `  "client_secret" : "6da891e0a7c34b",`, []string{f + "6da891e0a7c34b"}},
		{"jackson password", `{ "password" : "Kc-Smtp!pw-338" }`, []string{f + "Kc-Smtp!pw-338"}},
		{"jackson tab", "\"apiKey\"\t:\t\"ak_9f2K4m7Q\"", []string{f + "ak_9f2K4m7Q"}},
		{"jackson not a secret key", `  "clientAuthenticatorType" : "client-secret",`, nil},
		{"actions permission", `  id-token: write`, nil},
		{"webdav lock token", `Token: urn:uuid:e71d4fae-5dec-22d6-fea5-00a0c91e6be4`, nil},
		{"helm existing secret", `  existingSecret: my-release-postgresql`, nil},
		{"key file name", `  privateKey: private.key`, nil},
		{"sigv4", `Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024`, []string{k + "AKIAIOSFODNN7EXAMPLE"}},
		{"perl version", `    'Test2::Event::Pass' => '1.302183',`, nil},
		{"markup", `password = <span class="hljs-string">`, nil},
		{"fill-in phrase", `API_KEY=your-api-key-here`, nil},
		{"windows env reference", `DB_PASS=%DB_PASS%`, nil},
		{"ansible vault", `db_password: !vault |`, nil},
		{"vault path", `db_password: vault:secret/data/db#password`, nil},
		{"secrets manager arn", `token: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf`, nil},
		{"ruby interpolation", `password: "#{DB_PASSWORD}"`, nil},
		{"quoted secret starting with <", `password: "<Xk2p>9q!"`, []string{f + "<Xk2p>9q!"}},
		{"go test verdict", `--- PASS: TestLoginFlow (0.02s)`, nil},
		{"automake verdict", `PASS: t-login.sh`, nil},
		{"yaml pass", `  pass: Sup3r-s3cret`, []string{f + "Sup3r-s3cret"}},
		{"public key token", `amd64_microsoft-windows-servicingstack_31bf3856ad364e35, Version=6.1.7601.23505, PublicKeyToken=31bf3856ad364e35, processorArchitecture=amd64`, nil},

		// Aligned assignments and INI, TOML, .env, properties, YAML.
		{"aligned", `password       = "rootpasswd"`, []string{f + "rootpasswd"}},
		{"aligned tabs", "password\t\t= hunter2x", []string{f + "hunter2x"}},
		{"toml", `db_password = 'T0ml-pw!'`, []string{f + "T0ml-pw!"}},
		{"dotenv", `DB_PASSWORD=Xk2pLq9`, []string{f + "Xk2pLq9"}},
		{"dotenv export", `export MYSQL_ROOT_PASSWORD="My-R00t"`, []string{f + "My-R00t"}},
		{"properties", `spring.datasource.password=Qm7#vL2p!orders`, []string{f + "Qm7#vL2p!orders"}},
		{"properties long key", `spring.security.oauth2.client.registration.keycloak.client-secret=5f0c1e7a-93b2`, []string{f + "5f0c1e7a-93b2"}},
		{"yaml", `  password: correct-horse`, []string{f + "correct-horse"}},

		// Key names that contain a secret word.
		{"word inside", `password_super_secure = "s3cr3tv4lue"`, []string{f + "s3cr3tv4lue"}},
		{"camel", `dbPassword = "s3cr3tv4lue"`, []string{f + "s3cr3tv4lue"}},
		{"generic token camel", `genericToken = "abc123XYZ789"`, []string{f + "abc123XYZ789"}},
		{"generic token upper", `GENERIC_TOKEN = "abc123XYZ789"`, []string{f + "abc123XYZ789"}},
		{"kebab", `client-secret: abc123XYZ789`, []string{f + "abc123XYZ789"}},
		{"pass word", `RABBITMQ_DEFAULT_PASS: R4bb1t-Wh1sker`, []string{f + "R4bb1t-Wh1sker"}},
		{"pw word", `mysqli.default_pw = "Php-My5ql-pw"`, []string{f + "Php-My5ql-pw"}},
		{"secret word first", `secret_key_base = "9c2e7f1a4b8d"`, []string{f + "9c2e7f1a4b8d"}},

		// Assignment operators of scripts and source files.
		{"go define", `password := "Dpl0y-Pg!77"`, []string{f + "Dpl0y-Pg!77"}},
		{"go define camel", `	apiToken := "tok_7Hq2Lm9Xv4Rp8Sz3"`, []string{f + "tok_7Hq2Lm9Xv4Rp8Sz3"}},
		{"php arrow", `    'password'  => 'Lrv-MyPw_5521',`, []string{f + "Lrv-MyPw_5521"}},
		{"ruby arrow", `:password => "Rb-pw-2231"`, []string{f + "Rb-pw-2231"}},
		{"make default", `DB_PASSWORD ?= mk-Dev-Pw-4410`, []string{f + "mk-Dev-Pw-4410"}},
		{"make immediate", `DB_PASSWORD := mk-Dev-Pw-4410`, []string{f + "mk-Dev-Pw-4410"}},
		{"php append", `$password .= "Ap-pend-77";`, []string{f + "Ap-pend-77"}},
		{"objective-c", `apiKey = @"Oc-9x!k2"`, []string{f + "Oc-9x!k2"}},
		{"php append to array", `$db_password[]= "Arr-pw-3"`, []string{f + "Arr-pw-3"}},
		{"space after equals", `the_password= "Sp-after-1"`, []string{f + "Sp-after-1"}},
		{"define no spaces", `apikey:="Nx-{p}(q)"`, []string{f + "Nx-{p}(q)"}},
		{"php index", `$config['encryption_key'] = 'Kc9vT2xL7mQ4wR8z';`, []string{f + "Kc9vT2xL7mQ4wR8z"}},
		{"python index", `os.environ["DB_PASSWORD"] = "Py-Env-pw9"`, []string{f + "Py-Env-pw9"}},
		{"set property", `System.setProperty("X_TOKEN", "abc123XYZ789");`, []string{f + "abc123XYZ789"}},
		{"define", `define('DB_PASSWORD', 'Wp-DbPw_8812!');`, []string{f + "Wp-DbPw_8812!"}},
		{"setenv", `os.Setenv("VAULT_TOKEN", "hvs.QmR2x7Lp9Kw4Zt8Vn3Yb")`, []string{f + "hvs.QmR2x7Lp9Kw4Zt8Vn3Yb"}},
		{"map put", `props.put("db.password", "Pr0ps-pw");`, []string{f + "Pr0ps-pw"}},
		{"set item", `localStorage.setItem('authToken', 'eyJ0eXAi.x9Z');`, []string{f + "eyJ0eXAi.x9Z"}},
		{"xml element", `<password>s3cr3tv4lue</password>`, []string{f + "s3cr3tv4lue"}},
		{"xml element dotted", `<sonar.token>squ_4f9a2c7e1b8d</sonar.token>`, []string{f + "squ_4f9a2c7e1b8d"}},
		{"xml element encrypted", `<password>{QmFzZTY0RW5j=}</password>`, []string{f + "{QmFzZTY0RW5j=}"}},
		{"xml cdata", `<passphrase><![CDATA[gpg-Pa55&more]]></passphrase>`, []string{f + "gpg-Pa55&more"}},
		{"xml element with attributes", `        <Pass encoding="base64">UzNjcjN0LUZ0cA==</Pass>`, []string{f + "UzNjcjN0LUZ0cA=="}},
		{"xml self-closing", `<password encrypted="true"/>`, nil},
		{"dotnet appSettings", `<add key="ApiSecret" value="Ax9-Web-Config" />`, []string{f + "Ax9-Web-Config"}},
		{"ant property", `<property name="password" value="Ant-Pw-4411"/>`, []string{f + "Ant-Pw-4411"}},
		{"properties xml", `<entry key="db.password">Pr0p-Xml-pw</entry>`, []string{f + "Pr0p-Xml-pw"}},
		{"named value not a secret", `<add key="TokenLifetime" value="3600" /><property name="url" value="jdbc:x"/>`, nil},
		{"named value placeholder", `<property name="password" value="${db.password}"/>`, nil},
		{"xml attribute", `<Resource name="jdbc/app" username="app" password="Tc-J0bc!pw91"/>`, []string{f + "Tc-J0bc!pw91"}},
		{"xml attribute camel", `connectionPassword="Ld4p-B1nd#2026"`, []string{f + "Ld4p-B1nd#2026"}},

		// URL credentials, any scheme.
		{"url https", "https://alice:s3cr3tv4lue@example.com/x", []string{u + "s3cr3tv4lue"}},
		{"url mongodb srv", "mongodb+srv://alice:s3cr3tv4lue@cluster0.ab1cd.mongodb.net/db", []string{u + "s3cr3tv4lue"}},
		{"url jdbc", "jdbc:mysql://alice:s3cr3tv4lue@db.example.com:3306/app", []string{u + "s3cr3tv4lue"}},
		{"url redis no user", "redis://:r3d1s-Cache-Pw@cache:6379/0", []string{u + "r3d1s-Cache-Pw"}},
		{"url amqp", `RABBITMQ_URL=amqp://shop:R4bb1t-Wh1sker@mq:5672/`, []string{u + "R4bb1t-Wh1sker"}},
		{"url ftp", "ftp://backup:Ftp-pw-01@ftp.example.net/dump.sql", []string{u + "Ftp-pw-01"}},
		{"url postgres in json", `{"dsn":"postgres://app:Pg-9x@db:5432/app"}`, []string{u + "Pg-9x"}},
		{"url placeholder", "postgres://app:${DB_PASSWORD}@db:5432/app", nil},
		{"url format verb", `fmt.Sprintf("postgres://%s:%s@db/app", u, p)`, nil},
		{"url doc placeholder", "https://user:password@host", nil},

		// AWS key ids outside a field.
		{"aws bare", "key AKIAIOSFODNN7EXAMPLE used", []string{k + "AKIAIOSFODNN7EXAMPLE"}},
		{"aws quoted", `"AKIA2JQXHW5RTEVPLQ3M"`, []string{k + "AKIA2JQXHW5RTEVPLQ3M"}},
		{"aws letters only", "id AKIAQXBZNMUVWRKDEFGH in use", []string{k + "AKIAQXBZNMUVWRKDEFGH"}},
		{"aws sts", "id=ASIAZ7QK4MNB3XWR2PLE,", []string{k + "ASIAZ7QK4MNB3XWR2PLE"}},
		{"aws digit outside base32", "AKIAIOSFODNN8EXAMPLE", nil},
		{"aws too long", "AKIAIOSFODNN7EXAMPLEX", nil},
		{"aws lower case", "AKIAiosfodnn7example", nil},
		{"aws one letter repeated", "AKIAAAAAAAAAAAAAAAAA", nil},

		// Secrets with punctuation in quoted values.
		{"punctuation single", `password = 'm{{h}o)p${e]nob(ody[finds>-_$#thisone}}'`, []string{f + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"}},
		{"punctuation json", `"password": "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"`, []string{f + "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}"}},
		{"punctuation define", `define('AUTH_KEY', 'x7#Lq(2mV!9pR@4sT^1wZ*6nB');`, []string{f + "x7#Lq(2mV!9pR@4sT^1wZ*6nB"}},

		// Placeholders after Bearer.
		{"bearer redacted angle", `"Authorization": "Bearer <redacted>"`, nil},
		{"bearer redacted square", `authorization="Bearer [REDACTED]" latency_ms=7`, nil},
		{"bearer stars", `"authorization":"Bearer ********"`, nil},
		{"bearer braces", `"Authorization": "Bearer {token}"`, nil},
		{"bearer braces long", `"Authorization": "Bearer {access_token}"`, nil},
		{"bearer variable", `"Authorization": "Bearer ${TOKEN}"`, nil},
		{"bearer shell", `-H "Authorization: Bearer $(cat token.txt)"`, nil},
		{"bearer angle placeholder", `Authorization: Bearer <YOUR_API_TOKEN>`, nil},
		{"bearer real", `{"authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.qJ7nR4m2Lx9"}`, []string{a + "eyJhbGciOiJIUzI1NiJ9.e30.qJ7nR4m2Lx9"}},

		// Variable references.
		{"terraform var", `  password = var.db_password`, nil},
		{"terraform local", `  api_token = local.api_token`, nil},
		{"shell expansion", `password: ${DB_PASSWORD}`, nil},
		{"shell default", `ADMIN_PASSWORD=${ADMIN_PASSWORD:-changeme}`, nil},
		{"command substitution", `BACKUP_PASSWORD=$(cat /run/secrets/backup_password)`, nil},
		{"python format", `password = %(password)s`, nil},
		{"helm", `password: {{ .Values.password }}`, nil},
		{"getenv", `password = os.getenv("PASSWORD")`, nil},
		{"node env", `password: process.env.DB_PASSWORD`, nil},
		{"go field", `secret := cfg.Secret`, nil},
		{"go call", `dbPassword := os.Getenv("DB_PASSWORD")`, nil},
		{"go identifier", `password := input`, nil},
		{"go compare", `if dbPassword == "Dpl0y" {`, nil},
		{"not equal", `if password != "x9y8z7" {`, nil},
		{"php env", `'password' => env('REPORTING_DB_PASSWORD'),`, nil},
		{"php variable", `'password' => $password,`, nil},
		{"spring placeholder", `password="${mail.password}"`, nil},
		{"maven env", `<password>${env.DOCKER_HUB_PASSWORD}</password>`, nil},
		{"make shell", `API_TOKEN := $(shell cat .token)`, nil},
		{"self reference", `password = DB_PASSWORD`, nil},
		{"keyword argument", `login(username=username, password=password)`, nil},
		{"php input", `$password = $input;`, nil},
		{"js this", `apiKey: this.apiKey,`, nil},
		{"js call", `apiKey: fs.readFileSync('key.txt'),`, nil},
		{"python index value", `my_password = request.json_body['pw']`, nil},
		{"empty quotes", `my_password = ""`, nil},

		// Dependency coordinates.
		{"maven coordinate", `io.jsonwebtoken:jjwt-jackson-0.11.2`, nil},
		{"gradle", `    implementation 'io.jsonwebtoken:jjwt-jackson:0.11.2'`, nil},
		{"dependency tree", `[INFO] +- io.jsonwebtoken:jjwt-api:jar:0.11.2:compile`, nil},
		{"json list", `"dependencies" : [ "io.jsonwebtoken:jjwt-api:0.11.2" ]`, nil},
		{"logger level", `logging.level.io.jsonwebtoken=WARN`, nil},

		// Values that are not secrets.
		{"empty", `password=`, nil},
		{"empty spaced", "smtp_password = \n", nil},
		{"null", `password: null`, nil},
		{"true", `password=true`, nil},
		{"false", `password=false`, nil},
		{"expiry", `token_expiry=3600`, nil},
		{"reset required", `password_reset_required=false`, nil},
		{"reset expire", `'password_reset_expire' => 60,`, nil},
		{"passwordless", `auth=passwordless passwordless=true`, nil},
		{"tokenizer", `tokenizer=o200k_base`, nil},
		{"max tokens", `max_tokens=4096`, nil},
		{"min length", `app.security.password-min-length=12`, nil},
		{"validity", `jwt.token-validity-seconds=3600`, nil},
		{"lifespan", `"access.token.lifespan" : "300",`, nil},
		{"ttl", `PASSWORD_RESET_TOKEN_TTL=900`, nil},
		{"policy", `validate_password.policy = MEDIUM`, nil},
		{"file", `SMTP_PASSWORD_FILE=/run/secrets/smtp_password`, nil},
		{"secret id", `secret_id     = aws_secretsmanager_secret.api.id`, nil},
		{"endpoint", `"token.endpoint.auth.signing.alg" : "RS256",`, nil},
		{"xml length", `<password.min.length>12</password.min.length>`, nil},
		{"xml empty", `<sonar.password></sonar.password>`, nil},
		{"xml policy", `<passwordPolicy>strict</passwordPolicy>`, nil},
		{"wordpress placeholder", `define('SECURE_AUTH_KEY', 'put your unique phrase here');`, nil},
		{"set not a call", `set password hunter2x`, nil},
		{"put unquoted", `m.put("password", password);`, nil},

		// Source code, where names hold secret words and values are code.
		{"hex constant", `SCM_CREDENTIALS                  = 0x2`, nil},
		{"negative", `passConcreteToNestedItfCallAdj:        -25,`, nil},
		{"small number", `SYS_MEMFD_SECRET            = 447`, nil},
		{"constant name", `TOKEN_READ  = STANDARD_RIGHTS_READ | TOKEN_QUERY`, nil},
		{"selector key", `	token.ADD: "addition",`, nil},
		{"state", `dec.tokenState = old`, nil},
		{"pass first", `passOrFail = "PASSED";`, nil},
		{"credential word", `"x-goog-credential": "GOOG1EXAMPLE/20200123/auto/storage/goog4_request"`, nil},
		{"allow credentials", `HeaderAccessControlAllowCredentials = "Access-Control-Allow-Credentials"`, nil},
		{"format verb", `t.Fatalf("ParseUnixCredentials = %+v, want %+v", a, b)`, nil},
		{"escape", `t.Errorf("loadCredential:\nhave %q", got)`, nil},
		{"method", `POST /v1/token?x-amz-oauth-token-method=token-exchange`, nil},
		{"name of a class", `ClassCredential    = "credential"`, nil},
		{"name of a detector", `DetURLCredential    = "url_credential"`, nil},
		{"url pattern", `re := regexp.MustCompile("^(https?://)(.*?):(.*?)@")`, nil},
		{"url password of punctuation and a letter", `amqp://guest:(x*)@mq:5672/`, []string{u + "(x*)"}},
		{"word key plain word", `deleteTokenFunc:  deletefunc,`, nil},
		{"word key element prose", `<PublicTokenNote>ignore me</PublicTokenNote>`, nil},
		{"pem private key in json", `{"private_key":"-----BEGIN PRIVATE KEY-----\nMIIEow\n-----END PRIVATE KEY-----\n"}`, []string{f + `-----BEGIN PRIVATE KEY-----\nMIIEow\n-----END PRIVATE KEY-----\n`}},
		{"pem certificate", "optionalAuthKeyPEM = `-----BEGIN CERTIFICATE-----", nil},
		{"raw string secret", "apiToken := `tok_7Hq2Lm9Xv4Rp8Sz3`", []string{f + "tok_7Hq2Lm9Xv4Rp8Sz3"}},
		{"generated keys", `{"zxBWPwAwN2fM":"FgFLD4XBAPVq","k5PWBjeLJU5Z":"ai6jNvJxDW4B","ZXPzKgDeaMPw":"cKbMNuWtJDa6"}`, nil},
		{"camel pwd", `adminPwd: "Ad-m1n-pw"`, []string{f + "Ad-m1n-pw"}},
		{"tuple", "\turl, user, password := \"http://www.example.com/x\", \"robpike\", \"pw123\"", nil},
		{"logfmt after comma", `user=bob, password=Lf-9x2q`, []string{f + "Lf-9x2q"}},
		{"prose then comma", `login failed for bob, password=Lf-9x2q`, []string{f + "Lf-9x2q"}},
		{"var name", `org_token_var="GITHUB_TOKEN_${org^^}"`, nil},
		{"exception", `case"PasswordException":i=new It(t.message)`, nil},
		{"key hash", `"X-Goog-Encryption-Key-Sha256": "key-hash"`, nil},
		{"markdown", "set `AZURE_TOKEN_CREDENTIALS=WorkloadIdentityCredential` to", nil},
		{"authorization grammar", `Authorization=credentials`, nil},
		{"authorization call", `Authorization: req.Header.Get("Authorization"),`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := found(e, tc.text, nil)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s\n got %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
}
