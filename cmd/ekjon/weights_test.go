package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestWeightsFromRulings: ekjon weights reads reviewers' rulings on the
// record and writes match_weights that a policy file takes, which move
// the levels the rulings met the way they point: every pair ruled one
// person was a birth year apart on the same day, so that level's m rises;
// the pairs ruled two persons, born decades apart, are counted and
// scored but move no u (see score.UpdateFromRulings).
func TestWeightsFromRulings(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.MustSchema(t)
	store, err := postgres.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var outs []domain.Outcome
	enrol := func(id, dob string) {
		e := &domain.Event{EventID: "e-" + id, Type: domain.TypeEnrolment, Source: "mis", Programme: "old_age",
			Occurred: at, Person: &domain.Person{NID: "1990" + id, NameEN: "Rahima Begum", FatherName: "Abdul Karim",
				DOB: dob, Gender: "female", Address: &domain.Address{District: "Dhaka", Upazila: "Savar"}}}
		outs = append(outs, domain.Outcome{Event: e, IndexKey: "k" + id,
			Decision: domain.Decision{EventID: e.EventID, EventType: e.Type, Source: e.Source, Programme: e.Programme,
				Action: domain.ActionAdmit, Rules: []string{}, PersonID: "P" + id, DecidedAt: at, ConfigVersion: "test"}})
	}
	type ruling struct {
		a, b string
		same bool
	}
	var rulings []ruling
	for i := range 30 {
		a, b := fmt.Sprintf("%03da", i), fmt.Sprintf("%03db", i)
		switch {
		case i < 20: // one person, the year written one off
			enrol(a, "1950-03-01")
			enrol(b, "1951-03-01")
			rulings = append(rulings, ruling{a, b, true})
		default: // mother and daughter of one name
			enrol(a, "1950-03-01")
			enrol(b, "1985-07-12")
			rulings = append(rulings, ruling{a, b, false})
		}
	}
	if _, err := store.Write(ctx, outs, 0); err != nil {
		t.Fatal(err)
	}
	for _, r := range rulings {
		verdict := domain.JudgementNotSame
		if r.same {
			verdict = domain.JudgementSame
		}
		if _, err := store.Pool().Exec(ctx, `INSERT INTO match_judgements (person_a, person_b, verdict, decided_by) VALUES ($1, $2, $3, 'rev')`,
			"P"+r.a, "P"+r.b, verdict); err != nil {
			t.Fatal(err)
		}
	}

	out := filepath.Join(t.TempDir(), "weights.yaml")
	env := map[string]string{"EKJON_DATABASE_URL": dbURL, "EKJON_HMAC_SECRET": "weights-secret-0123456789"}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"weights", "--out", out}, func(k string) string { return env[k] }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "rulings: 30 (20 the same person, 10 not)") {
		t.Fatalf("the rulings are not counted:\n%s", stdout.String())
	}
	section, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(file, append(domain.DefaultPolicyYAML(), section...), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := domain.LoadPolicyFile(file)
	if err != nil {
		t.Fatalf("the written section does not make a policy file: %v\n%s", err, section)
	}
	updated, err := app.MatchModel(p)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := app.MatchModel(domain.DefaultPolicy())
	if !(updated.DOB.YearOffSameDay.M > before.DOB.YearOffSameDay.M) {
		t.Errorf("m of a year off on the same day: %v, was %v; twenty of twenty pairs ruled one person met it",
			updated.DOB.YearOffSameDay.M, before.DOB.YearOffSameDay.M)
	}
	if updated.DOB.Decades.U != before.DOB.Decades.U {
		t.Errorf("u of decades apart: %v, was %v; rulings must not move u", updated.DOB.Decades.U, before.DOB.Decades.U)
	}
	if updated.Phone != before.Phone {
		t.Errorf("the phone, which no ruled record gave, changed: %+v → %+v", before.Phone, updated.Phone)
	}
	var check bytes.Buffer
	if err := run(ctx, []string{"policy", "check", file}, nil, &check, &check); err != nil || !strings.Contains(check.String(), "match weights:") {
		t.Fatalf("policy check: %v\n%s", err, check.String())
	}
}
