package redisindex_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

func newIndex(t *testing.T) *redisindex.Index { return newIndexWith(t, func(*redisindex.Config) {}) }

// newIndexWith returns a ready index under a private prefix, its settings
// changed by set.
func newIndexWith(t *testing.T, set func(*redisindex.Config)) *redisindex.Index {
	t.Helper()
	rdb, prefix := redistest.MustClient(t)
	cfg := redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig()}
	set(&cfg)
	return redisindex.MustReady(t, redisindex.New(rdb, domain.NewPseudonymizer([]byte("test-secret-0123456789")), cfg))
}

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func enrol(id, nid, prog, wallet string) *domain.Outcome {
	return &domain.Outcome{Event: &domain.Event{EventID: id, Type: domain.TypeEnrolment, Programme: prog, Occurred: t0,
		BeneficiaryRef: "ref-" + id, Source: "test",
		Person: &domain.Person{NID: nid, NameEN: "Rafiqul Islam", Wallet: wallet}}}
}

func pay(id, nid, prog, cycle, wallet string, at time.Time) *domain.Outcome {
	return &domain.Outcome{Event: &domain.Event{EventID: id, Type: domain.TypeDistribution, Programme: prog, Cycle: cycle,
		NID: nid, Wallet: wallet, Amount: 600, Occurred: at}}
}

func status(id, nid, st, prog, wallet string, at time.Time) *domain.Outcome {
	return &domain.Outcome{Event: &domain.Event{EventID: id, Type: domain.TypeStatus, NID: nid, Status: st,
		Programme: prog, Wallet: wallet, Occurred: at}}
}

func decide(t *testing.T, ix *redisindex.Index, outs ...*domain.Outcome) {
	t.Helper()
	if _, err := ix.Decide(context.Background(), outs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Remember(context.Background(), outs); err != nil {
		t.Fatal(err)
	}
}

func verdict(o *domain.Outcome) string {
	return fmt.Sprintf("%s %v", o.Decision.Action, o.Decision.Rules)
}

func TestRules(t *testing.T) {
	const nid, other = "19502612345678901", "1234567890"
	steps := []struct {
		name string
		o    *domain.Outcome
		want string
	}{
		{"first enrolment", enrol("e1", nid, "old_age", "01712345678"), "ADMIT []"},
		{"same NID, same programme", enrol("e2", nid, "old_age", "01712345678"), "BLOCK [DUP_NID]"},
		{"same NID, excluded programme", enrol("e3", nid, "widow", ""), "BLOCK [MULTI_PROGRAMME]"},
		{"same NID, compatible programme", enrol("e4", nid, "vgd", ""), "ADMIT []"},
		{"redelivered first enrolment", enrol("e1", nid, "old_age", "01712345678"), "ADMIT []"},
		{"payment", pay("p1", nid, "old_age", "2026-11", "01712345678", t0.AddDate(0, 0, 5)), "ADMIT []"},
		{"second payment in the cycle", pay("p2", nid, "old_age", "2026-11", "01712345678", t0.AddDate(0, 0, 6)), "BLOCK [DOUBLE_PAYMENT]"},
		{"redelivered payment", pay("p1", nid, "old_age", "2026-11", "01712345678", t0.AddDate(0, 0, 5)), "ADMIT []"},
		{"paid to another wallet", pay("p3", nid, "old_age", "2026-12", "01811111111", t0.AddDate(0, 1, 5)), "HOLD [WALLET_MISMATCH]"},
		{"payment to someone never enrolled", pay("p4", other, "old_age", "2026-11", "", t0), "BLOCK [UNKNOWN_PAYEE]"},
		{"payment in a programme not held", pay("p5", nid, "widow", "2026-11", "", t0), "BLOCK [UNKNOWN_PAYEE]"},
		{"wallet change", status("s1", nid, domain.StatusWalletChanged, "", "01999999999", t0.AddDate(0, 1, 20)), "ADMIT []"},
		{"payment soon after wallet change", pay("p6", nid, "old_age", "2027-01", "01999999999", t0.AddDate(0, 2, 1)), "ADMIT [RECENT_WALLET_CHANGE]"},
		{"suspension", status("s2", nid, domain.StatusSuspended, "old_age", "", t0.AddDate(0, 2, 2)), "ADMIT []"},
		{"payment while suspended", pay("p7", nid, "old_age", "2027-02", "01999999999", t0.AddDate(0, 3, 1)), "BLOCK [DECEASED_OR_EXITED]"},
		{"reinstatement", status("s3", nid, domain.StatusReinstated, "old_age", "", t0.AddDate(0, 3, 2)), "ADMIT []"},
		{"payment after reinstatement", pay("p8", nid, "old_age", "2027-03", "01999999999", t0.AddDate(0, 4, 1)), "ADMIT []"},
		{"death", status("s4", nid, domain.StatusDeceased, "", "", t0.AddDate(0, 4, 5)), "ADMIT []"},
		{"payment after death", pay("p9", nid, "old_age", "2027-04", "01999999999", t0.AddDate(0, 5, 1)), "BLOCK [DECEASED_OR_EXITED]"},
		{"enrolment of the dead", enrol("e5", nid, "gr", ""), "HOLD [DECEASED_OR_EXITED]"},
		{"exit of another", enrol("e6", other, "widow", ""), "ADMIT []"},
		{"exited", status("s5", other, domain.StatusExited, "widow", "", t0.AddDate(0, 1, 0)), "ADMIT []"},
		{"payment after exit", pay("p10", other, "widow", "2026-12", "", t0.AddDate(0, 1, 5)), "BLOCK [DECEASED_OR_EXITED]"},
		{"re-enrolment after exit", enrol("e7", other, "widow", ""), "ADMIT []"},
	}
	ix := newIndex(t)
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			decide(t, ix, s.o)
			if got := verdict(s.o); got != s.want {
				t.Errorf("got %s, want %s (reason %q)", got, s.want, s.o.Decision.Reason)
			}
		})
	}
}

