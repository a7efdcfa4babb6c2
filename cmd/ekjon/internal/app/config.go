package app

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/score"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/pipeline/kafka"
)

// Config is every setting of `ekjon run`, with its default. It is read only
// here, in cmd/, from flags, EKJON_* environment variables and an optional
// file of EKJON_*=value lines, in that order of precedence.
//
// The settings are grouped by the part of ekjon they configure, and each
// field is named after its flag, less the group's own prefix: --redis-url
// is Redis.URL, --max-event-bytes is Pipeline.MaxEventBytes. Each group
// checks itself; Validate checks them all.
type Config struct {
	Kafka    KafkaSettings
	Redis    RedisSettings
	Postgres PostgresSettings
	Pipeline PipelineSettings
	Rules    RulesSettings
	Fuzzy    FuzzySettings
	HTTP     HTTPSettings
	// HMACSecret keys the hashes (pseudonyms) of NIDs, phones and wallets.
	HMACSecret string
	// CardKeys are the aid cards' signing keys, "id=base64-seed,…", the
	// first signing; "" derives one from HMACSecret (see CardKeyring).
	CardKeys string
	LogLevel string
}

// KafkaSettings are the brokers, the group and the topics.
type KafkaSettings struct {
	Brokers []string
	Group   string
	Topics  kafka.Topics
	// MaxMessageBytes is the topics' message limit (--kafka-max-message-bytes).
	MaxMessageBytes int
	// CreateTopics makes the start-up checks create the topics that do
	// not exist, with TopicPartitions partitions of TopicReplication
	// replicas each.
	CreateTopics     bool
	TopicPartitions  int
	TopicReplication int
}

// RedisSettings locate the matching index and say how it is laid out.
type RedisSettings struct {
	URL     string
	Cluster bool
	Prefix  string
	// WaitReplicas and WaitTimeout make a batch's claims wait for
	// replicas (WAIT) before the batch is recorded.
	WaitReplicas    int
	WaitTimeout     time.Duration
	IndexBucketBits int
}

// PostgresSettings locate the system of record (--database-url,
// --db-max-conns).
type PostgresSettings struct {
	URL      string
	MaxConns int
}

// PipelineSettings size the consumers and their batches.
type PipelineSettings struct {
	Consumers int
	// Parallel is how many parts of a batch, by partition, a consumer
	// decides at once (pipeline.Worker.Parallel).
	Parallel      int
	BatchSize     int
	BatchWait     time.Duration
	MaxEventBytes int
	// MaxBatchBytes bounds the bytes of a batch a consumer gathers.
	MaxBatchBytes int
	DrainTimeout  time.Duration
	// ScanGroupSize and ScanGroups group the scan API's scans
	// (pipeline.GroupConfig's MaxSize and InFlight).
	ScanGroupSize int
	ScanGroups    int
}

// RulesSettings make the screening policy: the policy file (the embedded
// default when PolicyFile is empty), and the settings that override it.
// Without a file each override applies as it stands; with one, only those
// set by a flag, a variable or the config file do.
type RulesSettings struct {
	PolicyFile string
	// PlacesFile is the deployment's places file (domain.ParsePlaces):
	// the upazilas and unions by BBS code; empty: the embedded divisions
	// and districts alone.
	PlacesFile       string
	Exclusive        string
	WalletChangeDays int
	MaxAmount        float64
	PolicyVersion    string
	// DistributorVelocity is V of DISTRIBUTOR_VELOCITY, attempts a
	// minute by one distributor or device (0: off).
	DistributorVelocity int
	// InvalidCards is the limit of DISTRIBUTOR_INVALID_CARDS, cards
	// rejected INVALID_CARD in an hour by one distributor or device (0:
	// off).
	InvalidCards int
	// CycleGrace is how long after its month or quarter a cycle closes
	// for the reconciliation; ReconcileEvery is how often the
	// reconciliation's alerts are looked for.
	CycleGrace     time.Duration
	ReconcileEvery time.Duration
	// set names the overrides given explicitly, by flag name (see
	// NoteExplicit).
	set map[string]bool
}

// overrides are the settings that change a policy file's rules.
var overrides = []string{"exclusive", "wallet-change-days", "max-amount", "policy-version"}

