package domain

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// A places file gives the upazilas and unions of the deployment's BBS
// geocode list, which the embedded divisions and districts do not hold.
// It is CSV with a header naming its columns, in any order:
//
//	division,district,upazila,union,name_en,name_bn,also
//	30,26,72,,Savar,সাভার,
//	30,26,72,17,Ashulia,আশুলিয়া,Asulia
//
// One row is one upazila (union empty) or one union. The codes are the
// BBS codes of each level, one or two digits (ASCII or Bangla); division
// may be left empty, as the district gives it, and is checked when
// given. A place needs at least one of name_en and name_bn; also lists
// further spellings separated by | or ;. An upazila is known as its
// district's code and its own ("2672"), a union as its upazila's code
// and its own ("267217").

// placesColumns are the columns of a places file; all but also are
// required.
var placesColumns = []string{"division", "district", "upazila", "union", "name_en", "name_bn", "also"}

// Bounds of a places file: Bangladesh has about 500 upazilas and 4,600
// unions, each a line of a hundred bytes or so.
const (
	maxPlacesFileBytes = 16 << 20
	maxPlacesRows      = 100_000
	maxPlaceNameBytes  = 256
)

// PlacesFileError lists every problem found in one places file, each
// with its line (0 for the file as a whole).
type PlacesFileError struct {
	File     string
	Problems []PolicyProblem
}

func (e *PlacesFileError) Error() string { return problemLines(e.File, e.Problems) }

// LoadPlacesFile reads the places file at path (see ParsePlaces).
func LoadPlacesFile(path string) (*Gazetteer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParsePlaces(f, path)
}

// placeRow is one row of a places file as read.
type placeRow struct {
	line  int
	level string
	place Place
	also  []string
}

// ParsePlaces reads a places file (see the comment above placesColumns)
// and returns the embedded gazetteer extended by its upazilas and
// unions. name names the file in errors. A file with any problem is
// refused whole, and the error, a *PlacesFileError, names every problem
// with its line.
func ParsePlaces(r io.Reader, name string) (*Gazetteer, error) {
	fe := &PlacesFileError{File: name}
	problem := func(line int, format string, args ...any) {
		fe.Problems = append(fe.Problems, PolicyProblem{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	lr := &io.LimitedReader{R: r, N: maxPlacesFileBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file is empty")
		}
		problem(1, "no header (%v); the first line names the columns: %s", err, strings.Join(placesColumns, ","))
		return nil, fe
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(placesColumns, h):
			problem(1, "header: unknown column %q; the columns are %s", h, strings.Join(placesColumns, ","))
		case col[h] != 0:
			problem(1, "header: column %q twice", h)
		default:
			col[h] = i + 1
		}
	}
	for _, c := range placesColumns[:6] {
		if col[c] == 0 {
			problem(1, "header: no column %q (the header must name %s, and may name also)", c, strings.Join(placesColumns[:6], ", "))
		}
	}
	if len(fe.Problems) > 0 {
		return nil, fe
	}
	g := NewGazetteer()
	var rows []placeRow
	first := map[string]map[string]int{LevelUpazila: {}, LevelUnion: {}} // level → code → line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				problem(pe.Line, "%v", pe.Err)
				continue
			}
			problem(0, "%v", err)
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= maxPlacesRows {
			problem(line, "more than %d places; is this the right file?", maxPlacesRows)
			break
		}
		if len(rec) != len(header) {
			problem(line, "has %d fields; the header names %d", len(rec), len(header))
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		field := func(c string) string {
			if col[c] == 0 {
				return ""
			}
			return strings.TrimSpace(rec[col[c]-1])
		}
		row, msg := g.placeRow(field)
		if msg != "" {
			problem(line, "%s", msg)
			continue
		}
		row.line = line
		if l, dup := first[row.level][row.place.Code]; dup {
			problem(line, "%s %s is given twice (first on line %d)", row.level, row.place.Code, l)
			continue
		}
		first[row.level][row.place.Code] = line
		rows = append(rows, row)
	}
	if lr.N <= 0 {
		problem(0, "the file is larger than %d bytes", maxPlacesFileBytes)
	}
	// Upazilas first, so that every union finds its upazila whatever the
	// order of the file.
	slices.SortStableFunc(rows, func(a, b placeRow) int { return len(a.place.Code) - len(b.place.Code) })
	// named maps level/parent/folded name to the first place of the
	// parent with the name.
	named := map[string]struct {
		line int
		code string
	}{}
	for _, row := range rows {
		p := row.place
		if row.level == LevelUnion {
			if _, ok := g.byCode[LevelUpazila][p.Parent]; !ok {
				problem(row.line, "union %s: upazila %s is not in the file", p.Code, p.Parent)
				continue
			}
		}
		for _, n := range names(p, row.also) {
			k := row.level + "/" + p.Parent + "/" + placeFold(n)
			if other, ok := named[k]; ok && other.code != p.Code {
				g.Notes = append(g.Notes, PolicyProblem{Line: row.line, Msg: fmt.Sprintf(
					"%s %s: the name %q is also %s %s's (line %d); by that name neither is found, by their codes both are",
					row.level, p.Code, n, row.level, other.code, other.line)})
				continue
			}
			named[k] = struct {
				line int
				code string
			}{row.line, p.Code}
		}
		g.add(row.level, p, row.also)
	}
	if len(fe.Problems) > 0 {
		slices.SortStableFunc(fe.Problems, func(a, b PolicyProblem) int { return a.Line - b.Line })
		return nil, fe
	}
	return g, nil
}

