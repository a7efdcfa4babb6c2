package review

import "github.com/ekjon/ekjon/domain"

// Roles, in increasing order of rights: a viewer reads (with personal data
// masked), a reviewer rules on alerts, a supervisor also overrides blocks,
// rules on escalated alerts and reads personal data, an admin also manages
// users.
const (
	RoleViewer     = "viewer"
	RoleReviewer   = "reviewer"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
	// RoleDistributor hands out aid against scanned cards, within the
	// programmes, areas and devices of their scope. It has none of the
	// reviewers' rights: it ranks below a viewer.
	RoleDistributor = "distributor"
)

// Actor is the person (or machine client) behind an action: whom the policy
// asks about, and whom the audit trail names.
type Actor struct {
	Username string
	Role     string
	Address  string
}

func rank(role string) int {
	switch role {
	case RoleViewer:
		return 1
	case RoleReviewer:
		return 2
	case RoleSupervisor:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// ValidRole reports whether role is one of the four reviewers' roles or a
// distributor.
func ValidRole(role string) bool { return rank(role) > 0 || role == RoleDistributor }

// AtLeast reports whether role has every right of min, one of the roles.
// An unknown role has none.
func AtLeast(role, min string) bool { return rank(role) >= rank(min) }

// SeesPersonalData reports whether role may read NIDs, birth registration
// numbers, phones and wallets in clear.
func SeesPersonalData(role string) bool { return AtLeast(role, RoleSupervisor) }

// shownDigits says how many trailing characters of a personal field stay
// visible when it is masked; ok is false for a field that is not personal
// data.
func shownDigits(field string) (n int, ok bool) {
	switch field {
	case "nid", "nid_smart", "birth_reg_no":
		return 4, true
	case "phone", "wallet":
		return 3, true
	}
	return 0, false
}

// MaskField returns a field's value as role may see it: personal data
// (nid, nid_smart, birth_reg_no, phone, wallet) masked but for its last digits unless
// the role may read it, anything else as it is.
func MaskField(role, field, value string) string {
	if n, ok := shownDigits(field); ok && !SeesPersonalData(role) {
		return domain.Mask(value, n)
	}
	return value
}

// PersonalFields names the personal data fields (nid, nid_smart,
// birth_reg_no, phone, wallet) that p holds, in that order: what a role that may read
// them is shown in clear.
func PersonalFields(p domain.Person) []string {
	var out []string
	for _, f := range []struct{ name, value string }{
		{"nid", p.NID}, {"nid_smart", p.NIDSmart}, {"birth_reg_no", p.BirthRegNo}, {"phone", p.Phone}, {"wallet", p.Wallet},
	} {
		if f.value != "" {
			out = append(out, f.name)
		}
	}
	return out
}

// MaskPerson returns an enrolled person as role may see them.
func MaskPerson(role string, p domain.Person) domain.Person {
	p.NID = MaskField(role, "nid", p.NID)
	p.NIDSmart = MaskField(role, "nid_smart", p.NIDSmart)
	p.BirthRegNo = MaskField(role, "birth_reg_no", p.BirthRegNo)
	p.Phone = MaskField(role, "phone", p.Phone)
	p.Wallet = MaskField(role, "wallet", p.Wallet)
	return p
}

// MaskEnrolment returns a copy of e as role may see it; nil stays nil.
func MaskEnrolment(role string, e *Enrolment) *Enrolment {
	if e == nil {
		return nil
	}
	c := *e
	c.Record = MaskPerson(role, c.Record)
	return &c
}

// MaskPersonView masks, in place, what role may not read of a person.
func MaskPersonView(role string, p *PersonView) {
	p.NID = MaskField(role, "nid", p.NID)
	for i := range p.Enrolments {
		p.Enrolments[i].Record = MaskPerson(role, p.Enrolments[i].Record)
	}
}
