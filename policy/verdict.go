package policy

// Disallowed reports whether the policy disallows a finding of class at
// pl: a class the location does not allow, or any class outside the
// policy's locations (pl nil), where nothing is allowed.
func Disallowed(pl *Placement, class string) bool {
	return pl == nil || !pl.Allowed[class]
}

// Violates returns the clauses a disallowed finding at pl violates: those
// its location enforces, then ruleRef, those the rule that found it
// cites; outside the policy's locations (pl nil), ruleRef alone.
func Violates(pl *Placement, ruleRef string) string {
	if pl == nil {
		return ruleRef
	}
	return joinClauses(pl.Policy, ruleRef)
}

// joinClauses joins clause references, skipping empty ones.
func joinClauses(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