func TestPaymentByBeneficiaryRef(t *testing.T) {
	ix := newIndex(t)
	e := enrol("e1", "1234567890", "widow", "")
	decide(t, ix, e)
	p := pay("p1", "", "widow", "2026-11", "", t0)
	p.Event.BeneficiaryRef = "ref-e1"
	decide(t, ix, p)
	if verdict(p) != "ADMIT []" || p.Decision.PersonID != e.Decision.PersonID {
		t.Fatalf("payment by ref: %s person %s, want ADMIT for %s", verdict(p), p.Decision.PersonID, e.Decision.PersonID)
	}
}

func TestNotReadyIndexDecidesNothing(t *testing.T) {
	ix := newIndex(t)
	if err := ix.Invalidate(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := ix.Decide(context.Background(), []*domain.Outcome{enrol("e1", "1234567890", "widow", "")})
	if domain.KindOf(err) != domain.KindTransient {
		t.Fatalf("err = %v, want a transient not-ready error", err)
	}
}

// TestClaimsAreExactUnderConcurrency races many deciders on the same NIDs
// and the same payments: each must be admitted exactly once.
func TestClaimsAreExactUnderConcurrency(t *testing.T) {
	ix := newIndex(t)
	const nids, racers = 200, 4
	var wg sync.WaitGroup
	results := make([][]*domain.Outcome, racers)
	for r := 0; r < racers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < nids; i++ {
				o := enrol(fmt.Sprintf("e-%d-%d", r, i), fmt.Sprintf("%010d", 1000000000+i), "old_age", "")
				if _, err := ix.Decide(context.Background(), []*domain.Outcome{o}); err != nil {
					t.Error(err)
					return
				}
				results[r] = append(results[r], o)
			}
		}()
	}
	wg.Wait()
	admits := map[string]int{}
	for _, rs := range results {
		for _, o := range rs {
			if o.Decision.Action == domain.ActionAdmit {
				admits[o.Event.Person.NID]++
			} else if verdict(o) != "BLOCK [DUP_NID]" {
				t.Errorf("unexpected %s", verdict(o))
			}
		}
	}
	for i := 0; i < nids; i++ {
		if n := admits[fmt.Sprintf("%010d", 1000000000+i)]; n != 1 {
			t.Fatalf("NID %d admitted %d times", i, n)
		}
	}

	// The same payment sent by several sources at once.
	payAdmits := map[string]int{}
	var mu sync.Mutex
	for r := 0; r < racers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < nids; i++ {
				o := pay(fmt.Sprintf("p-%d-%d", r, i), fmt.Sprintf("%010d", 1000000000+i), "old_age", "2026-11", "", t0)
				if _, err := ix.Decide(context.Background(), []*domain.Outcome{o}); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if o.Decision.Action == domain.ActionAdmit {
					payAdmits[o.Event.NID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(payAdmits) != nids {
		t.Fatalf("%d NIDs paid, want %d", len(payAdmits), nids)
	}
	for nid, n := range payAdmits {
		if n != 1 {
			t.Fatalf("NID %s paid %d times in one cycle", nid, n)
		}
	}
}

// TestRebuildRestoresDecisions rebuilds the index from facts and checks
// that the rebuilt index decides as the original did.
func TestRebuildRestoresDecisions(t *testing.T) {
	ix := newIndex(t)
	e := enrol("e1", "1234567890", "old_age", "01712345678")
	decide(t, ix, e)
	facts := []domain.IndexFact{
		{Kind: "enrolment", Key: e.IndexKey, Programme: "old_age", EventID: "e1", State: "active", Wallet: e.WalletKey},
		{Kind: "ref", Key: e.IndexKey, Programme: "old_age", Ref: "ref-e1"},
		{Kind: "payment", Key: e.IndexKey, Programme: "old_age", Cycle: "2026-11", EventID: "p1"},
	}
	n, ok, err := ix.Rebuild(context.Background(), func(context.Context) (int64, error) { return 2, nil }, func(ctx context.Context, fn func(domain.IndexFact) error) error {
		for _, f := range facts {
			if err := fn(f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || !ok || n != len(facts) {
		t.Fatalf("rebuild: %d %v %v", n, ok, err)
	}
	for _, tc := range []struct {
		o    *domain.Outcome
		want string
	}{
		{enrol("e2", "1234567890", "widow", ""), "BLOCK [MULTI_PROGRAMME]"},
		{pay("p2", "1234567890", "old_age", "2026-11", "", t0), "BLOCK [DOUBLE_PAYMENT]"},
		{pay("p1", "1234567890", "old_age", "2026-11", "01712345678", t0), "ADMIT []"},
		{pay("p3", "1234567890", "old_age", "2026-12", "01800000000", t0), "HOLD [WALLET_MISMATCH]"},
	} {
		decide(t, ix, tc.o)
		if got := verdict(tc.o); got != tc.want {
			t.Errorf("%s after rebuild: got %s, want %s", tc.o.Event.EventID, got, tc.want)
		}
	}
}

// TestFuzzyDuplicatesDecidedAtOnce races the two enrolments of one person
// (under two NIDs) through two deciders at the same moment, many times:
// at least one of each pair is held, because each is indexed before it
// searches.
// servers are the two ways the index adds a person to its blocks: a
// script call per block (a cluster) or one for all (a single server).
// servers are the two ways the index adds a person's blocks. On a cluster
// (EKJON_TEST_REDIS_CLUSTER_URL) the index takes the cluster's way
// whatever the config says, and both variants run it.
var servers = map[string]func(*redisindex.Config){
	"cluster":       func(c *redisindex.Config) { c.SingleServer = false },
	"single server": func(c *redisindex.Config) { c.SingleServer = true },
}

func TestFuzzyDuplicatesDecidedAtOnce(t *testing.T) {
	for name, set := range servers {
		t.Run(name, func(t *testing.T) { fuzzyDuplicatesDecidedAtOnce(t, newIndexWith(t, set)) })
	}
}

func fuzzyDuplicatesDecidedAtOnce(t *testing.T, ix *redisindex.Index) {
	given := []string{"Rafiqul", "Shahidul", "Mizanur", "Anwarul", "Delwar", "Habibur", "Jahangir", "Kamrul", "Mostafizur", "Nazrul"}
	family := []string{"Islam", "Rahman", "Hossain", "Sarkar", "Talukder", "Bhuiyan", "Chowdhury", "Mollah"}
	father := []string{"Abdul Jabbar", "Abul Kashem", "Idris Ali", "Moslem Uddin", "Yakub Ali", "Samsul Haque", "Tofazzal Hossain"}
	// Real dates (never 1 January): a placeholder date says only the
	// year, which within a block of namesakes is too little to hold on.
	person := func(i int, nid string) *domain.Person {
		return &domain.Person{NID: nid, NameEN: given[i%len(given)] + " " + family[i/len(given)%len(family)],
			FatherName: father[i%len(father)], DOB: fmt.Sprintf("%d-%02d-%02d", 1940+i%25, 1+i%12, 2+i%27), Gender: "male",
			Phone: fmt.Sprintf("017%08d", i), Address: &domain.Address{District: "Dhaka", Upazila: "Savar"}}
	}
	const pairs = 60
	var wg sync.WaitGroup
	outs := [2][]*domain.Outcome{}
	for side := 0; side < 2; side++ {
		for i := 0; i < pairs; i++ {
			o := enrol(fmt.Sprintf("fz-%d-%d", side, i), fmt.Sprintf("%010d", 8000000000+2*i+side), "old_age", "")
			o.Event.Person = person(i, o.Event.Person.NID)
			outs[side] = append(outs[side], o)
		}
	}
	for side := 0; side < 2; side++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < pairs; i++ {
				if _, err := ix.Decide(context.Background(), []*domain.Outcome{outs[side][i]}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < pairs; i++ {
		a, b := outs[0][i], outs[1][i]
		if a.Decision.Action != domain.ActionHold && b.Decision.Action != domain.ActionHold {
			t.Errorf("pair %d: %s / %s: neither held", i, verdict(a), verdict(b))
		}
	}
}

// TestPersonWithoutNIDIsPaidByRef enrols a person with no NID or birth
// registration number and pays them by beneficiary ref, once.
func TestPersonWithoutNIDIsPaidByRef(t *testing.T) {
	ix := newIndex(t)
	e := enrol("noid", "", "widow", "01812345678")
	decide(t, ix, e)
	if verdict(e) != "ADMIT []" || e.IndexKey == "" {
		t.Fatalf("enrolment without NID: %s, index key %q", verdict(e), e.IndexKey)
	}
	for i, want := range []string{"ADMIT []", "BLOCK [DOUBLE_PAYMENT]"} {
		p := pay(fmt.Sprintf("noid-pay-%d", i), "", "widow", "2026-11", "01812345678", t0)
		p.Event.BeneficiaryRef = "ref-noid"
		decide(t, ix, p)
		if verdict(p) != want || p.Decision.PersonID != e.Decision.PersonID {
			t.Errorf("payment %d by ref: %s for %s, want %s for %s", i, verdict(p), p.Decision.PersonID, want, e.Decision.PersonID)
		}
	}
}

// TestGenericBlockStopsAtItsCap: a phone shared by more persons than the
// block cap stops taking members, so its count, and the work of every later
// enrolment giving it, stays bounded; deciding an enrolment again does not
// count it twice.
func TestGenericBlockStopsAtItsCap(t *testing.T) {
	for name, set := range servers {
		t.Run(name, func(t *testing.T) {
			genericBlockStopsAtItsCap(t, newIndexWith(t, func(c *redisindex.Config) {
				set(c)
				c.Fuzzy.BlockCap, c.Fuzzy.SharedContactAlert, c.Fuzzy.SharedContactHold = 3, 0, 3
			}))
		})
	}
}

func genericBlockStopsAtItsCap(t *testing.T, ix *redisindex.Index) {
	names := []string{"Rafiqul Islam", "Shahana Begum", "Abdul Karim", "Nasima Akter", "Jamal Uddin", "Rokeya Khatun"}
	person := func(i int) *domain.Outcome {
		o := enrol(fmt.Sprintf("e%d", i), fmt.Sprintf("10000000%02d", i), "old_age", "")
		o.Event.Person.NameEN, o.Event.Person.Phone = names[i], "01712345678"
		return o
	}
	// Others sharing the phone: 0, 1, 2, then 3 for good, where 4 and 5
	// would hold the event; the first, decided twice, is one member.
	want := []string{"ADMIT []", "ADMIT [SHARED_CONTACT]", "ADMIT [SHARED_CONTACT]",
		"ADMIT [SHARED_CONTACT]", "ADMIT [SHARED_CONTACT]", "ADMIT [SHARED_CONTACT]"}
	for i := range names {
		runs := 1
		if i == 0 {
			runs = 2
		}
		for range runs {
			o := person(i)
			decide(t, ix, o)
			if got := verdict(o); got != want[i] {
				t.Errorf("%s: %s, want %s", names[i], got, want[i])
			}
		}
	}
}

// TestOtherLayoutIsNotReady: an index written with other bucket bits (or an
// older layout) reads as lost, so workers rebuild it rather than decide
// against keys they would not find.
func TestOtherLayoutIsNotReady(t *testing.T) {
	rdb, prefix := redistest.MustClient(t)
	ctx := context.Background()
	cfg := redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(), BucketBits: 12}
	pseudo := domain.NewPseudonymizer([]byte("test-secret-0123456789"))
	if err := redisindex.New(rdb, pseudo, cfg).MarkReady(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cfg.BucketBits = 14
	ok, err := redisindex.New(rdb, pseudo, cfg).Ready(ctx)
	if err != nil || ok {
		t.Fatalf("ready = %v, %v: an index of 12 bucket bits must not serve one of 14", ok, err)
	}
}

// TestOverrideMakesAnActiveClaim: a supervisor's override of a DUP_NID
// block makes the overridden enrolment the programme's claim, active
// whatever state the claim it replaces was in.
func TestOverrideMakesAnActiveClaim(t *testing.T) {
	ix := newIndex(t)
	const nid = "1234567890"
	decide(t, ix, enrol("e1", nid, "old_age", ""), status("s1", nid, domain.StatusSuspended, "old_age", "", t0.Add(time.Hour)))
	b := enrol("e2", nid, "old_age", "")
	decide(t, ix, b)
	if verdict(b) != "BLOCK [DUP_NID]" {
		t.Fatalf("second enrolment: %s", verdict(b))
	}
	if err := ix.ClaimEnrolment(context.Background(), b.IndexKey, "old_age", "e2", "", ""); err != nil {
		t.Fatal(err)
	}
	p := pay("p1", nid, "old_age", "2026-11", "", t0.Add(2*time.Hour))
	decide(t, ix, p)
	if verdict(p) != "ADMIT []" {
		t.Fatalf("payment after the override: %s (%s), want ADMIT", verdict(p), p.Decision.Reason)
	}
}

// TestSharedContactNamesItsCase: the SHARED_CONTACT alerts of persons tied
// to one number, by their phones or a payment's wallet, name one case,
// which is a pseudonym of the number and not the number; another number is
// another case.
func TestSharedContactNamesItsCase(t *testing.T) {
	const phone, other = "01712345678", "01898765432"
	ix := newIndexWith(t, func(c *redisindex.Config) { c.Fuzzy.SharedContactAlert, c.Fuzzy.SharedContactHold = 0, 10 })
	names := []string{"Rafiqul Islam", "Shahana Begum", "Abdul Karim", "Nasima Akter"}
	cases := map[string]bool{}
	for i, name := range names {
		o := enrol(fmt.Sprintf("e%d", i), fmt.Sprintf("10000000%02d", i), "old_age", "")
		o.Event.Person.NameEN, o.Event.Person.Phone = name, phone
		if i == 3 {
			o.Event.Person.Phone = other
		}
		decide(t, ix, o)
		for _, a := range o.Alerts {
			if a.Rule != domain.RuleSharedContact {
				continue
			}
			if a.CaseID == "" || strings.Contains(a.CaseID, phone[3:]) {
				t.Fatalf("%s: case %q", name, a.CaseID)
			}
			cases[a.CaseID] = true
			if n := a.Evidence["other_persons"]; n != strconv.Itoa(i) {
				t.Errorf("%s: %s other persons in evidence, want %d", name, n, i)
			}
		}
	}
	p := pay("p1", "1000000000", "old_age", "2026-11", phone, t0)
	decide(t, ix, p)
	var payCase string
	for _, a := range p.Alerts {
		if a.Rule == domain.RuleSharedContact {
			payCase = a.CaseID
		}
	}
	if len(cases) != 1 || !cases[payCase] {
		t.Fatalf("cases %v of the enrolments sharing a phone, %q of the payment to it as wallet; want one", cases, payCase)
	}
}
