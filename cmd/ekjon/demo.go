package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// demoSecret keys the demo's hashes. It is public: the demo's data is
// synthetic. `ekjon run` refuses to start without a secret of your own.
const demoSecret = app.DemoSecret

type demoOptions struct {
	events     int
	serve      bool
	rate       float64
	seed       int64
	persons    int
	brokerPort int
	partitions int
	http       string
	consumers  int
	logLevel   string
	policyFile string
	placesFile string
}

func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var o demoOptions
	fs := flag.NewFlagSet("ekjon demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.events, "events", -1, "synthetic events to generate as fast as the pipeline takes them, then print the summary and exit (-1: a gentle stream until Ctrl-C)")
	fs.BoolVar(&o.serve, "serve", false, "after --events, keep the broker, API and UI up until Ctrl-C (--events 0 --serve: no synthetic traffic)")
	fs.Float64Var(&o.rate, "rate", 0, "cap on generated events per second (default: 50 for the gentle stream, none with --events)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the synthetic population")
	fs.IntVar(&o.persons, "persons", 0, "synthetic population size (default: enough for --events)")
	fs.IntVar(&o.brokerPort, "broker-port", 9092, "port of the embedded Kafka broker (a free one if taken)")
	fs.IntVar(&o.partitions, "partitions", 6, "partitions per topic on the embedded broker")
	fs.StringVar(&o.http, "http", "127.0.0.1:8080", "address of the API, UI and /metrics (a free port if taken)")
	fs.IntVar(&o.consumers, "consumers", 4, "consumer-group members")
	fs.StringVar(&o.logLevel, "log-level", "warn", "debug, info, warn or error")
	fs.StringVar(&o.policyFile, "policy-file", "", "YAML policy file (programmes, eligibility, rules); empty: the embedded default")
	fs.StringVar(&o.placesFile, "places-file", "", "CSV places file (upazilas and unions by code); empty: the synthetic population's own made-up places")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if o.events < 0 && o.rate == 0 {
		o.rate = 50
	}
	log := newLogger(stderr, o.logLevel)

	cfg := app.DefaultConfig()
	cfg.HMACSecret, cfg.Pipeline.Consumers, cfg.LogLevel, cfg.HTTP.Pprof = demoSecret, o.consumers, o.logLevel, true
	cfg.Kafka.Group = "ekjon-demo"
	cfg.Rules.PolicyFile = o.policyFile
	if _, err := cfg.Policy(); err != nil {
		return err
	}
	cfg.Rules.PlacesFile = o.placesFile
	if o.placesFile == "" {
		path, remove, err := demoPlaces()
		if err != nil {
			return err
		}
		defer remove()
		cfg.Rules.PlacesFile = path
	}
	cluster, broker, err := startBroker(o.brokerPort, o.partitions, cfg.Kafka.Topics)
	if err != nil {
		return err
	}
	defer cluster.Close()
	cfg.Kafka.Brokers = []string{broker}

	cfg.Redis.Prefix = "ekjdemo:"
	redisNote := getenv("EKJON_REDIS_URL")
	if redisNote != "" {
		cfg.Redis.URL = redisNote
	} else {
		mr, err := startRedis()
		if err != nil {
			return err
		}
		defer mr.Close()
		cfg.Redis.URL = "redis://" + mr.Addr()
		redisNote = "embedded (miniredis) at " + mr.Addr()
	}
	dbURL, releaseDB, err := demoDatabase(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	defer releaseDB()
	cfg.Postgres.URL = dbURL
	cfg.HTTP.Addr = o.http
	if !portFree(o.http) {
		cfg.HTTP.Addr = "127.0.0.1:0"
	}

	st := newDemoStats()
	a, err := app.New(ctx, cfg, log, st.observe)
	if err != nil {
		return err
	}
	defer a.Close()
	// The record is new, so an index left in an external Redis by an
	// earlier demo must not be trusted: rebuild it from the empty record.
	if getenv("EKJON_REDIS_URL") != "" {
		if err := a.Index.Invalidate(ctx); err != nil {
			return err
		}
		if err := a.EnsureIndex(ctx); err != nil {
			return err
		}
	}

	logins, tokens, err := demoLogins(ctx, a.Store)
	if err != nil {
		return err
	}
	distributorToken := tokens[review.RoleDistributor]
	fmt.Fprintf(stdout, "ekjon demo\n")
	fmt.Fprintf(stdout, "  kafka broker:  %s   (in-process; topics %s in, %s out)\n", broker,
		strings.Join(cfg.Kafka.Topics.Inputs(), ", "), strings.Join(cfg.Kafka.Topics.Outputs(), ", "))
	fmt.Fprintf(stdout, "  redis:         %s\n", redisNote)
	fmt.Fprintf(stdout, "  postgresql:    %s\n", redactURL(cfg.Postgres.URL))
	fmt.Fprintf(stdout, "  review UI:     http://%s/queue   (also /api/v1, /metrics, /healthz, /readyz)\n", a.HTTPAddr)
	fmt.Fprintf(stdout, "  distribution:  http://%s/distribution   (allotted and handed out; /distributors: scorecards)\n", a.HTTPAddr)
	for _, l := range logins {
		fmt.Fprintf(stdout, "  login as       %s\n", l)
	}
	fmt.Fprintf(stdout, "  try:           kcat -b %s -C -t %s -o beginning\n\n", broker, cfg.Kafka.Topics.Decisions)

	runCtx, stopApp := context.WithCancel(ctx)
	defer stopApp()
	appDone := make(chan error, 1)
	go func() { appDone <- a.Run(runCtx) }()

	var genErr error
	if o.events < 0 {
		go func() {
			// Once the gentle stream has admitted a few, a distributor
			// starts scanning their cards.
			select {
			case <-runCtx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			if err := simulateScans(runCtx, a, distributorToken, stdout); err != nil && runCtx.Err() == nil {
				log.Warn("simulated scans failed", "err", err)
			}
		}()
	}
	if o.events != 0 {
		points := newDemoPoints(a, cfg.Kafka.Topics.Distributions, time.Now())
		genErr = generate(runCtx, o, cfg, st, stdout, points)
		if genErr == nil && o.events > 0 {
			st.summary(stdout)
			genErr = simulateScans(runCtx, a, distributorToken, stdout)
		}
	}
	if genErr == nil && (o.serve || o.events < 0) {
		if o.events >= 0 {
			fmt.Fprintf(stdout, "serving until Ctrl-C; produce your own events to %s on %s\n", cfg.Kafka.Topics.Enrolments, broker)
		}
		select {
		case <-ctx.Done():
		case err := <-appDone:
			return err
		}
		if o.events < 0 {
			st.summary(stdout)
		}
	}
	stopApp()
	if err := <-appDone; err != nil {
		return err
	}
	if genErr != nil && !errors.Is(genErr, context.Canceled) {
		return genErr
	}
	return nil
}

// generate produces synthetic traffic: phase by phase (enrolments, status
// changes, then each payment cycle), waiting for a phase to be decided
// before the next, as payments follow enrolments in life.
func generate(ctx context.Context, o demoOptions, cfg app.Config, st *demoStats, out io.Writer, points *demoPoints) error {
	gc := synth.DefaultConfig()
	gc.Seed, gc.RunID = o.seed, fmt.Sprintf("demo%d", time.Now().Unix())
	n := o.events
	if n < 0 {
		n = 1 << 30
	}
	switch {
	case o.persons > 0:
		gc.Persons = o.persons
	case o.events > 0:
		gc.Persons = max(100, o.events*10/22)
	default:
		// The gentle stream: a small district, so that its enrolments,
		// status changes and payment cycles all come round within minutes.
		gc.Persons = 2_000
	}
	// The population Mixed(n) draws: the stream below is read past n
	// records, so that those left to the distribution points are made up
	// from the same population and n events are decided all the same.
	if need := n * 10 / 22; o.events > 0 && need > 0 && need < gc.Persons {
		gc.Persons = need
	}
	gen, err := synth.New(gc)
	if err != nil {
		return err
	}
	w := kafka.NewWriter(&kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Kafka.Brokers...),
		Balancer:     &kafkago.Hash{},
		RequiredAcks: kafkago.RequireAll,
		BatchSize:    1000,
		BatchTimeout: time.Millisecond,
		BatchBytes:   kafka.BatchBytes(cfg.Kafka.MaxMessageBytes),
	})
	defer w.Close()
	topic := map[domain.EventType]string{
		domain.TypeEnrolment: cfg.Kafka.Topics.Enrolments, domain.TypeDistribution: cfg.Kafka.Topics.Distributions,
		domain.TypeStatus: cfg.Kafka.Topics.Status,
	}

	stopProgress := st.progress(ctx, out)
	defer stopProgress()
	st.start()

	const chunk = 500
	var (
		batch    []kafkago.Message
		phase    synth.Phase
		produced int64
		tick     = time.Now()
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := w.WriteMessages(ctx, batch...); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		produced += int64(len(batch))
		st.produced.Store(produced)
		batch = batch[:0]
		return nil
	}
	sent := 0
	for r := range gen.Mixed(1 << 30) {
		if sent >= n {
			break
		}
		if r.Phase != phase {
			if err := flush(); err != nil {
				return err
			}
			if err := st.waitDecided(ctx, produced); err != nil {
				return err
			}
			if r.Phase.IsPayment() && !phase.IsPayment() && points != nil {
				// The enrolments are decided: the points' cycle is
				// allotted and handed out before the payment file.
				msgs, err := points.events(ctx)
				if err != nil {
					return fmt.Errorf("distribution points: %w", err)
				}
				msgs = msgs[:min(len(msgs), n-sent)]
				batch, sent = append(batch, msgs...), sent+len(msgs)
				if err := flush(); err != nil {
					return err
				}
				if err := st.waitDecided(ctx, produced); err != nil {
					return err
				}
				if err := points.report(ctx, out, points.a.HTTPAddr); err != nil {
					return fmt.Errorf("distribution points: %w", err)
				}
			}
			phase = r.Phase
		}
		if points != nil && r.Type == domain.TypeDistribution && points.skip(r.Value) {
			continue
		}
		t := topic[r.Type]
		if t == "" {
			t = cfg.Kafka.Topics.Enrolments // an event of unknown type goes where its source would send it
		}
		batch, sent = append(batch, kafkago.Message{Topic: t, Key: r.Key, Value: r.Value}), sent+1
		if o.rate > 0 {
			// Pace the stream: at most rate events a second.
			due := tick.Add(time.Duration(float64(len(batch)) / o.rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(d):
				}
			}
			if err := flush(); err != nil {
				return err
			}
			tick = time.Now()
			continue
		}
		if len(batch) >= chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return st.waitDecided(ctx, produced)
}

func portFree(addr string) bool {
	l, err := netListen(addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.Index(u[i+3:], "@"); j >= 0 {
			creds := u[i+3 : i+3+j]
			if k := strings.Index(creds, ":"); k >= 0 {
				return u[:i+3] + creds[:k] + ":***" + u[i+3+j:]
			}
		}
	}
	return u
}

// demoLogins creates the demo's accounts, one per role and one bound to a
// ministry, and returns one line per login ("user password … (role) token
// …") for the demo to print, and each role's API token. The distributor
// may hand out every programme everywhere.
func demoLogins(ctx context.Context, store *postgres.Store) ([]string, map[string]string, error) {
	// The demo's data is synthetic and its passwords and tokens are
	// printed, so they protect nothing.
	users := []struct {
		name, role, password string
		ministries           []string
	}{
		{"reviewer", review.RoleReviewer, "reviewer-demo-1", nil},
		{"supervisor", review.RoleSupervisor, "supervisor-demo-1", nil},
		{"viewer", review.RoleViewer, "viewer-demo-1", nil},
		{"admin", review.RoleAdmin, "admin-demo-1", nil},
		{"distributor", review.RoleDistributor, "distributor-demo-1", nil},
		// A ministry's reviewer sees the Department of Social Services'
		// allowances alone.
		{"dss", review.RoleReviewer, "dss-demo-1", []string{"social_welfare"}},
	}
	actor := review.Actor{Username: "ekjon-demo", Role: review.RoleAdmin}
	var out []string
	tokens := map[string]string{}
	for _, u := range users {
		h, err := api.HashPassword(u.password)
		if err != nil {
			return nil, nil, err
		}
		err = store.CreateUser(ctx, review.User{Username: u.name, Role: u.role, PasswordHash: h, Ministries: u.ministries}, actor)
		if err != nil && domain.KindOf(err) != domain.KindConflict {
			return nil, nil, fmt.Errorf("demo user %s: %w", u.name, err)
		}
		tok, hash := api.NewToken(api.TokenPrefix)
		if err := store.CreateToken(ctx, review.APIToken{Hash: hash, Username: u.name, Label: "demo", ID: api.TokenID(tok)}, actor); err != nil {
			return nil, nil, fmt.Errorf("demo token %s: %w", u.name, err)
		}
		if u.role == review.RoleDistributor {
			if err := store.SetDistributorScope(ctx, u.name, domain.DistributorScope{Programmes: []string{"*"}, Areas: []string{"*"}}); err != nil {
				return nil, nil, err
			}
		}
		if _, ok := tokens[u.role]; !ok {
			tokens[u.role] = tok
		}
		role := u.role
		if len(u.ministries) > 0 {
			role = fmt.Sprintf("%s, %s programmes only", u.role, strings.Join(u.ministries, ", "))
		}
		out = append(out, fmt.Sprintf("%-11s password %-18s (%s) token %s", u.name, u.password, role, tok))
	}
	return out, tokens, nil
}

// demoStats counts decisions as the pipeline publishes them.
type demoStats struct {
	mu       sync.Mutex
	counts   map[string]int64 // "ACTION RULE"
	actions  map[domain.Action]int64
	decided  atomic.Int64
	produced atomic.Int64
	began    time.Time
	last     time.Time
	changed  chan struct{}
}

func newDemoStats() *demoStats {
	return &demoStats{counts: map[string]int64{}, actions: map[domain.Action]int64{}, changed: make(chan struct{}, 1)}
}

func (s *demoStats) start() {
	s.mu.Lock()
	s.began = time.Now()
	s.mu.Unlock()
}

func (s *demoStats) observe(outs []domain.Outcome) {
	s.mu.Lock()
	var n int64
	for i := range outs {
		o := &outs[i]
		if o.Redelivered {
			continue
		}
		n++
		s.actions[o.Decision.Action]++
		if len(o.Decision.Rules) == 0 {
			s.counts[string(o.Decision.Action)+" (no rule)"]++
		}
		for _, r := range o.Decision.Rules {
			s.counts[string(o.Decision.Action)+" "+r]++
		}
	}
	s.last = time.Now()
	s.mu.Unlock()
	s.decided.Add(n)
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// waitDecided waits until at least n events have been decided.
func (s *demoStats) waitDecided(ctx context.Context, n int64) error {
	for s.decided.Load() < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// progress prints a line a second until stopped.
func (s *demoStats) progress(ctx context.Context, out io.Writer) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var prev int64
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			d := s.decided.Load()
			s.mu.Lock()
			el := time.Since(s.began).Seconds()
			line := fmt.Sprintf("[%6.1fs] produced %9d  decided %9d  %8.0f ev/s   ADMIT %d  BLOCK %d  HOLD %d  REJECTED %d",
				el, s.produced.Load(), d, float64(d-prev), s.actions[domain.ActionAdmit], s.actions[domain.ActionBlock],
				s.actions[domain.ActionHold], s.actions[domain.ActionRejected])
			s.mu.Unlock()
			prev = d
			fmt.Fprintln(out, line)
		}
	}()
	return func() { cancel(); <-done }
}

