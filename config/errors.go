package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a configuration error. It names where the bad setting came
// from: a file and line, a flag, or an environment variable.
type Error struct {
	// Source is a file name, "--flag" or an environment variable name.
	Source string
	// Line is the 1-based line in Source, or 0.
	Line int
	// Key is the setting, as a path into the file (rules[2].severity).
	Key string
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Errors is a list of configuration errors, reported together.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// document locates keys of a YAML document for error messages.
type document struct {
	name string
	root *yaml.Node
}

// node returns the node at path (map keys as strings, sequence indexes as
// ints), and the key node when the last element is a map key.
func (d *document) node(path ...any) (value, key *yaml.Node) {
	n := d.root
	if n == nil {
		return nil, nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return nil, nil
			}
			var found bool
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					key, n, found = n.Content[i], n.Content[i+1], true
					break
				}
			}
			if !found {
				return nil, nil
			}
		case int:
			if n.Kind != yaml.SequenceNode || p >= len(n.Content) {
				return nil, nil
			}
			key, n = nil, n.Content[p]
		}
	}
	return n, key
}

// line returns the line of the deepest node of path that exists.
func (d *document) line(path ...any) int {
	for len(path) > 0 {
		v, k := d.node(path...)
		if k != nil {
			return k.Line
		}
		if v != nil {
			return v.Line
		}
		path = path[:len(path)-1]
	}
	return 0
}

// errorf returns an Error for the key at path.
func (d *document) errorf(path []any, format string, args ...any) *Error {
	return &Error{Source: d.name, Line: d.line(path...), Key: keyString(path), Msg: fmt.Sprintf(format, args...)}
}

// keyString renders a path as rules[2].severity.
func keyString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
		}
	}
	return b.String()
}

// yamlErrors turns a yaml.v3 decoding error ("yaml: line 5: ...", or a
// TypeError listing "line 5: field x not found in type ...") into Errors.
func yamlErrors(name string, err error) Errors {
	var lines []string
	if te, ok := err.(*yaml.TypeError); ok {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out Errors
	for _, l := range lines {
		e := &Error{Source: name, Msg: l}
		if rest, ok := strings.CutPrefix(l, "line "); ok {
			if num, msg, ok := strings.Cut(rest, ": "); ok {
				if n, err := strconv.Atoi(num); err == nil {
					e.Line, e.Msg = n, msg
				}
			}
		}
		e.Msg = strings.ReplaceAll(e.Msg, "config.", "")
		out = append(out, e)
	}
	return out
}
