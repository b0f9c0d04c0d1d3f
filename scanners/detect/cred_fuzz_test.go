package detect

// The credential forms join the seeds of FuzzScan and FuzzDetector, so the
// fuzzers start from the parsers of setter calls, XML elements and
// assignment operators.
func init() {
	fuzzSeeds = append(fuzzSeeds,
		"  \"client_secret\" : \"6da891e0a7c34b\",\npassword       = \"rootpasswd\"\n",
		"password := \"Dpl0y-Pg!77\"\n'password' => 'x',\nDB_PASSWORD ?= y\n$p .= \"z\";\n",
		"System.setProperty(\"X_TOKEN\", \"abc123XYZ789\"); define('DB_PASSWORD', 'Wp!8');",
		"<password>s3cr3t</password><passphrase><![CDATA[a&b]]></passphrase><x:token>k</x:token>",
		"$config['db_password'] = 'Kc9'; url, user, password := \"a\", \"b\", \"c\"",
		"password = var.db_password ${ADMIN_PASSWORD:-x} io.jsonwebtoken:jjwt-api:0.11.2",
		"\"Authorization\": \"Bearer <redacted>\" AKIAQXBZNMUVWRKDEFGH dbPassword=`raw`",
		"<add key=\"ApiSecret\" value=\"Ax9\"/><entry key=\"db.password\">p</entry><Pass a=\"b\">x</Pass>",
	)
}
