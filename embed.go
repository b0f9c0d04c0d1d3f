// Package piiscan holds what the piiscan binary carries with it: the
// default policy, rules.yaml.
package piiscan

import _ "embed"

// DefaultRules is the project's rules.yaml, used when no other policy file
// is given or found.
//
//go:embed rules.yaml
var DefaultRules []byte