// FuzzySettings tune the fuzzy matcher.
type FuzzySettings struct {
	ReviewThreshold   float64
	HoldThreshold     float64
	SharedContact     int
	SharedContactHold int
	BlockCap          int
}

// HTTPSettings are the HTTP server's: /metrics, the health checks and the
// review API. Addr is --http.
type HTTPSettings struct {
	Addr          string
	SecureCookies bool
	SessionTTL    time.Duration
	// TrustedProxies are CIDR prefixes (or addresses) of the proxies whose
	// X-Forwarded-For the review API believes.
	TrustedProxies []string
	Pprof          bool
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	p := domain.DefaultPolicy()
	f := fuzzy.DefaultConfig()
	return Config{
		Kafka: KafkaSettings{
			Brokers:          []string{"127.0.0.1:9092"},
			Group:            "ekjon",
			Topics:           kafka.DefaultTopics(),
			MaxMessageBytes:  kafka.DefaultMaxMessageBytes,
			TopicPartitions:  12,
			TopicReplication: 3,
		},
		Redis: RedisSettings{
			URL:             "redis://127.0.0.1:6379/0",
			Prefix:          "ekj:",
			WaitTimeout:     redisindex.DefaultWaitTimeout,
			IndexBucketBits: redisindex.DefaultBucketBits,
		},
		Postgres: PostgresSettings{
			URL:      "postgres://postgres@127.0.0.1:5432/ekjon?sslmode=disable",
			MaxConns: 8,
		},
		Pipeline: PipelineSettings{
			Consumers:     4,
			Parallel:      4,
			BatchSize:     2000,
			BatchWait:     5 * time.Millisecond,
			MaxEventBytes: pipeline.DefaultConfig().MaxEventBytes,
			MaxBatchBytes: kafka.DefaultSourceConfig().MaxBatchBytes,
			DrainTimeout:  10 * time.Second,
			ScanGroupSize: pipeline.DefaultGroupConfig().MaxSize,
			ScanGroups:    pipeline.DefaultGroupConfig().InFlight,
		},
		Rules: RulesSettings{
			Exclusive:        formatExclusive(p.Exclusive),
			WalletChangeDays: p.RecentWalletChangeDays,
			MaxAmount:        p.MaxAmount,
			PolicyVersion:    p.Version,

			DistributorVelocity: 6,
			InvalidCards:        3,
			CycleGrace:          7 * 24 * time.Hour,
			ReconcileEvery:      time.Minute,
		},
		Fuzzy: FuzzySettings{
			ReviewThreshold:   f.Model.Review,
			HoldThreshold:     f.Model.Hold,
			SharedContact:     f.SharedContactAlert,
			SharedContactHold: f.SharedContactHold,
			BlockCap:          f.BlockCap,
		},
		HTTP: HTTPSettings{
			Addr:       ":8080",
			SessionTTL: 12 * time.Hour,
		},
		LogLevel: "info",
	}
}

// formatExclusive writes groups as ParseExclusive reads them.
func formatExclusive(groups [][]string) string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = strings.Join(g, "+")
	}
	return strings.Join(out, ",")
}

// IndexConfig builds the matching index's settings.
func (c *Config) IndexConfig(policy domain.Policy) redisindex.Config {
	r := c.Redis
	return redisindex.Config{Prefix: r.Prefix, Policy: policy, Fuzzy: c.Fuzzy.Config(policy), BucketBits: r.IndexBucketBits,
		SingleServer: !r.Cluster, WaitReplicas: r.WaitReplicas, WaitTimeout: r.WaitTimeout, Cards: c.CardKeyring()}
}

// CardKeyring returns the aid cards' keys: CardKeys, or one derived from
// HMACSecret when CardKeys is empty. Validate has checked CardKeys.
func (c *Config) CardKeyring() *cards.Keyring {
	if c.CardKeys != "" {
		if k, err := cards.ParseKeys(c.CardKeys); err == nil {
			return k
		}
	}
	return cards.DerivedKeyring(c.HMACSecret)
}

// Config builds the fuzzy matcher's settings, its scorer's weights those of
// policy (see MatchModel; Policy has checked them).
func (f *FuzzySettings) Config(policy domain.Policy) fuzzy.Config {
	fc := fuzzy.DefaultConfig()
	if m, err := MatchModel(policy); err == nil {
		fc.Model = m
	}
	fc.Model.Review, fc.Model.Hold = f.ReviewThreshold, f.HoldThreshold
	fc.SharedContactAlert, fc.SharedContactHold, fc.BlockCap = f.SharedContact, f.SharedContactHold, f.BlockCap
	return fc
}

