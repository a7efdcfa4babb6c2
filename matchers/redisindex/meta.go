package redisindex

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The index's own keys, the ready marker and the rebuild lock, share the
// hash tag {meta}: on a Redis Cluster they live in one slot, so one script
// may check who holds the lock and set the marker (see lock.go).
func (ix *Index) metaKey(name string) string { return ix.cfg.Prefix + "{meta}:" + name }

// ReadyKey marks an index that is complete: built from the record or grown
// from empty together with it, in this key layout. A worker finding it
// missing must rebuild the index before deciding. Its value is a marker
// (see marker).
func (ix *Index) ReadyKey() string {
	return ix.metaKey("ready:" + layoutVersion + "/" + strconv.Itoa(ix.cfg.BucketBits))
}

func (ix *Index) lockKey() string { return ix.metaKey("rebuild-lock") }

// Generation starts or reads an index generation of the record (see
// sinks/postgres Store.BeginRebuild and Store.Generation).
type Generation func(ctx context.Context) (int64, error)

// marker is what the ready marker says of the index.
type marker struct {
	// generation is the record's index generation the index answers to:
	// Decide returns it, and the record refuses a batch decided under
	// another. It is at least 1; 0 would tell the record not to check.
	generation int64
	// at is when the index was marked ready.
	at time.Time
	// servers are the masters of Redis as they were when the index was
	// marked (see servers). A master restarted since may have come back
	// from an older snapshot, and a replica promoted since may have missed
	// the last writes: either way, claims may be lost while the marker
	// stays.
	servers []string
}

// String is the marker as the ready key holds it: the generation, the
// time and the servers, separated by spaces.
func (m marker) String() string {
	return strings.Join(append([]string{strconv.FormatInt(m.generation, 10), m.at.UTC().Format(time.RFC3339)}, m.servers...), " ")
}

// parseMarker reads a marker; ok is false for a value that is not one,
// such as an earlier version's, which then reads as no marker at all.
func parseMarker(s string) (m marker, ok bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return m, false
	}
	gen, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || gen < 1 {
		return m, false
	}
	at, err := time.Parse(time.RFC3339, f[1])
	if err != nil {
		return m, false
	}
	return marker{generation: gen, at: at, servers: f[2:]}, true
}

// readMarker reads the ready marker; ok is false when there is none.
func (ix *Index) readMarker(ctx context.Context) (m marker, ok bool, err error) {
	v, err := ix.rdb.Get(ctx, ix.ReadyKey()).Result()
	if errors.Is(err, redis.Nil) {
		return m, false, nil
	}
	if err != nil {
		return m, false, classify("redis: ready marker", err)
	}
	m, ok = parseMarker(v)
	return m, ok, nil
}

// unknownServer stands for a server that does not say who it is.
const unknownServer = "?"

// servers names each master of Redis (every master of a cluster) by its
// run id, sorted: a restart changes it, and a failover puts another
// server, with another run id, in the master's place. The replication id
// is left out: a master takes a new one when its first replica attaches,
// or when its backlog is recreated, without losing anything. A server that
// refuses INFO (an embedded test server, a managed service that hides it)
// is unknownServer, and is trusted as it is: its restarts are found only
// when they lose the marker too.
func (ix *Index) servers(ctx context.Context) ([]string, error) {
	var (
		mu  sync.Mutex
		out []string
	)
	one := func(ctx context.Context, c *redis.Client) error {
		id, err := serverID(ctx, c)
		mu.Lock()
		out = append(out, id)
		mu.Unlock()
		return err
	}
	if err := ix.eachMaster(ctx, one); err != nil {
		return nil, classify("redis: server identity", err)
	}
	slices.Sort(out)
	return out, nil
}

// serverID is one server's run id.
func serverID(ctx context.Context, c *redis.Client) (string, error) {
	return runID(c.Info(ctx, "server").Result())
}

// runID is the run id in a server's reply to INFO server, or
// unknownServer when it refused the command.
func runID(info string, err error) (string, error) {
	var reply redis.Error
	if errors.As(err, &reply) && !transient(err) {
		return unknownServer, nil
	}
	if err != nil {
		return "", err
	}
	if id := infoField(info, "run_id"); id != "" {
		return id, nil
	}
	return unknownServer, nil
}

// infoField returns the value of name in an INFO reply, or "".
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// Ready reports whether the index is complete (see ReadyKey).
func (ix *Index) Ready(ctx context.Context) (bool, error) {
	_, ok, err := ix.readMarker(ctx)
	return ok, err
}

// ReadyGeneration returns the record's index generation the index is
// ready at, and whether it is ready at all. The review's relay applies a
// reviewer's change to the index only once it is ready at the generation
// the review saw, so a rebuild in progress cannot load the record's older
// state over the change.
func (ix *Index) ReadyGeneration(ctx context.Context) (int64, bool, error) {
	m, ok, err := ix.readMarker(ctx)
	if err != nil || !ok {
		return 0, false, err
	}
	return m.generation, true, nil
}

