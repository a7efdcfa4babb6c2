package review

import "slices"

// Scope is what part of the record a user may see: every programme (the
// zero Scope), or only the programmes of their ministries. An admin, and
// a user bound to no ministry, sees every programme.
type Scope struct {
	// Limited says the user sees only Programmes; with Limited set and no
	// Programmes, they see nothing.
	Limited    bool
	Programmes []string
}

// ScopeOf returns the scope of a user of role bound to ministries, whose
// programmes programmesOf lists.
func ScopeOf(role string, ministries []string, programmesOf func([]string) []string) Scope {
	if role == RoleAdmin || len(ministries) == 0 {
		return Scope{}
	}
	return Scope{Limited: true, Programmes: programmesOf(ministries)}
}

// Allows reports whether the scope shows programme prog.
func (s Scope) Allows(prog string) bool {
	return !s.Limited || slices.Contains(s.Programmes, prog)
}