// placeRow reads one row of a places file, or says what is wrong with
// it.
func (g *Gazetteer) placeRow(field func(string) string) (placeRow, string) {
	code := func(level string) (string, string) {
		c := foldDigits(field(level))
		if c == "" {
			return "", ""
		}
		if len(c) > 2 || !isDigits(c) {
			return "", fmt.Sprintf("%s code %q is not a number of one or two digits", level, c)
		}
		if len(c) == 1 {
			c = "0" + c
		}
		return c, ""
	}
	var c [4]string
	for i, level := range levels {
		var msg string
		if c[i], msg = code(level); msg != "" {
			return placeRow{}, msg
		}
	}
	div, dist, upz, uni := c[0], c[1], c[2], c[3]
	switch {
	case dist == "":
		return placeRow{}, "no district code"
	case upz == "":
		return placeRow{}, "no upazila code: a row is an upazila or a union (the divisions and districts are built in)"
	}
	d, ok := g.byCode[LevelDistrict][dist]
	if !ok {
		return placeRow{}, fmt.Sprintf("district %s is not one of the 64 districts", dist)
	}
	if div != "" && div != d.Parent {
		return placeRow{}, fmt.Sprintf("division %s is not district %s's division (%s)", div, dist, d.Parent)
	}
	row := placeRow{level: LevelUpazila, place: Place{Code: dist + upz, Parent: dist,
		NameEN: strings.Join(strings.Fields(field("name_en")), " "), NameBN: strings.Join(strings.Fields(field("name_bn")), " ")}}
	if uni != "" {
		row.level, row.place.Code, row.place.Parent = LevelUnion, dist+upz+uni, dist+upz
	}
	if row.place.NameEN == "" && row.place.NameBN == "" {
		return placeRow{}, fmt.Sprintf("%s %s gives no name (name_en or name_bn)", row.level, row.place.Code)
	}
	for _, a := range strings.FieldsFunc(field("also"), func(r rune) bool { return r == '|' || r == ';' }) {
		if a = strings.Join(strings.Fields(a), " "); a != "" {
			row.also = append(row.also, a)
		}
	}
	for _, n := range names(row.place, row.also) {
		if r := textReason(n, maxPlaceNameBytes); r != "" {
			return placeRow{}, fmt.Sprintf("%s %s: a name %s", row.level, row.place.Code, r)
		}
		if placeFold(n) == "" {
			return placeRow{}, fmt.Sprintf("%s %s: the name %q has no letters", row.level, row.place.Code, n)
		}
	}
	return row, ""
}

// PlacedArea is an area as the gazetteer reads it. Area is its stored
// form: each part a known place's BBS code, an unknown one as given
// (trimmed, its spaces and digits made plain), the division and district
// filled in from the smallest known part. Key is one for every way of
// writing the area: known parts by code, unknown ones by their folded
// spelling within their district. Label is how the area is shown, from
// its smallest part. Unknown lists the levels given that the gazetteer
// does not know: they are kept, and flagged.
type PlacedArea struct {
	Area
	Key     string   `json:"key"`
	Label   string   `json:"label"`
	Unknown []string `json:"unknown,omitempty"`
}

