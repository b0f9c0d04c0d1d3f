package config

// checker collects the errors of one validation pass over the file.
type checker struct {
	doc  *document
	errs Errors
}

// bad reports a bad setting at path.
func (ck *checker) bad(path []any, format string, args ...any) {
	ck.errs = append(ck.errs, ck.doc.errorf(path, format, args...))
}

// known reports each of names, the list key at at(), that known does not
// hold: "unknown location \"db\"".
func (ck *checker) known(at func(k ...any) []any, key string, names []string, known map[string]bool, what string) {
	for k, n := range names {
		if !known[n] {
			ck.bad(at(key, k), "unknown %s %q", what, n)
		}
	}
}

// locationNames returns the names of the validated locations.
func (c *Config) locationNames() map[string]bool {
	names := map[string]bool{}
	for _, l := range c.Locations {
		names[l.Name] = true
	}
	return names
}
