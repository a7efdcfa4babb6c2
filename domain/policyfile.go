package domain

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// defaultPolicyYAML is the policy DefaultPolicy returns, as a policy file.
//
//go:embed policy.yaml
var defaultPolicyYAML []byte

// DefaultPolicyYAML returns the embedded default policy file: the
// starting point of one's own.
func DefaultPolicyYAML() []byte { return bytes.Clone(defaultPolicyYAML) }

// Ministry is a ministry that owns programmes.
type Ministry struct {
	Code   string
	NameBN string
	NameEN string
}

// Ministry returns the ministry with code, or false.
func (p Policy) Ministry(code string) (Ministry, bool) {
	for _, m := range p.Ministries {
		if m.Code == code {
			return m, true
		}
	}
	return Ministry{}, false
}

// MinistryOf returns the ministry that owns programme prog, or false when
// the catalogue does not say.
func (p Policy) MinistryOf(prog string) (Ministry, bool) {
	entry, ok := p.Catalogue[prog]
	if !ok {
		return Ministry{}, false
	}
	for _, m := range p.Ministries {
		if m.NameEN == entry.Ministry || m.Code == entry.Ministry {
			return m, true
		}
	}
	return Ministry{}, false
}

// ProgrammesOf returns, in catalogue order, the programmes the ministries
// with the given codes own.
func (p Policy) ProgrammesOf(ministries []string) []string {
	var out []string
	for _, code := range p.Programmes {
		if m, ok := p.MinistryOf(code); ok && slices.Contains(ministries, m.Code) {
			out = append(out, code)
		}
	}
	return out
}

// PolicyProblem is one thing wrong in a policy file, at a line when the
// file says where (0 when it does not).
type PolicyProblem struct {
	Line int
	Msg  string
}

// PolicyFileError lists every problem found in one policy file.
type PolicyFileError struct {
	File     string
	Problems []PolicyProblem
}

func (e *PolicyFileError) Error() string { return problemLines(e.File, e.Problems) }

// problemLines writes one "file:line: message" line a problem, the line
// left out when the file does not say where.
func problemLines(file string, problems []PolicyProblem) string {
	var b strings.Builder
	for i, p := range problems {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(file)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		b.WriteString(p.Msg)
	}
	return b.String()
}

// The shape of a policy file. Numbers a file must give are pointers, so
// that a missing one is told from a zero.
type policyFile struct {
	Version                string          `yaml:"version"`
	MaxAmount              *float64        `yaml:"max_amount"`
	RecentWalletChangeDays *int            `yaml:"recent_wallet_change_days"`
	Ministries             []ministryFile  `yaml:"ministries"`
	Programmes             []programmeFile `yaml:"programmes"`
	Exclusive              [][]string      `yaml:"exclusive"`
	MatchWeights           []weightFile    `yaml:"match_weights"`
}

type weightFile struct {
	Field string   `yaml:"field"`
	Level string   `yaml:"level"`
	M     *float64 `yaml:"m"`
	U     *float64 `yaml:"u"`
}

type ministryFile struct {
	Code   string `yaml:"code"`
	NameBN string `yaml:"name_bn"`
	NameEN string `yaml:"name_en"`
}

type programmeFile struct {
	Code        string `yaml:"code"`
	NameBN      string `yaml:"name_bn"`
	NameEN      string `yaml:"name_en"`
	Ministry    string `yaml:"ministry"`
	Cycle       string `yaml:"cycle"`
	Entitlement struct {
		Amount float64            `yaml:"amount"`
		Items  map[string]float64 `yaml:"items"`
	} `yaml:"entitlement"`
	Eligibility struct {
		Genders []string       `yaml:"genders"`
		MinAge  map[string]int `yaml:"min_age"`
	} `yaml:"eligibility"`
}

// maxPolicyFileBytes bounds a policy file: a catalogue of a few hundred
// programmes is a few hundred kilobytes.
const maxPolicyFileBytes = 4 << 20