// setting is one configuration knob: its flag, its environment variable
// and its help, bound to a field of Config.
type setting struct {
	flag, help string
	bind       func(fs *flag.FlagSet, name, help string)
}

func (c *Config) settings() []setting {
	str := func(p *string) func(*flag.FlagSet, string, string) {
		return func(fs *flag.FlagSet, n, h string) { fs.StringVar(p, n, *p, h) }
	}
	num := func(p *int) func(*flag.FlagSet, string, string) {
		return func(fs *flag.FlagSet, n, h string) { fs.IntVar(p, n, *p, h) }
	}
	real := func(p *float64) func(*flag.FlagSet, string, string) {
		return func(fs *flag.FlagSet, n, h string) { fs.Float64Var(p, n, *p, h) }
	}
	dur := func(p *time.Duration) func(*flag.FlagSet, string, string) {
		return func(fs *flag.FlagSet, n, h string) { fs.DurationVar(p, n, *p, h) }
	}
	list := func(p *[]string) func(*flag.FlagSet, string, string) {
		return func(fs *flag.FlagSet, n, h string) { fs.Var(listFlag{p}, n, h) }
	}
	boolean := func(p *bool) func(*flag.FlagSet, string, string) {
		return func(fs *flag.FlagSet, n, h string) { fs.BoolVar(p, n, *p, h) }
	}
	return []setting{
		{"brokers", "Kafka bootstrap brokers, comma-separated", list(&c.Kafka.Brokers)},
		{"group", "Kafka consumer group the workers join", str(&c.Kafka.Group)},
		{"topic-enrolments", "input topic of enrolment events", str(&c.Kafka.Topics.Enrolments)},
		{"topic-distributions", "input topic of distribution (payment) events", str(&c.Kafka.Topics.Distributions)},
		{"topic-status", "input topic of status events", str(&c.Kafka.Topics.Status)},
		{"topic-decisions", "output topic of decisions", str(&c.Kafka.Topics.Decisions)},
		{"topic-alerts", "output topic of alerts for reviewers", str(&c.Kafka.Topics.Alerts)},
		{"topic-deadletter", "output topic of rejected events' original bytes", str(&c.Kafka.Topics.DeadLetter)},
		{"create-topics", "create the input and output topics that do not exist, at the start-up checks of ekjon run and ekjon check", boolean(&c.Kafka.CreateTopics)},
		{"topic-partitions", "partitions of each topic --create-topics creates: the most consumers the group can use on it", num(&c.Kafka.TopicPartitions)},
		{"topic-replication", "replicas of each partition --create-topics creates, at most the number of brokers", num(&c.Kafka.TopicReplication)},
		{"redis-url", "Redis URL of the matching index (redis://host:port/db)", str(&c.Redis.URL)},
		{"redis-cluster", "treat redis-url as a Redis Cluster seed (redis://h1:p?addr=h2:p)", boolean(&c.Redis.Cluster)},
		{"redis-prefix", "prefix of every index key", str(&c.Redis.Prefix)},
		{"redis-wait-replicas", "replicas that must have a batch's claims (WAIT) before it is recorded; 0 waits for none; not with redis-cluster", num(&c.Redis.WaitReplicas)},
		{"redis-wait-timeout", "how long a batch's claims wait for those replicas before the batch is decided again", dur(&c.Redis.WaitTimeout)},
		{"index-bucket-bits", "2^n buckets per family of index keys: about log2(persons/64), 8 to 24; a change rebuilds the index", num(&c.Redis.IndexBucketBits)},
		{"database-url", "PostgreSQL URL of the system of record", str(&c.Postgres.URL)},
		{"db-max-conns", "PostgreSQL connections per process", num(&c.Postgres.MaxConns)},
		{"hmac-secret", "secret keying the hashes of NIDs, phones and wallets (required)", str(&c.HMACSecret)},
		{"card-keys", "Ed25519 keys of the aid cards' QR tokens, id=base64-seed,… (the first signs, the rest only verify); empty derives one from hmac-secret", str(&c.CardKeys)},
		{"http", "address of /metrics, /healthz, /readyz and the review API", str(&c.HTTP.Addr)},
		{"consumers", "consumer-group members in this process", num(&c.Pipeline.Consumers)},
		{"parallel", "parts of a batch, by partition, a consumer decides at once", num(&c.Pipeline.Parallel)},
		{"batch-size", "most events decided in one batch", num(&c.Pipeline.BatchSize)},
		{"batch-wait", "how long to gather a batch after its first event", dur(&c.Pipeline.BatchWait)},
		{"max-event-bytes", "larger events are rejected", num(&c.Pipeline.MaxEventBytes)},
		{"max-batch-bytes", "a consumer's batch stops growing before it holds more bytes of events than this; the reader's queue holds at most as much again", num(&c.Pipeline.MaxBatchBytes)},
		{"scan-group-size", "most scans of the scan API decided together in one group", num(&c.Pipeline.ScanGroupSize)},
		{"scan-groups", "groups of scans under way at once; scans that arrive while all are under way wait for the next group", num(&c.Pipeline.ScanGroups)},
		{"kafka-max-message-bytes", "the topics' message limit (message.max.bytes): the producer's batches and every message ekjon writes stay within it, a dead letter cut to fit", num(&c.Kafka.MaxMessageBytes)},
		{"exclusive", "programmes one person may not hold together: groups joined by +, separated by ,", str(&c.Rules.Exclusive)},
		{"wallet-change-days", "RECENT_WALLET_CHANGE window in days", num(&c.Rules.WalletChangeDays)},
		{"max-amount", "largest amount in taka a distribution may carry; larger ones are rejected (below 1e12, which the record cannot hold)", real(&c.Rules.MaxAmount)},
		{"distributor-velocity", "DISTRIBUTOR_VELOCITY alert when one distributor or device records more distributions than this within a minute; 0 turns it off", num(&c.Rules.DistributorVelocity)},
		{"invalid-cards", "DISTRIBUTOR_INVALID_CARDS alert when one distributor's or device's scans are rejected INVALID_CARD more than this many times within an hour (one alert per distributor or device an hour); 0 turns it off", num(&c.Rules.InvalidCards)},
		{"cycle-grace", "how long after its month or quarter a cycle closes for the reconciliation (UNDISTRIBUTED_AID); an allocation's closes_at overrides it", dur(&c.Rules.CycleGrace)},
		{"reconcile-every", "how often the reconciliation of allocations looks for PHANTOM_DISTRIBUTION, OVER_DISTRIBUTION and UNDISTRIBUTED_AID; 0 never", dur(&c.Rules.ReconcileEvery)},
		{"drain-timeout", "how long shutdown waits for the batch in flight", dur(&c.Pipeline.DrainTimeout)},
		{"review-threshold", "match score (bits) above which an enrolment is admitted with a POSSIBLE_PERSON alert", real(&c.Fuzzy.ReviewThreshold)},
		{"hold-threshold", "match score (bits) above which an enrolment is held as FUZZY_PERSON", real(&c.Fuzzy.HoldThreshold)},
		{"shared-contact", "SHARED_CONTACT alert when a phone or wallet is tied to more than this many other persons", num(&c.Fuzzy.SharedContact)},
		{"shared-contact-hold", "SHARED_CONTACT holds the event above this many", num(&c.Fuzzy.SharedContactHold)},
		{"block-cap", "persons per blocking key before the key counts as generic", num(&c.Fuzzy.BlockCap)},
		{"secure-cookies", "mark session cookies Secure even on plain HTTP (always so on TLS or behind an https proxy)", boolean(&c.HTTP.SecureCookies)},
		{"session-ttl", "how long a reviewer's browser session lasts", dur(&c.HTTP.SessionTTL)},
		{"trusted-proxies", "proxies (CIDR prefixes or addresses, comma-separated) whose X-Forwarded-For names the client: the address logins are limited by and audited under; none by default", list(&c.HTTP.TrustedProxies)},
		{"pprof", "serve Go profiles under /debug/pprof on the HTTP address", boolean(&c.HTTP.Pprof)},
		{"log-level", "debug, info, warn or error", str(&c.LogLevel)},
		{"policy-version", "version stamped on every decision; change it with the rules (overrides the policy file's)", str(&c.Rules.PolicyVersion)},
		{"places-file", "CSV places file: the upazilas and unions of the BBS geocode list, by code and name (check one with ekjon places check FILE; empty: divisions and districts only, upazilas and unions kept as given)", str(&c.Rules.PlacesFile)},
		{"policy-file", "YAML policy file: programmes, ministries, eligibility, exclusive groups, thresholds (check one with ekjon policy check FILE; empty: the embedded default, printed by ekjon policy default)", str(&c.Rules.PolicyFile)},
	}
}

