package catalog

import "github.com/piiscan/piiscan/finding"

// Rule is one rule of rules.yaml, as config checks it and detect compiles
// it: a built-in detector (Detector set, Class its class) or a custom
// regular expression (Pattern set).
type Rule struct {
	ID       string
	Class    string
	Detector string
	// Pattern is a regexp2 expression. A named group "value" narrows the
	// reported span to that group.
	Pattern string
	// Keywords, when set, must appear (case-insensitive) on the same line for
	// Pattern to be tried.
	Keywords []string
	// Validator names a check the matched value must pass (see Validators).
	Validator  string
	Severity   finding.Severity
	Confidence finding.Confidence
	// Policy is the full text of the clauses the rule enforces.
	Policy string
	// PolicyRef is the short reference to them that findings carry
	// ("cloudlex §07 User Access and Choice").
	PolicyRef string
}