// Verify says whether the index may still be decided against: "" when it
// may, else why not, for the log. It may not when it is not ready, when
// its generation is not the record's current one (the record restored
// from a backup, or a rebuild marked by hand), or when a master of Redis
// has restarted or been replaced since the index was marked (see
// servers). generation reads the record's; it is read after the marker,
// so that a rebuild finishing in between is not taken for a mismatch. The
// index guard calls it every second and rebuilds on a reason.
func (ix *Index) Verify(ctx context.Context, generation Generation) (reason string, err error) {
	m, ok, err := ix.readMarker(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "the index is not ready", nil
	}
	now, err := ix.servers(ctx)
	if err != nil {
		return "", err
	}
	if !slices.Equal(now, m.servers) {
		return "a Redis server restarted or failed over since the index was built (its run id changed): " +
			"recent claims may be lost", nil
	}
	gen, err := generation(ctx)
	if err != nil {
		return "", err
	}
	if gen == m.generation {
		return "", nil
	}
	// A rebuild may have begun or ended since the marker was read: read it
	// again before calling the index stale.
	switch m, ok, err = ix.readMarker(ctx); {
	case err != nil:
		return "", err
	case !ok:
		return "the index is not ready", nil
	case m.generation == gen:
		return "", nil
	}
	return "the index answers to generation " + strconv.FormatInt(m.generation, 10) +
		" of the record, which is at " + strconv.FormatInt(gen, 10), nil
}

// confirm checks, once a batch's claims have run, that the index the batch
// began against is still there: the same ready marker, and every master of
// Redis the same server the marker names. A Redis that restarted in the
// middle of the batch (losing its data, or reloading an older snapshot)
// may have taken the claims against an empty or older index; the batch
// then fails with ErrNotReady, to be decided again once the index is
// rebuilt, and the index is marked for that rebuild. The check runs after
// the claims, so a restart before it is seen; one after it cannot change
// what the claims saw. A server that does not say who it is (see servers)
// is trusted, as in Verify. Both reads go in one round trip (see
// markerAndServers): the check is on every batch's path.
func (ix *Index) confirm(ctx context.Context, began marker) error {
	m, ok, now, err := ix.markerAndServers(ctx)
	if err != nil {
		return err
	}
	if !ok || m.String() != began.String() {
		return ErrNotReady
	}
	if !slices.Equal(now, began.servers) {
		if err := ix.Invalidate(ctx); err != nil {
			return err
		}
		return ErrNotReady
	}
	return nil
}

// markerAndServers reads the ready marker (ok is false when there is
// none) and the masters' run ids (see servers) together: on one server in
// one pipeline, which the server runs in order after whatever the batch
// sent before; on a cluster, the marker's master and every master at once.
func (ix *Index) markerAndServers(ctx context.Context) (m marker, ok bool, servers []string, err error) {
	c, single := ix.rdb.(*redis.Client)
	if !single {
		var (
			wg      sync.WaitGroup
			readErr error
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, ok, readErr = ix.readMarker(ctx)
		}()
		servers, err = ix.servers(ctx)
		wg.Wait()
		if readErr != nil {
			return m, false, nil, readErr
		}
		return m, ok, servers, err
	}
	pipe := c.Pipeline()
	get := pipe.Get(ctx, ix.ReadyKey())
	info := pipe.Info(ctx, "server")
	_, _ = pipe.Exec(ctx) // each command's error is read below
	v, err := get.Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return m, false, nil, classify("redis: ready marker", err)
	default:
		m, ok = parseMarker(v)
	}
	id, err := runID(info.Result())
	if err != nil {
		return m, false, nil, classify("redis: server identity", err)
	}
	return m, ok, []string{id}, nil
}

// Invalidate marks the index incomplete, so that no batch is decided until
// it has been rebuilt from the record.
func (ix *Index) Invalidate(ctx context.Context) error {
	return classify("redis: invalidate", ix.rdb.Del(ctx, ix.ReadyKey()).Err())
}

// MarkReady marks the index complete and answering to the record's index
// generation (at least 1): an index that starts empty with an empty
// record, or one loaded by other means. It fails with ErrRebuilding while
// a rebuild holds the lock.
func (ix *Index) MarkReady(ctx context.Context, generation int64) error {
	return ix.markReadyAs(ctx, func(context.Context) (int64, error) { return generation, nil })
}

// markReadyAs takes the rebuild lock, reads the generation under it and
// marks the index ready with it. Under the lock, no rebuild can begin a
// newer generation in between.
func (ix *Index) markReadyAs(ctx context.Context, generation Generation) error {
	l, err := ix.acquire(ctx)
	if err != nil {
		return err
	}
	if l == nil {
		return ErrRebuilding
	}
	defer l.release(context.WithoutCancel(ctx)) //nolint:errcheck // the lease lapses anyway
	gen, err := generation(ctx)
	if err != nil {
		return err
	}
	return l.markReady(ctx, gen)
}
