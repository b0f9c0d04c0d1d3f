package detect

import "testing"

// TestCredentialQueryParameters holds credential_field to credentials in
// the query strings of URLs in access logs (issue 12): the parameters
// named for a secret anywhere, and auth, key and sig, whose names are too
// short to count outside a query string. Placeholders, also
// percent-encoded ones, and references are no secrets.
func TestCredentialQueryParameters(t *testing.T) {
	e := allBuiltins(t)
	const f = "credential_field="
	tests := []foundCase{
		{"auth", `10.0.0.5 - - [02/Dec/2026:10:00:01 +0000] "GET /api/v1/items?auth=Ab12Cd34Ef56 HTTP/1.1" 200 512`, []string{"ipv4=10.0.0.5", f + "Ab12Cd34Ef56"}},
		{"auth after other parameters", `"GET /api/v1/items?page=2&auth=Ab12Cd34Ef56&x=1 HTTP/1.1"`, []string{f + "Ab12Cd34Ef56"}},
		{"redis session url", `session.save_path = "tcp://cache.internal:6379?auth=R3d1s-Sess-pw"`, []string{f + "R3d1s-Sess-pw"}},
		{"google api key", `GET /maps/api/geocode/json?address=x&key=Zq8v3LwP0tYbN5kR2mXc7HdJ4sGf9AaE1uQ HTTP/1.1`, []string{f + "Zq8v3LwP0tYbN5kR2mXc7HdJ4sGf9AaE1uQ"}},
		{"azure sas", `GET /c/blob.txt?sv=2021-08-06&sr=b&sp=r&sig=aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9f%3D HTTP/1.1`, []string{f + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9f%3D"}},
		{"access_token", `GET /feed?access_token=EAAGm0PX4ZCpsBA1b2c3d4e5 HTTP/1.1`, []string{f + "EAAGm0PX4ZCpsBA1b2c3d4e5"}},
		{"api_key", `GET /api?api_key=Ab12Cd34Ef56 HTTP/1.1`, []string{f + "Ab12Cd34Ef56"}},

		{"auth switch", `GET /api?auth=true HTTP/1.1`, nil},
		{"auth none", `GET /api?auth=none&x=1 HTTP/1.1`, nil},
		{"auth short", `GET /api?auth=basic HTTP/1.1`, nil},
		{"auth stars", `GET /api?auth=******** HTTP/1.1`, nil},
		{"auth outside a query", `auth=Ab12Cd34Ef56`, nil},
		{"key short", `GET /api?key=photos2024 HTTP/1.1`, nil},
		{"key object path", `GET /bucket?key=photos/2024/img-0001-large-version.jpg HTTP/1.1`, nil},
		{"encoded braces", `GET /api?api_key=%7Bapi_key%7D HTTP/1.1`, nil},
		{"encoded angle brackets", `GET /api?access_token=%3CACCESS_TOKEN%3E HTTP/1.1`, nil},
		{"braces", `GET /api?access_token={token} HTTP/1.1`, nil},
		{"format verb", `GET /api?access_token=%s HTTP/1.1`, nil},
		{"variable", `GET /api?token=${TOKEN} HTTP/1.1`, nil},
		{"fill-in", `GET /api?api_key=YOUR_API_KEY HTTP/1.1`, nil},
		{"redacted", `GET /api?access_token=[REDACTED] HTTP/1.1`, nil},
		{"redacted word", `GET /api?access_token=REDACTED HTTP/1.1`, nil},
		{"auth variable", `GET /api?auth=$AUTH_TOKEN HTTP/1.1`, nil},
	}
	checkFound(t, e, tests)
}
