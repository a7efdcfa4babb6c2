package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
)

// checkRedis checks that the index's Redis answers, in the mode
// --redis-cluster says, with the listpack settings that keep the index
// compact, and with the persistence and eviction policy docs/redis.md
// asks for.
func checkRedis(ctx context.Context, cfg Config, _ CheckMode) []CheckResult {
	const name = "redis"
	seed, addrs, err := seedOptions(cfg)
	if err != nil {
		return []CheckResult{failed(name, errText(err), "fix --redis-url (EKJON_REDIS_URL)")}
	}
	c := redis.NewClient(seed)
	defer c.Close()
	info, err := c.Info(ctx, "server", "cluster").Result()
	if err != nil {
		return []CheckResult{failed(name, "Redis at "+seed.Addr+" does not answer ("+errText(err)+")",
			"check --redis-url (EKJON_REDIS_URL) and that Redis runs and is reachable from here")}
	}
	version, cluster := infoField(info, "redis_version"), infoField(info, "cluster_enabled") == "1"
	switch {
	case cluster && !cfg.Redis.Cluster:
		return []CheckResult{failed(name, "Redis at "+seed.Addr+" is a Redis Cluster node, and --redis-cluster is not set",
			"set --redis-cluster (EKJON_REDIS_CLUSTER=true) with the cluster's seed URL in --redis-url")}
	case !cluster && cfg.Redis.Cluster:
		return []CheckResult{failed(name, "Redis at "+seed.Addr+" is a single server, not a Redis Cluster node, and --redis-cluster is set",
			"unset --redis-cluster (EKJON_REDIS_CLUSTER=false), or point --redis-url at a cluster")}
	}

	rdb, err := OpenRedis(cfg)
	if err != nil {
		return []CheckResult{failed(name, errText(err), "fix --redis-url (EKJON_REDIS_URL)")}
	}
	defer rdb.Close()
	mode := "a single server"
	if cluster {
		if err := rdb.Ping(ctx).Err(); err != nil {
			return []CheckResult{failed(name, "Redis Cluster at "+addrs+" does not answer ("+errText(err)+")",
				"check --redis-url (EKJON_REDIS_URL) and the cluster's state (redis-cli cluster info)")}
		}
		mode = "a Redis Cluster"
	}
	out := []CheckResult{passed(name, fmt.Sprintf("Redis %s at %s, %s as --redis-cluster says", version, addrs, mode))}

	confs, err := serverConfigs(ctx, rdb, "appendonly", "appendfsync", "save", "maxmemory-policy")
	if err != nil {
		// Managed services may disable CONFIG: nothing more can be seen.
		remedy := "make sure the server has the settings of deploy/redis.conf"
		return append(out,
			warned("redis listpack", "Redis refuses CONFIG GET ("+errText(err)+"); the listpack settings cannot be checked", remedy),
			warned("redis persistence", "Redis refuses CONFIG GET; persistence and eviction cannot be checked", remedy))
	}
	policy, _ := cfg.Policy()
	ix := redisindex.New(rdb, domain.NewPseudonymizer([]byte(cfg.HMACSecret)), cfg.IndexConfig(policy))
	if low := ix.CheckConfig(ctx); len(low) > 0 {
		var set []string
		for name, v := range redisindex.ListpackSettings() {
			set = append(set, fmt.Sprintf("%s %d", name, v))
		}
		slices.Sort(set)
		out = append(out, failed("redis listpack", strings.Join(low, ", ")+": the index's buckets take about three times the memory",
			"set "+strings.Join(set, " and ")+" as in deploy/redis.conf (CONFIG SET takes them live)"))
	} else {
		out = append(out, passed("redis listpack", "hash-max-listpack-entries and hash-max-listpack-value keep the index's buckets compact"))
	}
	return append(out, worstPersistence(confs))
}

