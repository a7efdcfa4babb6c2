package domain

import (
	"sort"
	"strings"
)

// ScopeArea is one area of a distributor's scope as the gazetteer reads
// it. A known area (Level set) covers every place inside it; an unknown
// or ambiguous one (Level empty, Problem saying which) covers only places
// written with its very spelling.
type ScopeArea struct {
	// Given is the area as written, Name the place's part of it (the
	// level's prefix or word taken off).
	Given, Name string
	// Level is the level of the place the area names, "" when the
	// gazetteer cannot tell one place; AtLevel the level the area was
	// given with, if any.
	Level, AtLevel string
	Place          Place
	// Problem is why the area matches only its spelling: "unknown", or
	// "ambiguous" and the places it could be.
	Problem string
}

// String describes the area as the gazetteer reads it.
func (a ScopeArea) String() string {
	if a.Level == "" {
		return a.Given + ": " + a.Problem + "; matches only places written " + a.Name
	}
	return a.Given + ": " + a.Level + " " + a.Place.Code + " " + a.Place.Label()
}

// scopeLevelWords are the words that give an area's level, before a
// colon ("district:Dhaka") or after the name ("Dhaka division").
var scopeLevelWords = map[string]string{
	"division": LevelDivision, "বিভাগ": LevelDivision,
	"district": LevelDistrict, "zila": LevelDistrict, "zilla": LevelDistrict, "jela": LevelDistrict, "জেলা": LevelDistrict,
	"upazila": LevelUpazila, "upazilla": LevelUpazila, "thana": LevelUpazila, "উপজেলা": LevelUpazila, "থানা": LevelUpazila,
	"union": LevelUnion, "ইউনিয়ন": LevelUnion,
}

// splitScopeLevel takes the level off an area: "district:Dhaka",
// "Dhaka district", "ঢাকা বিভাগ".
func splitScopeLevel(s string) (level, name string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i > 0 {
		if l, ok := scopeLevelWords[strings.ToLower(strings.TrimSpace(s[:i]))]; ok {
			return l, strings.TrimSpace(s[i+1:])
		}
	}
	if f := strings.Fields(s); len(f) > 1 {
		if l, ok := scopeLevelWords[nuktaForms.Replace(strings.ToLower(f[len(f)-1]))]; ok {
			return l, strings.Join(f[:len(f)-1], " ")
		}
	}
	return "", s
}

// districtUpazilaNames are district names (folded) that upazilas of
// other districts also bear: Nawabganj, Chapai Nawabganj's former name
// and an upazila of Dhaka and of Dinajpur; Sherpur, Kishoreganj and
// Faridpur, upazilas of Bogura, Nilphamari and Pabna. Without a places
// file the gazetteer knows only the district, so a scope reads such a
// name as a district only when given its level.
var districtUpazilaNames = map[string]bool{"nawabganj": true, "sherpur": true, "kishoreganj": true, "faridpur": true}

// levelDepth orders the levels, largest first.
var levelDepth = map[string]int{LevelDivision: 0, LevelDistrict: 1, LevelUpazila: 2, LevelUnion: 3}