// LoadPolicyFile reads the policy file at path (see ParsePolicy).
func LoadPolicyFile(path string) (Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return Policy{}, fmt.Errorf("policy file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPolicyFileBytes+1))
	if err != nil {
		return Policy{}, fmt.Errorf("policy file: %w", err)
	}
	return ParsePolicy(path, b)
}

var (
	codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	// yamlLine finds the line number the YAML library puts in its messages.
	yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	// goType is the library's naming of our Go types, which a reader of
	// the file has no use for.
	goType = regexp.MustCompile(` in type [\w.\[\]*]+`)
)

// eligibleGenders are the genders eligibility may name: validation's,
// less the empty one.
var eligibleGenders = []string{"male", "female", "hijra", "other"}

// maxMinAge is the largest minimum age a programme may ask.
const maxMinAge = 120

// ParsePolicy reads a policy file's content; name is how errors call the
// file. Unknown keys are errors, so that a misspelt setting is not quietly
// ignored. The error, a *PolicyFileError, lists every problem with its
// line where the file gives one.
func ParsePolicy(name string, b []byte) (Policy, error) {
	fail := func(ps ...PolicyProblem) (Policy, error) {
		return Policy{}, &PolicyFileError{File: name, Problems: ps}
	}
	if len(b) > maxPolicyFileBytes {
		return fail(PolicyProblem{Msg: fmt.Sprintf("is larger than %d bytes", maxPolicyFileBytes)})
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fail(yamlProblems(err)...)
	}
	if len(doc.Content) == 0 {
		return fail(PolicyProblem{Msg: "is empty"})
	}
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return fail(yamlProblems(err)...)
	}
	var more struct{}
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return fail(PolicyProblem{Msg: "holds more than one YAML document"})
	}
	lines := policyLines(doc.Content[0])
	var ps []PolicyProblem
	add := func(line int, format string, args ...any) {
		ps = append(ps, PolicyProblem{Line: line, Msg: fmt.Sprintf(format, args...)})
	}

	p := Policy{Version: strings.TrimSpace(f.Version), Cycles: map[string]CycleKind{}, Catalogue: map[string]Programme{}}
	if p.Version == "" {
		add(lines.key("version"), "version: required; it is stamped on every decision")
	}
	if f.MaxAmount == nil {
		add(0, "max_amount: required")
	} else if p.MaxAmount = *f.MaxAmount; !(p.MaxAmount > 0 && p.MaxAmount < maxRecordAmount) {
		add(lines.key("max_amount"), "max_amount: %v is not between 0 and 1e12, which the record cannot hold", p.MaxAmount)
	}
	if f.RecentWalletChangeDays == nil {
		add(0, "recent_wallet_change_days: required")
	} else if p.RecentWalletChangeDays = *f.RecentWalletChangeDays; p.RecentWalletChangeDays < 0 {
		add(lines.key("recent_wallet_change_days"), "recent_wallet_change_days: must not be negative")
	}

	ministries := map[string]string{}
	for i, m := range f.Ministries {
		line := lines.item("ministries", i)
		switch {
		case !codePattern.MatchString(m.Code):
			add(line, "ministries[%d]: code %q must be lower-case letters, digits and _", i, m.Code)
			continue
		case ministries[m.Code] != "":
			add(line, "ministries[%d]: code %q is listed twice", i, m.Code)
			continue
		case strings.TrimSpace(m.NameBN) == "" || strings.TrimSpace(m.NameEN) == "":
			add(line, "ministry %s: name_bn and name_en are required", m.Code)
		}
		ministries[m.Code] = m.NameEN
		p.Ministries = append(p.Ministries, Ministry{Code: m.Code, NameBN: m.NameBN, NameEN: m.NameEN})
	}

	for i, pf := range f.Programmes {
		line := lines.item("programmes", i)
		if !codePattern.MatchString(pf.Code) {
			add(line, "programmes[%d]: code %q must be lower-case letters, digits and _, as events name it", i, pf.Code)
			continue
		}
		if _, dup := p.Catalogue[pf.Code]; dup {
			add(line, "programme %s: listed twice", pf.Code)
			continue
		}
		if strings.TrimSpace(pf.NameBN) == "" || strings.TrimSpace(pf.NameEN) == "" {
			add(line, "programme %s: name_bn and name_en are required", pf.Code)
		}
		ministry, ok := ministries[pf.Ministry]
		if !ok {
			add(line, "programme %s: ministry %q is not among the ministries", pf.Code, pf.Ministry)
		}
		kind := CycleKind(pf.Cycle)
		if !kind.known() {
			add(line, "programme %s: cycle %q; want monthly, quarterly or one-off", pf.Code, pf.Cycle)
		}
		e := pf.Entitlement
		if e.Amount < 0 || math.IsNaN(e.Amount) || (p.MaxAmount > 0 && e.Amount > p.MaxAmount) {
			add(line, "programme %s: entitlement amount %v is not between 0 and max_amount", pf.Code, e.Amount)
		}
		for item, q := range e.Items {
			if !codePattern.MatchString(item) || !(q > 0) || math.IsInf(q, 0) {
				add(line, "programme %s: entitlement item %q: want a code such as rice_kg and a quantity above 0", pf.Code, item)
			}
		}
		el := pf.Eligibility
		for _, g := range el.Genders {
			if !slices.Contains(eligibleGenders, g) {
				add(line, "programme %s: eligibility gender %q; want male, female, hijra or other", pf.Code, g)
			}
		}
		for g, age := range el.MinAge {
			switch {
			case !slices.Contains(eligibleGenders, g):
				add(line, "programme %s: min_age gender %q; want male, female, hijra or other", pf.Code, g)
			case age < 0 || age > maxMinAge:
				add(line, "programme %s: min_age %d for %s is not between 0 and %d", pf.Code, age, g, maxMinAge)
			case len(el.Genders) > 0 && !slices.Contains(el.Genders, g):
				add(line, "programme %s: min_age names %s, a gender the programme does not accept", pf.Code, g)
			}
		}
		prog := Programme{Code: pf.Code, NameBN: pf.NameBN, NameEN: pf.NameEN, Ministry: ministry, Cycle: kind,
			Entitlement: Entitlement{Amount: e.Amount, Items: e.Items},
			Eligibility: Eligibility{Genders: el.Genders, MinAge: el.MinAge}}
		p.Programmes = append(p.Programmes, pf.Code)
		p.Cycles[pf.Code] = kind
		p.Catalogue[pf.Code] = prog
	}

	for i, g := range f.Exclusive {
		line := lines.item("exclusive", i)
		if len(g) < 2 {
			add(line, "exclusive[%d]: a group needs two programmes or more", i)
		}
		for _, code := range g {
			if _, ok := p.Catalogue[code]; !ok {
				add(line, "exclusive[%d]: %q is not among the programmes", i, code)
			}
		}
		p.Exclusive = append(p.Exclusive, g)
	}

	seen := map[[2]string]bool{}
	for i, w := range f.MatchWeights {
		line := lines.item("match_weights", i)
		k := [2]string{w.Field, w.Level}
		switch {
		case w.Field == "" || w.Level == "":
			add(line, "match_weights[%d]: field and level are required", i)
		case seen[k]:
			add(line, "match_weights[%d]: %s %s is given twice", i, w.Field, w.Level)
		case w.M == nil || w.U == nil:
			add(line, "match_weights[%d]: m and u are required", i)
		case !(*w.M > 0 && *w.M < 1 && *w.U > 0 && *w.U < 1):
			add(line, "match_weights[%d]: m and u must be between 0 and 1, exclusive", i)
		default:
			p.MatchWeights = append(p.MatchWeights, MatchWeight{Field: w.Field, Level: w.Level, M: *w.M, U: *w.U})
		}
		seen[k] = true
	}
	if len(ps) > 0 {
		return fail(ps...)
	}
	if err := p.Validate(); err != nil {
		return fail(PolicyProblem{Msg: err.Error()})
	}
	return p, nil
}

