package backfill

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/pipeline"
)

// Summary is what the report shows.
type Summary struct {
	Files    []string
	Records  int
	Rejected int
	// ByAction counts decisions by action; ByRule counts every rule a
	// decision gave.
	ByAction map[string]int
	ByRule   map[string]int
	// Duplicates counts records blocked or held as another record's
	// person (DUP_NID, MULTI_PROGRAMME, FUZZY_PERSON), by programme and
	// district; Possible those only flagged for a look (POSSIBLE_PERSON).
	// ByKind counts both by the first such rule of each.
	Duplicates  int
	Possible    int
	ByKind      map[string]int
	ByProgramme map[string]int
	ByDistrict  map[string]int
	// Persons counts the persons the records come to: the clusters the
	// record keeps (see ClusterReader), which link records by exact
	// identifier, by FUZZY_PERSON and by reviewers' rulings.
	Persons  int
	Clusters []Cluster
	Pairs    []Pair
}

// Cluster is one suspected person with several records; PersonID is
// the cluster's id, its oldest member's person id.
type Cluster struct {
	PersonID string
	Size     int
	Members  []View
}

// Pair is a record and the record its duplicate rule matched, with the
// evidence.
type Pair struct {
	Rule        string
	Action      string
	Score       float64
	Explanation []domain.Contribution
	A, B        View
}

// View is what the report shows of a record: names, dates and places,
// with the NID and phone masked.
type View struct {
	RecordID, PersonID, Action, Rules                        string
	Programme, NameBN, NameEN, Father, Mother, Spouse, DOB   string
	Gender, NID, Phone, Division, District, Upazila, Village string
}

// mask keeps the last three characters of a number.
func mask(s string) string {
	r := []rune(s)
	if len(r) <= 3 {
		return s
	}
	return strings.Repeat("•", len(r)-3) + string(r[len(r)-3:])
}

func view(raw []byte, id string, d domain.Decision) View {
	v := View{RecordID: id, PersonID: d.PersonID, Action: string(d.Action), Rules: strings.Join(d.Rules, "+")}
	var e domain.Event
	if json.Unmarshal(raw, &e) != nil {
		return v
	}
	v.Programme = e.Programme
	if p := e.Person; p != nil {
		v.NameBN, v.NameEN, v.Father, v.Mother, v.Spouse = p.NameBN, p.NameEN, p.FatherName, p.MotherName, p.SpouseName
		v.DOB, v.Gender, v.NID, v.Phone = p.DOB, p.Gender, mask(p.NID), mask(p.Phone)
		if a := p.Address; a != nil {
			v.Division, v.District, v.Upazila, v.Village = a.Division, a.District, a.Upazila, a.Village
		}
	}
	return v
}

// ClusterReader is what a Recorder that keeps persons as clusters offers
// (sinks/postgres's Store does): the cluster of each person id, named by
// its oldest member's person id. The clusters CSV and the report name a
// record's person by its cluster, so that they agree with the record the
// stream builds; with a Recorder that lacks it, by the person id.
type ClusterReader interface {
	ClusterIDs(ctx context.Context, persons []string) (map[string]string, error)
}

// persons numbers person ids (or cluster ids), and remembers the entry
// that first held each.
type persons struct {
	ids     map[string]int32
	names   []string
	parent  []int32
	founder []int32 // the entry that first held the person, or -1
}

func (p *persons) of(id string) int32 {
	if i, ok := p.ids[id]; ok {
		return i
	}
	i := int32(len(p.names))
	p.ids[id] = i
	p.names = append(p.names, id)
	p.parent = append(p.parent, i)
	p.founder = append(p.founder, -1)
	return i
}

func (p *persons) find(i int32) int32 {
	for p.parent[i] != i {
		p.parent[i] = p.parent[p.parent[i]]
		i = p.parent[i]
	}
	return i
}

const (
	samplesPerRule = 6
	largest        = 10
	membersShown   = 12
	outBatch       = 5000
)