// NoteExplicit records which overrides of the policy file fs has set, by
// flag, variable or config file, so that a policy file's rules give way
// only to those. Call it after fs.Parse; without it a policy file's rules
// stand whole.
func (c *Config) NoteExplicit(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(overrides, f.Name) {
			if c.Rules.set == nil {
				c.Rules.set = map[string]bool{}
			}
			c.Rules.set[f.Name] = true
		}
	})
}

// listFlag is a comma-separated setting as a flag: its String is its
// value, so the flag's default is the setting's.
type listFlag struct{ p *[]string }

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l listFlag) Set(v string) error {
	*l.p = SplitList(v)
	return nil
}

// Proxies parses the trusted proxies: CIDR prefixes, or single addresses.
func (h *HTTPSettings) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range h.TrustedProxies {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("trusted-proxies: %q is neither a CIDR prefix nor an address", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func envName(flagName string) string {
	return "EKJON_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// SplitList splits a comma-separated setting, trimming each item and
// dropping empty ones.
func SplitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// BindFlags registers c's settings on fs. Environment variables (and the
// optional file named by EKJON_CONFIG) become the flags' defaults, so a flag
// given on the command line wins. It fails on a variable that does not
// parse or a config file it cannot read.
func BindFlags(fs *flag.FlagSet, c *Config, getenv func(string) string) error {
	return bindSettings(fs, c.settings(), getenv)
}

// BindTopicFlags registers, as BindFlags does, only the settings that name
// ekjon's topics, for a command that needs those alone.
func BindTopicFlags(fs *flag.FlagSet, c *Config, getenv func(string) string) error {
	var topics []setting
	for _, s := range c.settings() {
		// topic-partitions and topic-replication say how to create
		// topics, not which.
		if strings.HasPrefix(s.flag, "topic-") && s.flag != "topic-partitions" && s.flag != "topic-replication" {
			topics = append(topics, s)
		}
	}
	return bindSettings(fs, topics, getenv)
}

// bindSettings registers settings on fs and sets those the environment or
// the config file gives.
func bindSettings(fs *flag.FlagSet, settings []setting, getenv func(string) string) error {
	file := map[string]string{}
	if path := getenv("EKJON_CONFIG"); path != "" {
		var err error
		if file, err = readConfigFile(path); err != nil {
			return err
		}
	}
	for _, s := range settings {
		s.bind(fs, s.flag, s.help+" ["+envName(s.flag)+"]")
		v := getenv(envName(s.flag))
		if v == "" {
			v = file[envName(s.flag)]
		}
		if v != "" {
			if err := fs.Set(s.flag, v); err != nil {
				return fmt.Errorf("%s: %w", envName(s.flag), err)
			}
		}
	}
	return nil
}

func readConfigFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(k, "EKJON_") {
			return nil, fmt.Errorf("config file %s:%d: want EKJON_NAME=value", path, n)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, sc.Err()
}

// minKafkaMessageBytes is the smallest message limit ekjon can work with:
// a decision with a rejection's longest reason, or a dead letter's headers,
// take several kilobytes.
const minKafkaMessageBytes = 16 << 10

// SourceConfig builds the settings of a consumer: the reader must take
// the largest message the input topics may hold, whether or not ekjon
// accepts an event that large.
func (c *Config) SourceConfig() kafka.SourceConfig {
	sc := kafka.DefaultSourceConfig()
	sc.Brokers, sc.GroupID, sc.Topics = c.Kafka.Brokers, c.Kafka.Group, c.Kafka.Topics.Inputs()
	sc.BatchSize, sc.BatchWait = c.Pipeline.BatchSize, c.Pipeline.BatchWait
	sc.MaxBatchBytes, sc.MaxMessageBytes = c.Pipeline.MaxBatchBytes, max(c.Kafka.MaxMessageBytes, c.Pipeline.MaxEventBytes)
	return sc
}

// PublisherConfig builds the settings of the producer.
func (c *Config) PublisherConfig() kafka.PublisherConfig {
	pc := kafka.DefaultPublisherConfig()
	pc.Brokers, pc.Topics, pc.MaxMessageBytes = c.Kafka.Brokers, c.Kafka.Topics, c.Kafka.MaxMessageBytes
	return pc
}

// Validate reports settings that cannot work, every group's at once.
func (c *Config) Validate() error {
	var errs []error
	if c.HMACSecret == "" {
		errs = append(errs, errors.New("hmac-secret: required (EKJON_HMAC_SECRET); it keys the hashes that hide NIDs in the index"))
	} else if len(c.HMACSecret) < 16 {
		errs = append(errs, errors.New("hmac-secret: use at least 16 characters"))
	}
	if c.CardKeys != "" {
		if _, err := cards.ParseKeys(c.CardKeys); err != nil {
			errs = append(errs, fmt.Errorf("card-keys: %w", err))
		}
	}
	for _, v := range []interface{ Validate() error }{&c.Kafka, &c.Redis, &c.Postgres, &c.Pipeline, &c.Rules, &c.Fuzzy, &c.HTTP} {
		errs = append(errs, v.Validate())
	}
	return errors.Join(errs...)
}

// Validate reports Kafka settings that cannot work.
func (k *KafkaSettings) Validate() error {
	var errs []error
	if len(k.Brokers) == 0 {
		errs = append(errs, errors.New("brokers: at least one is required"))
	}
	if k.MaxMessageBytes < minKafkaMessageBytes {
		errs = append(errs, fmt.Errorf("kafka-max-message-bytes: at least %d, room for a decision and a dead letter's headers", minKafkaMessageBytes))
	}
	if k.TopicPartitions < 1 || k.TopicReplication < 1 {
		errs = append(errs, errors.New("topic-partitions and topic-replication: at least 1"))
	}
	return errors.Join(errs...)
}

// Validate reports Redis settings that cannot work.
func (r *RedisSettings) Validate() error {
	var errs []error
	switch {
	case r.WaitReplicas < 0:
		errs = append(errs, errors.New("redis-wait-replicas: 0 or more"))
	case r.WaitReplicas > 0 && r.Cluster:
		// WAIT counts the writes of its own connection; a batch's claims
		// go to many masters on connections go-redis does not expose.
		errs = append(errs, errors.New("redis-wait-replicas: not supported with redis-cluster"))
	case r.WaitReplicas > 0 && r.WaitTimeout <= 0:
		errs = append(errs, errors.New("redis-wait-timeout: above 0"))
	}
	if r.IndexBucketBits < 8 || r.IndexBucketBits > 24 {
		errs = append(errs, errors.New("index-bucket-bits: 8 to 24"))
	}
	return errors.Join(errs...)
}

// Validate reports PostgreSQL settings that cannot work.
func (p *PostgresSettings) Validate() error {
	// The pool refuses to open with no connections; say so before it does.
	if p.MaxConns < 1 {
		return errors.New("db-max-conns: at least 1")
	}
	return nil
}

// Validate reports pipeline settings that cannot work.
func (p *PipelineSettings) Validate() error {
	var errs []error
	if p.Consumers < 1 {
		errs = append(errs, errors.New("consumers: at least 1"))
	}
	if p.BatchSize < 1 {
		errs = append(errs, errors.New("batch-size: at least 1"))
	}
	if p.Parallel < 1 {
		errs = append(errs, errors.New("parallel: at least 1"))
	}
	if p.MaxEventBytes < 1024 {
		errs = append(errs, errors.New("max-event-bytes: at least 1024"))
	}
	if p.MaxBatchBytes < 64<<10 {
		errs = append(errs, errors.New("max-batch-bytes: at least 65536"))
	}
	if p.ScanGroupSize < 1 {
		errs = append(errs, errors.New("scan-group-size: at least 1"))
	}
	if p.ScanGroups < 1 {
		errs = append(errs, errors.New("scan-groups: at least 1"))
	}
	return errors.Join(errs...)
}

// Places returns the gazetteer of the places file, or nil when there is
// none.
func (r *RulesSettings) Places() (*domain.Gazetteer, error) {
	if r.PlacesFile == "" {
		return nil, nil
	}
	g, err := domain.LoadPlacesFile(r.PlacesFile)
	if err != nil {
		return nil, fmt.Errorf("places-file: %w", err)
	}
	return g, nil
}

// UsePlaces makes the places file the process's gazetteer
// (domain.UsePlaces), or the embedded one when there is no file.
func (r *RulesSettings) UsePlaces() error {
	g, err := r.Places()
	if err != nil {
		return err
	}
	domain.UsePlaces(g)
	return nil
}

// Validate reports rules that do not make a valid policy.
func (r *RulesSettings) Validate() error {
	_, err := r.Policy()
	_, perr := r.Places()
	errs := []error{perr}
	if r.DistributorVelocity < 0 {
		errs = append(errs, errors.New("distributor-velocity: not negative"))
	}
	if r.InvalidCards < 0 {
		errs = append(errs, errors.New("invalid-cards: not negative"))
	}
	if r.CycleGrace < 0 || r.ReconcileEvery < 0 {
		errs = append(errs, errors.New("cycle-grace, reconcile-every: not negative"))
	}
	return errors.Join(append(errs, err)...)
}

// Validate reports matcher settings that cannot work.
func (f *FuzzySettings) Validate() error {
	var errs []error
	fc := f.Config(domain.Policy{})
	if err := fc.Model.Validate(); err != nil {
		errs = append(errs, err)
	}
	if f.SharedContact < 1 || f.SharedContactHold < f.SharedContact {
		errs = append(errs, errors.New("shared-contact: at least 1, and shared-contact-hold at least as large"))
	}
	if f.BlockCap < 2 {
		errs = append(errs, errors.New("block-cap: at least 2"))
	}
	return errors.Join(errs...)
}

// Validate reports HTTP settings that cannot work.
func (h *HTTPSettings) Validate() error {
	_, err := h.Proxies()
	return err
}

// Policy builds the screening policy from the settings.
func (c *Config) Policy() (domain.Policy, error) { return c.Rules.Policy() }

// Policy builds the screening policy: the policy file, or the embedded
// default, with the overrides (see RulesSettings).
func (r *RulesSettings) Policy() (domain.Policy, error) {
	p := domain.DefaultPolicy()
	if r.PolicyFile != "" {
		var err error
		if p, err = domain.LoadPolicyFile(r.PolicyFile); err != nil {
			return p, fmt.Errorf("policy-file: %w", err)
		}
	}
	apply := func(name string) bool { return r.PolicyFile == "" || r.set[name] }
	if apply("exclusive") {
		ex, err := domain.ParseExclusive(r.Exclusive)
		if err != nil {
			return p, fmt.Errorf("exclusive: %w", err)
		}
		p.Exclusive = ex
	}
	if apply("wallet-change-days") {
		p.RecentWalletChangeDays = r.WalletChangeDays
	}
	if apply("max-amount") {
		p.MaxAmount = r.MaxAmount
	}
	if apply("policy-version") {
		p.Version = r.PolicyVersion
	}
	if _, err := MatchModel(p); err != nil {
		return p, fmt.Errorf("policy-file: %w", err)
	}
	return p, p.Validate()
}

// MatchModel returns the scorer's built-in model with the policy's match
// weights in place of the levels they name; the error names a level the
// scorer does not have.
func MatchModel(p domain.Policy) (score.Model, error) {
	m := score.DefaultModel()
	for _, w := range p.MatchWeights {
		if err := m.SetLevel(w.Field, w.Level, score.MU{M: w.M, U: w.U}); err != nil {
			return m, fmt.Errorf("match_weights: %w", err)
		}
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("match_weights: %w", err)
	}
	return m, nil
}

// WriteSettings prints the configuration table (flag, variable, default,
// meaning), as in the README.
func WriteSettings(w io.Writer) {
	def := DefaultConfig()
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	_ = BindFlags(fs, &def, func(string) string { return "" })
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "flag\tenvironment\tdefault\tmeaning")
	for _, s := range def.settings() {
		d := fs.Lookup(s.flag).DefValue
		fmt.Fprintf(tw, "--%s\t%s\t%s\t%s\n", s.flag, envName(s.flag), strconv.Quote(d), s.help)
	}
	tw.Flush()
}
