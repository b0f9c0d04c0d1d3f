package detect

import "testing"

// TestCredentialsInCode holds credential_field to source code (issue 12):
// literals assigned to secret names are found, while error messages,
// selectors, variables, calls and concatenations under the same names are
// not. The negatives are lines of the Go module cache that were reported.
func TestCredentialsInCode(t *testing.T) {
	e := allBuiltins(t)
	const f = "credential_field="
	tests := []foundCase{
		// Real secrets in code.
		{"go define", `	password := "hunter2xyz"`, []string{f + "hunter2xyz"}},
		{"go const", `const apiKey = "AKIAIOSFODNN7EXAMPLE"`, []string{f + "AKIAIOSFODNN7EXAMPLE"}},
		{"json", `	"client_secret": "6da891e0a7c34b",`, []string{f + "6da891e0a7c34b"}},
		{"composite literal", `	ClientSecret:     "3Oknc4jS_wA2r9i",`, []string{f + "3Oknc4jS_wA2r9i"}},
		{"field assignment literal", `	opts.Password = "Fo0-bar-baz"`, []string{f + "Fo0-bar-baz"}},
		{"vault token dotted", `VAULT_TOKEN=hvs.QmR2x7Lp9Kw4Zt8Vn3Yb`, []string{f + "hvs.QmR2x7Lp9Kw4Zt8Vn3Yb"}},
		{"logfmt comma", `user=bob, password=abc123x, ip=10.0.0.1`, []string{f + "abc123x", "ipv4=10.0.0.1"}},

		// Error messages and doc comments.
		{"errorf prefix", `	return nil, fmt.Errorf("idtoken: audience provided does not match")`, nil},
		{"errorf unable", `	return nil, fmt.Errorf("idtoken: unable to retrieve cert, got status code %d", code)`, nil},
		{"errors new", `	return errors.New("token: expired")`, nil},
		{"test message", `	t.Errorf("enc.EncodeToken: pointer type should be rejected")`, nil},
		{"message with selector", `	return nil, fmt.Errorf("idtoken: option.WithImpersonatedCredentials not supported")`, nil},
		{"doc comment", `// IdToken sets the optional parameter "id_token": The ID token`, nil},
		{"doc comment end", `	// CompletionToken sets the optional parameter "completionToken": The`, nil},

		// Selectors and variables.
		{"selector", `	c.searchjobsrequest.PageToken = x.NextPageToken`, nil},
		{"selector marker", `	p.nextToken = result.Marker`, nil},
		{"selector value in literal", `	Token: resp.AccessToken,`, nil},
		{"type alias", `type TokenWithDecodeCtx = json.DecodeCtxContainer`, nil},
		{"field from variable", `	pk.PrivateKey = priv`, nil},
		{"field from camel variable", `	req.PageToken = pageToken`, nil},
		{"short receiver", `	d.lastToken = tok`, nil},
		{"same name", `	c.userworkloadssecret = userworkloadssecret`, nil},
		{"literal field variable", `		PrivateKey:     serverKey,`, nil},
		{"literal field short", `	AccessToken: correctAT,`, nil},
		{"one-line literal", `	return &oauth2.Token{AccessToken: msg, TokenType: "Bearer"}, nil`, nil},
		{"flow of variables", `{username: romanNine, password: romanFour, mechanisms: []string{"SCRAM-SHA-256"}},`, nil},
		{"call argument", `	f(password=pwd)`, nil},

		{"message with verb", `	t.Errorf("enc.EncodeToken: StartElement %s", err)`, nil},
		{"message with quote verb", `	t.Errorf("enc.EncodeToken: expected %q; got %q", want, got)`, nil},
		{"message with diff", `		t.Errorf("TestIDTokenMarshal: -want/+got:\n%s", diff)`, nil},
		{"raw string concatenation", "	resp = `{\"access_token\": \"` + tokenValue + `\", \"expires_in\": 0}`", nil},
		{"between calls", `	logger.Startup(color.Blue("   RootPass: ") + color.Bold("%s \n", cred.SecretKey))`, nil},
		{"oauth scope", `	rootTokenScope = "https://www.googleapis.com/auth/cloud-platform"`, nil},
		{"authorization selector", `		"authorization": c.cachedAuthHeader,`, nil},
		{"variable plus", `				RefreshToken:  upn + "-rt",`, nil},
		{"camel variable", `	retryToken = nopRelease`, nil},
		{"lexer token message", `		l.token = "comment length insufficient for parsing"`, nil},
		{"helm secret name", `trustedCertsSecret: "minio-trusted-certs"`, nil},
		{"helm secret name set", `helm install --set tls.enabled=true,tls.certSecret=tls-ssl-minio minio/minio`, nil},
		{"header name", `	MetaDataEncryptionKey = "X-Minio-Internal-Server-Side-Encryption-S3-Kms-Sealed-Key"`, nil},
		{"escaped ampersand", `"URL": "https://www.googleapis.com/storage/v1/b/x/o?alt=json\u0026maxResults=2\u0026pageToken=CgRvYmox\u0026prefix=obj"`, nil},
		{"client secret stays", `clientSecret: "minio-client-app-secret-2x"`, []string{f + "minio-client-app-secret-2x"}},
		{"existing secret value", `jwtSecret: "Qm7#vL2p-orders"`, []string{f + "Qm7#vL2p-orders"}},
		{"token use", `	qv.Set("requested_token_use", "on_behalf_of")`, nil},
		{"postfix maps", `smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd`, nil},
		{"variable ending like the field", `	token = newToken`, nil},
		{"quoted same name", `		SessionToken:    "sessiontoken",`, []string{f + "sessiontoken"}},
		{"camel key variable", `	signingKey = key`, nil},
		{"raw string label", "	pmPrivateKey    = `PRIVATE KEY`", nil},
		{"raw string secret spaced", "	apiToken := `tok 7Hq2Lm9Xv4`", []string{f + "tok 7Hq2Lm9Xv4"}},
		{"yaml alias", `- { _id: *aws_key_id, masterKey: *aws_masterkey }`, nil},
		{"grammar in comment", "//	token = 1*tchar", nil},
		{"camel key literal", `	signingKey = "Sg-9xLm2Qp"`, []string{f + "Sg-9xLm2Qp"}},
		{"raw string json", "	idToken: `{\"iss\":\"https://foo\",\"aud\":\"client1\"}`,", nil},
		{"raw string json start", "	resp = `{\"access_token\": \"` + tok + `\"}`", nil},
		{"ansi color", `PASS="\x1b[32mPASS"`, nil},
		{"shortened example", `// "chunked_value": true "resume_token": "Af65..." } {`, nil},
		{"scope of a test", `	credential: "access/20260627/us-east-1/iam/aws_request",`, nil},
		{"js await", `    const signingKey = await this.getSigningKey(this.credentials.secretKey, dateStamp);`, nil},
		{"contraction", `	return nil, fmt.Errorf("idtoken: couldn't find any credentials")`, nil},
		{"comment", `	// token = scrambleHash XOR stage1Hash`, nil},
		{"prose identifier", `  jwt_token_creds: large_unary with jwt token auth;`, nil},
		{"variable named for the field", `	token: tokenValue`, nil},
		{"camel key camel variable", `	clientResetToken = localResetToken`, nil},

		// Numbers, calls, declarations and concatenations.
		{"ratio", `	tokenRatio: 0.5,`, nil},
		{"struct field", "\tToken string `json:\"token\"`", nil},
		{"struct field plain", `	Password string`, nil},
		{"call in literal", `	password: getPassword(),`, nil},
		{"call", `password = getPassword()`, nil},
		{"concatenation", `	secret: "abc" + suffix,`, nil},
		{"concatenated scope", `"Authorization": []string{"AWS4-HMAC-SHA256 Credential=" + accessKeyID + "/20200811/us-east-2/sts/aws4_request, SignedHeaders=host"},`, nil},
		{"sigv4 test key id", `"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host"`, nil},

		// Item 2: words and camel case under strong names are values.
		{"camel under snake key", `aws_secret_access_key = notFromCredProcSecret`, []string{f + "notFromCredProcSecret"}},
		{"camel yaml", `password: CorrectHorseBatteryStaple`, []string{f + "CorrectHorseBatteryStaple"}},
		{"word ini", `password = hunter`, []string{f + "hunter"}},
		{"config reference", `password: cfg.Password`, nil},
		{"call reference", `password = getPassword()`, nil},
		{"env name", `password = DB_PASSWORD`, nil},
	}
	checkFound(t, e, tests)
}