// PlaceArea reads a (see PlacedArea).
func (g *Gazetteer) PlaceArea(a Area) PlacedArea {
	given := [4]string{a.Division, a.District, a.Upazila, a.Union}
	var found [4]*Place
	for i := range given {
		given[i] = foldDigits(strings.Join(strings.Fields(given[i]), " "))
	}
	find := func(i int, parent string) {
		if given[i] == "" || found[i] != nil {
			return
		}
		if p, ok := g.FindIn(levels[i], parent, given[i]); ok {
			found[i] = &p
		}
	}
	code := func(i int) string {
		if found[i] != nil {
			return found[i].Code
		}
		return ""
	}
	find(1, "")
	find(2, code(1))
	find(3, code(2))
	if code(3) == "" && code(2) == "" {
		find(3, code(1))
	}
	// The smallest known part names the parts above it that are not
	// given; a part given is kept as given.
	for i := 3; i > 1; i-- {
		if found[i] != nil && found[i-1] == nil && given[i-1] == "" {
			if p, ok := g.byCode[levels[i-1]][found[i].Parent]; ok {
				found[i-1] = &p
			}
		}
	}
	find(0, "")
	if found[0] == nil && given[0] == "" && found[1] != nil {
		p := g.byCode[LevelDivision][found[1].Parent]
		found[0] = &p
	}
	var out PlacedArea
	var stored, keys [4]string
	for i := range given {
		switch {
		case found[i] != nil:
			stored[i], keys[i] = found[i].Code, found[i].Code
		case given[i] != "":
			stored[i], keys[i] = given[i], "~"+unknownFold(given[i])
			out.Unknown = append(out.Unknown, levels[i])
		}
	}
	out.Area = Area{Division: stored[0], District: stored[1], Upazila: stored[2], Union: stored[3]}
	out.Key = strings.Join(keys[1:], "/")
	var parts []string
	for i := 3; i >= 1; i-- {
		switch {
		case found[i] != nil:
			parts = append(parts, found[i].Label())
		case given[i] != "":
			parts = append(parts, given[i])
		}
	}
	out.Label = strings.Join(parts, ", ")
	return out
}

// unknownFold folds an unknown place's spelling for its key: placeFold,
// or the spelling's digits when it has no letters (a code the gazetteer
// does not know).
func unknownFold(s string) string {
	if k := placeFold(s); k != "" {
		return k
	}
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// SettleAreas fills in r's areas from those its allocations gave, first
// given first: each area once however it was written (the first spelling
// of an unknown one stands for the rest), Area their labels, District
// the first one's district by code and DistrictName its name.
func (g *Gazetteer) SettleAreas(r *Reconciliation, given []Area) {
	r.Areas, r.Area = nil, ""
	seen := map[string]bool{}
	var labels []string
	for _, a := range given {
		p := g.PlaceArea(a)
		if (p.District == "" && p.Upazila == "" && p.Union == "") || seen[p.Key] {
			continue
		}
		seen[p.Key] = true
		r.Areas = append(r.Areas, p)
		labels = append(labels, p.Label)
	}
	r.Area = strings.Join(labels, "; ")
	r.District, r.DistrictName = "", ""
	for _, p := range r.Areas {
		if p.District != "" {
			r.District = p.District
			r.DistrictName = g.Label(LevelDistrict, p.District)
			break
		}
	}
}

// part returns the part of a at level.
func (a Area) part(level string) string {
	switch level {
	case LevelDivision:
		return a.Division
	case LevelDistrict:
		return a.District
	case LevelUpazila:
		return a.Upazila
	case LevelUnion:
		return a.Union
	}
	return ""
}

// UnknownPlaces names each part of r's areas the gazetteer does not know
// as its level and its spelling ("union Ghoshpara"), once, for the
// report to flag.
func (r *Reconciliation) UnknownPlaces() []string {
	var out []string
	for _, a := range r.Areas {
		for _, l := range a.Unknown {
			if s := l + " " + a.Area.part(l); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// Names returns the parts a gives as they are shown: a place the
// gazetteer knows by its Label, whatever way a wrote it, an unknown one
// as given. A part a leaves empty stays empty.
func (g *Gazetteer) Names(a Area) Area {
	p := g.PlaceArea(a)
	out := [4]string{a.Division, a.District, a.Upazila, a.Union}
	for i, l := range levels {
		if strings.TrimSpace(out[i]) == "" {
			out[i] = ""
			continue
		}
		if code := p.Area.part(l); !slices.Contains(p.Unknown, l) {
			if place, ok := g.byCode[l][code]; ok {
				out[i] = place.Label()
			}
		}
	}
	return Area{Division: out[0], District: out[1], Upazila: out[2], Union: out[3]}
}