// yamlProblems turns the YAML library's error into problems, each with
// the line the library names.
func yamlProblems(err error) []PolicyProblem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]PolicyProblem, 0, len(msgs))
	for _, m := range msgs {
		m = goType.ReplaceAllString(m, "")
		pr := PolicyProblem{Msg: strings.TrimPrefix(m, "yaml: ")}
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			fmt.Sscan(sub[1], &pr.Line)
			pr.Msg = sub[2]
		}
		if strings.HasPrefix(pr.Msg, "field ") && strings.HasSuffix(pr.Msg, " not found") {
			pr.Msg = "unknown key " + strings.TrimSuffix(strings.TrimPrefix(pr.Msg, "field "), " not found")
		}
		out = append(out, pr)
	}
	return out
}

// lineIndex finds the lines of a policy file's top-level keys and of the
// items of its lists.
type lineIndex struct{ root *yaml.Node }

func policyLines(root *yaml.Node) lineIndex { return lineIndex{root} }

func (l lineIndex) value(key string) (k, v *yaml.Node) {
	if l.root == nil || l.root.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(l.root.Content); i += 2 {
		if l.root.Content[i].Value == key {
			return l.root.Content[i], l.root.Content[i+1]
		}
	}
	return nil, nil
}

func (l lineIndex) key(key string) int {
	if k, _ := l.value(key); k != nil {
		return k.Line
	}
	return 0
}

func (l lineIndex) item(key string, i int) int {
	_, v := l.value(key)
	if v == nil || v.Kind != yaml.SequenceNode || i >= len(v.Content) {
		return 0
	}
	return v.Content[i].Line
}
