package detect

import "testing"

// TestCredentialEnvPairs holds credential_field to environment variables
// written as a name and a value (issue 12): Kubernetes' env lists in YAML,
// with the value on the line after the name, and the one-line JSON of ECS
// task definitions and kubectl. A valueFrom reference is no secret.
func TestCredentialEnvPairs(t *testing.T) {
	e := allBuiltins(t)
	const f = "credential_field="
	tests := []foundCase{
		{"k8s env", "        env:\n        - name: API_TOKEN\n          value: \"abc123xyz789\"\n", []string{f + "abc123xyz789"}},
		{"k8s env unquoted", "  - name: DB_PASSWORD\n    value: Pg-9xLm2\n", []string{f + "Pg-9xLm2"}},
		{"k8s env crlf", "  - name: DB_PASSWORD\r\n    value: Pg-9xLm2\r\n", []string{f + "Pg-9xLm2"}},
		{"json one line", `{"name": "DB_PASSWORD", "value": "Pg-9xLm2"}`, []string{f + "Pg-9xLm2"}},
		{"json compact", `[{"name":"STRIPE_SECRET_KEY","value":"St4eC39HqLyjWDarjtT1zdp7dcQ"}]`, []string{f + "St4eC39HqLyjWDarjtT1zdp7dcQ"}},
		{"json pretty", "    {\n      \"name\": \"DB_PASSWORD\",\n      \"value\": \"Pg-9xLm2\"\n    }", []string{f + "Pg-9xLm2"}},
		{"cloudformation", "  - Name: DB_PASSWORD\n    Value: Pg-9xLm2\n", []string{f + "Pg-9xLm2"}},
		{"terraform", "  env {\n    name  = \"DB_PASSWORD\"\n    value = \"Pg-9xLm2\"\n  }", []string{f + "Pg-9xLm2"}},

		{"not a secret's name", "  - name: LOG_LEVEL\n    value: debug\n", nil},
		{"value from", "  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n", nil},
		{"other indentation", "  - name: DB_PASSWORD\n  value: Pg-9xLm2\n", nil},
		{"name not alone", "  - name: DB_PASSWORD # comment\n    value: Pg-9xLm2\n", nil},
		{"not the line before", "  - name: DB_PASSWORD\n    other: x\n    value: Pg-9xLm2\n", nil},
		{"placeholder", "  - name: DB_PASSWORD\n    value: \"${DB_PASSWORD}\"\n", nil},
		{"reference", `{"name": "DB_PASSWORD", "value": "{{ .Values.db.password }}"}`, nil},
		{"json other name", `{"name": "REGION", "value": "eu-west-1"}`, nil},
		{"value alone", "value: Pg-9xLm2", nil},
	}
	checkFound(t, e, tests)
}