// writeOutputs reads every record's decision back from the record, in
// the order they were decided, and writes the clusters CSV, the rejects
// CSV and the report. Reading from the record, not from what this run
// decided, gives a resumed run the outputs of an uninterrupted one.
func writeOutputs(ctx context.Context, cfg Config, ins []*Input, entries []Entry, rejects []Reject, rec pipeline.Recorder) (*Summary, error) {
	s := &Summary{Files: cfg.Files, Records: len(entries) + len(rejects), ByAction: map[string]int{}, ByRule: map[string]int{},
		ByKind: map[string]int{}, ByProgramme: map[string]int{}, ByDistrict: map[string]int{}}
	var cw *csv.Writer
	if cfg.Clusters != "" {
		f, err := os.Create(cfg.Clusters)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<20)
		defer bw.Flush()
		cw = csv.NewWriter(bw)
		_ = cw.Write([]string{"record_id", "person_id", "action", "rule", "score", "matched_record_id"})
	}
	ps := &persons{ids: map[string]int32{}}
	// cs numbers the clusters: recPerson is each entry's cluster.
	cs := &persons{ids: map[string]int32{}}
	clusters, _ := rec.(ClusterReader)
	recPerson := make([]int32, len(entries))
	samples := map[string]int{}
	var buf []byte
	raw := func(k int32) []byte {
		e := entries[k]
		b, err := ins[e.File()].Read(e, nil)
		if err != nil {
			return nil
		}
		return b
	}
	idOf := func(k int32, b []byte) string {
		if id := domain.PeekEventID(b); id != "" {
			return id
		}
		return coordinates(entries[k].File(), entries[k].Line)
	}
	raws := make([][]byte, 0, outBatch)
	for i := 0; i < len(entries); i += outBatch {
		j := min(i+outBatch, len(entries))
		raws = raws[:0]
		query := make([]string, 0, 2*(j-i))
		for k := i; k < j; k++ {
			e := entries[k]
			b, err := ins[e.File()].Read(e, buf)
			if err != nil {
				return nil, err
			}
			b = slices.Clone(b)
			raws = append(raws, b)
			query = append(query, coordinates(e.File(), e.Line))
			if id := domain.PeekEventID(b); id != "" {
				query = append(query, id)
			}
		}
		decs, err := rec.Decisions(ctx, query)
		if err != nil {
			return nil, err
		}
		clusterOf := map[string]string{}
		if clusters != nil {
			var ids []string
			for _, d := range decs {
				if d.PersonID != "" {
					ids = append(ids, d.PersonID)
				}
			}
			if clusterOf, err = clusters.ClusterIDs(ctx, ids); err != nil {
				return nil, err
			}
		}
		for k := i; k < j; k++ {
			e, b := entries[k], raws[k-i]
			recPerson[k] = -1
			id := domain.PeekEventID(b)
			d, ok := decs[coordinates(e.File(), e.Line)]
			if !ok {
				d, ok = decs[id]
			}
			if !ok {
				why := "not decided"
				if t := eventType(b); t != "" && t != string(domain.TypeEnrolment) {
					why = fmt.Sprintf("a %s event: a backfill takes enrolments", t)
				}
				rejects = append(rejects, Reject{File: ins[e.File()].Path, Line: int(e.Line), RecordID: id, Rule: domain.RuleInvalidEvent, Reason: why})
				continue
			}
			if id == "" {
				id = d.EventID
			}
			s.ByAction[string(d.Action)]++
			for _, r := range d.Rules {
				s.ByRule[r]++
			}
			if d.Action == domain.ActionRejected {
				rejects = append(rejects, Reject{File: ins[e.File()].Path, Line: int(e.Line), RecordID: id,
					Rule: strings.Join(d.Rules, "+"), Reason: d.Reason})
			}
			matched, cluster := "", ""
			if d.PersonID != "" {
				pi := ps.of(d.PersonID)
				cluster = d.PersonID
				if c := clusterOf[d.PersonID]; c != "" {
					cluster = c
				}
				recPerson[k] = cs.of(cluster)
				mi := int32(-1)
				switch {
				case d.MatchedPerson != "":
					mi = ps.of(d.MatchedPerson)
				case ps.founder[pi] >= 0 && isDuplicate(d.Rules):
					mi = pi
				}
				if mi >= 0 && isDuplicate(d.Rules) {
					if f := ps.founder[mi]; f >= 0 {
						fb := raw(f)
						matched = idOf(f, fb)
						kind := firstDuplicate(d.Rules)
						if samples[kind] < samplesPerRule {
							samples[kind]++
							fd := decisionOf(ctx, rec, fb, entries[f])
							s.Pairs = append(s.Pairs, Pair{Rule: kind, Action: string(d.Action), Score: d.Score, Explanation: d.Explanation,
								A: view(b, id, d), B: view(fb, matched, fd)})
						}
					}
				}
				if ps.founder[pi] < 0 && (d.Action == domain.ActionAdmit || d.Action == domain.ActionHold) {
					ps.founder[pi] = int32(k)
				}
			}
			switch {
			case isFirm(d.Rules):
				s.Duplicates++
				s.ByKind[firstDuplicate(d.Rules)]++
				prog, district := placeOf(b)
				s.ByProgramme[prog]++
				s.ByDistrict[district]++
			case isDuplicate(d.Rules):
				s.Possible++
				s.ByKind[firstDuplicate(d.Rules)]++
			}
			if cw != nil {
				score := ""
				if d.Score != 0 {
					score = strconv.FormatFloat(d.Score, 'f', 2, 64)
				}
				_ = cw.Write([]string{id, cluster, string(d.Action), strings.Join(d.Rules, "+"), score, matched})
			}
		}
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return nil, err
		}
	}
	s.Rejected = len(rejects)
	s.Clusters = largestClusters(cs, recPerson, func(k int32) View {
		b := raw(k)
		return view(b, idOf(k, b), decisionOf(ctx, rec, b, entries[k]))
	})
	roots := map[int32]bool{}
	for _, pi := range recPerson {
		if pi >= 0 {
			roots[cs.find(pi)] = true
		}
	}
	s.Persons = len(roots)
	if cfg.Rejects != "" {
		if err := writeRejects(cfg.Rejects, rejects); err != nil {
			return nil, err
		}
	}
	if cfg.Report != "" {
		if err := writeReport(cfg.Report, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// decisionOf reads one record's decision, for the report's samples.
func decisionOf(ctx context.Context, rec pipeline.Recorder, b []byte, e Entry) domain.Decision {
	ids := []string{coordinates(e.File(), e.Line)}
	if id := domain.PeekEventID(b); id != "" {
		ids = append(ids, id)
	}
	decs, err := rec.Decisions(ctx, ids)
	if err != nil {
		return domain.Decision{}
	}
	if d, ok := decs[ids[0]]; ok {
		return d
	}
	if len(ids) > 1 {
		return decs[ids[1]]
	}
	return domain.Decision{}
}

func firstDuplicate(rules []string) string {
	for _, r := range rules {
		if slices.Contains(duplicateRules, r) {
			return r
		}
	}
	return ""
}

// placeOf returns a record's programme and district.
func placeOf(b []byte) (string, string) {
	var e domain.Event
	if json.Unmarshal(b, &e) != nil {
		return "", ""
	}
	d := ""
	if e.Person != nil && e.Person.Address != nil {
		d = e.Person.Address.District
	}
	// One name for each district, however the list spelled it (Bangla,
	// English, BBS code).
	if code, ok := fuzzy.DistrictCode(d); ok {
		if name := fuzzy.DistrictName(code); name != "" {
			d = name
		}
	}
	return e.Programme, d
}

// largestClusters returns the persons with the most records.
func largestClusters(ps *persons, recPerson []int32, describe func(int32) View) []Cluster {
	size := map[int32]int{}
	for _, pi := range recPerson {
		if pi >= 0 {
			size[ps.find(pi)]++
		}
	}
	var roots []int32
	for r, n := range size {
		if n > 1 {
			roots = append(roots, r)
		}
	}
	sort.Slice(roots, func(i, j int) bool {
		if size[roots[i]] != size[roots[j]] {
			return size[roots[i]] > size[roots[j]]
		}
		return ps.names[roots[i]] < ps.names[roots[j]]
	})
	if len(roots) > largest {
		roots = roots[:largest]
	}
	out := make([]Cluster, len(roots))
	at := map[int32]int{}
	for i, r := range roots {
		out[i] = Cluster{PersonID: ps.names[r], Size: size[r]}
		at[r] = i
	}
	for k, pi := range recPerson {
		if pi < 0 {
			continue
		}
		if i, ok := at[ps.find(pi)]; ok && len(out[i].Members) < membersShown {
			out[i].Members = append(out[i].Members, describe(int32(k)))
		}
	}
	return out
}

func writeRejects(path string, rejects []Reject) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"file", "line", "record_id", "rule", "reason"})
	sort.SliceStable(rejects, func(i, j int) bool {
		if rejects[i].File != rejects[j].File {
			return rejects[i].File < rejects[j].File
		}
		return rejects[i].Line < rejects[j].Line
	})
	for _, r := range rejects {
		_ = w.Write([]string{r.File, strconv.Itoa(r.Line), r.RecordID, r.Rule, r.Reason})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