// seedOptions returns the options of a plain client to the first address
// of --redis-url, whichever the mode, to ask the server what it is, and
// the addresses the URL names.
func seedOptions(cfg Config) (*redis.Options, string, error) {
	if !cfg.Redis.Cluster {
		opt, err := redis.ParseURL(cfg.Redis.URL)
		if err != nil {
			return nil, "", fmt.Errorf("redis-url: %w", err)
		}
		return opt, opt.Addr, nil
	}
	co, err := redis.ParseClusterURL(cfg.Redis.URL)
	if err != nil {
		return nil, "", fmt.Errorf("redis-url: %w", err)
	}
	return &redis.Options{Addr: co.Addrs[0], Username: co.Username, Password: co.Password, TLSConfig: co.TLSConfig,
		Protocol: co.Protocol, DialTimeout: co.DialTimeout}, strings.Join(co.Addrs, ","), nil
}

// infoField returns a field of an INFO answer.
func infoField(info, key string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			return v
		}
	}
	return ""
}

// serverConfig is the settings of one Redis server (each master of a
// cluster).
type serverConfig struct {
	addr string
	conf map[string]string
}

// serverConfigs reads settings from the server, or from every master of
// a cluster.
func serverConfigs(ctx context.Context, rdb redis.UniversalClient, names ...string) ([]serverConfig, error) {
	read := func(ctx context.Context, c *redis.Client) (serverConfig, error) {
		sc := serverConfig{addr: c.Options().Addr, conf: map[string]string{}}
		for _, n := range names {
			v, err := c.ConfigGet(ctx, n).Result()
			if err != nil {
				return sc, err
			}
			sc.conf[n] = v[n]
		}
		return sc, nil
	}
	var (
		mu  sync.Mutex
		out []serverConfig
	)
	err := redisindex.EachMaster(ctx, rdb, func(ctx context.Context, c *redis.Client) error {
		sc, err := read(ctx, c)
		mu.Lock()
		out = append(out, sc)
		mu.Unlock()
		return err
	})
	return out, err
}

// worstPersistence is the persistence check over every server: the first
// failure, else the first warning, else what the first server keeps.
func worstPersistence(servers []serverConfig) CheckResult {
	var worst CheckResult
	for i, s := range servers {
		r := checkPersistence(s.conf)
		if len(servers) > 1 {
			r.Found = s.addr + ": " + r.Found
		}
		if i == 0 || rank(r.Status) > rank(worst.Status) {
			worst = r
		}
	}
	return worst
}

func rank(s CheckStatus) int {
	return map[CheckStatus]int{CheckOK: 0, CheckWarn: 1, CheckFail: 2}[s]
}

// checkPersistence checks a server's persistence and eviction settings
// as docs/redis.md asks: the append-only file, or no persistence at all,
// never RDB snapshots alone; and never evicting a key.
func checkPersistence(conf map[string]string) CheckResult {
	const name = "redis persistence"
	aof, fsync, save, policy := conf["appendonly"], conf["appendfsync"], conf["save"], conf["maxmemory-policy"]
	found := fmt.Sprintf("appendonly %s (appendfsync %s), save %q, maxmemory-policy %s", aof, fsync, save, policy)
	switch {
	case policy != "noeviction":
		return failed(name, found+": Redis may evict an index key, and an evicted claim is a duplicate admitted",
			"set maxmemory-policy noeviction (deploy/redis.conf)")
	case aof != "yes" && save != "":
		return failed(name, found+": RDB snapshots alone bring back, after a restart, an index that may be hours old",
			`set appendonly yes (deploy/redis.conf), or save "" to keep nothing and have the index rebuilt after every restart`)
	case aof == "yes" && fsync == "no":
		return warned(name, found+": a machine crash loses the writes the system had not flushed, up to about 30 s",
			"set appendfsync everysec (or always)")
	case aof == "yes":
		return passed(name, found+": the append-only file keeps the index across a restart")
	}
	return passed(name, found+": nothing kept; after a restart the index is rebuilt before anything is decided")
}