// summary prints throughput and the decisions by action and rule.
func (s *demoStats) summary(out io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.decided.Load()
	el := s.last.Sub(s.began)
	if el <= 0 {
		el = time.Since(s.began)
	}
	fmt.Fprintf(out, "\nsummary: %d events decided in %s: %.0f events/s\n", d, el.Round(time.Millisecond), float64(d)/el.Seconds())
	keys := make([]string, 0, len(s.counts))
	for k := range s.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(out, "decisions by action and rule:\n")
	for _, k := range keys {
		fmt.Fprintf(out, "  %-40s %9d\n", k, s.counts[k])
	}
	fmt.Fprintf(out, "by action:")
	for _, a := range []domain.Action{domain.ActionAdmit, domain.ActionBlock, domain.ActionHold, domain.ActionRejected} {
		fmt.Fprintf(out, "  %s %d", a, s.actions[a])
	}
	fmt.Fprintln(out)
}

// demoPlaces writes the synthetic population's places file (its made-up
// upazila and union codes, not the BBS list) to a temporary file, so that
// the demo reads its addresses, written by code, in Bangla or in English,
// as one place each. remove deletes it.
func demoPlaces() (path string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "ekjon-demo-places-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, "places.csv")
	f, err := os.Create(path)
	if err == nil {
		err = synth.WritePlaces(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		remove()
		return "", nil, err
	}
	return path, remove, nil
}