// ScopeArea reads one area of a distributor's scope: a division,
// district, upazila or union by BBS code or name, its level optionally
// given ("division:30", "upazila:Savar", "Dhaka division"). Without a
// level the area is every place its name or code finds at any level;
// when those nest (Dhaka the division and Dhaka the district in it) it is
// the innermost, so reading it never covers more than any of them. When
// they do not nest ("30", Dhaka division's code and Feni district's;
// "Nawabganj", a district's former name and, in a places file, an
// upazila of Dhaka), or a name is shared by places of one level, the area
// is ambiguous; when nothing finds it, unknown.
func (g *Gazetteer) ScopeArea(s string) ScopeArea {
	a := ScopeArea{Given: strings.TrimSpace(s)}
	a.AtLevel, a.Name = splitScopeLevel(s)
	ls := levels
	if a.AtLevel != "" {
		ls = []string{a.AtLevel}
	}
	type found struct {
		level string
		p     Place
	}
	var fs []found
	var shared []string
	if a.AtLevel == "" && districtUpazilaNames[placeFold(a.Name)] {
		shared = append(shared, "upazilas of other districts")
	}
	for _, l := range ls {
		if p, ok := g.Find(l, a.Name); ok {
			fs = append(fs, found{l, p})
		} else if g.sharedName(l, a.Name) {
			shared = append(shared, "several "+l+"s")
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return levelDepth[fs[i].level] < levelDepth[fs[j].level] })
	nested := len(fs) > 0
	for i := 1; i < len(fs) && nested; i++ {
		nested = g.chain(fs[i].level, fs[i].p)[fs[i-1].level] == fs[i-1].p.Code
	}
	switch {
	case len(fs) == 0 && len(shared) == 0:
		a.Problem = "unknown"
	case nested && len(shared) == 0:
		inner := fs[len(fs)-1]
		a.Level, a.Place = inner.level, inner.p
	default:
		var could []string
		for _, f := range fs {
			could = append(could, f.level+" "+f.p.Code+" "+f.p.Label())
		}
		a.Problem = "ambiguous (" + strings.Join(append(could, shared...), ", ") + ")"
	}
	return a
}

// sharedName reports whether several places of level have the name s,
// so that it finds none of them.
func (g *Gazetteer) sharedName(level, s string) bool {
	code, ok := g.byName[level][placeFold(s)]
	return ok && code == ""
}

// chain returns the codes of p of level and of every place it is in, by
// level.
func (g *Gazetteer) chain(level string, p Place) map[string]string {
	c := map[string]string{level: p.Code}
	switch level {
	case LevelUnion:
		c[LevelUpazila] = p.Code[:4]
		fallthrough
	case LevelUpazila:
		c[LevelDistrict] = p.Code[:2]
		fallthrough
	case LevelDistrict:
		c[LevelDivision] = g.byCode[LevelDistrict][c[LevelDistrict]].Parent
	}
	return c
}

// locationChain returns the codes of the place a location names, by
// level: its district's and division's when the gazetteer knows the
// district, its upazila's when it knows the upazila within that district
// (or anywhere, when no district is given), and its union's when it knows
// the union within that upazila (within the district when no upazila is
// given, anywhere when neither is). A part the gazetteer does not find
// where the location puts it ends the chain there: a union code of
// another district under this district's name names no union.
func (g *Gazetteer) locationChain(at Location) map[string]string {
	district, upazila, union := strings.TrimSpace(at.District), strings.TrimSpace(at.Upazila), strings.TrimSpace(at.Union)
	var chain map[string]string
	parent := ""
	if district != "" {
		d, ok := g.Find(LevelDistrict, district)
		if !ok {
			return nil
		}
		chain, parent = g.chain(LevelDistrict, d), d.Code
	}
	if upazila != "" {
		p, ok := g.FindIn(LevelUpazila, parent, upazila)
		if !ok {
			return chain
		}
		chain, parent = g.chain(LevelUpazila, p), p.Code
	}
	if union != "" {
		if p, ok := g.FindIn(LevelUnion, parent, union); ok {
			chain = g.chain(LevelUnion, p)
		}
	}
	return chain
}

// covers reports whether the area covers the place at, whose codes chain
// holds. A known area covers every place inside it; an unknown or
// ambiguous one only a place written with its spelling (at its level,
// when it was given one).
func (a ScopeArea) covers(chain map[string]string, at Location) bool {
	if a.Level != "" {
		return chain[a.Level] == a.Place.Code
	}
	same := func(v string) bool { v = strings.TrimSpace(v); return v != "" && strings.EqualFold(a.Name, v) }
	switch a.AtLevel {
	case LevelDistrict:
		return same(at.District)
	case LevelUpazila:
		return same(at.Upazila)
	case LevelUnion:
		return same(at.Union)
	case "":
		return same(at.District) || same(at.Upazila) || same(at.Union)
	}
	return false
}
