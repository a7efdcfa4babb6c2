package redisindex

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// The rebuild lock has an owner: whoever set it, with a random token. Only
// the owner extends it, frees it or marks the index ready, each a script
// that compares the token first, so a rebuilder whose lease lapsed (a long
// pause, a partition) and who carries on cannot free the lock of the
// rebuild that took over, nor mark ready an index that rebuild is still
// loading.
var (
	lockExtendScript  = newScript("lock_extend.lua")
	lockReleaseScript = newScript("lock_release.lua")
	lockReadyScript   = newScript("lock_ready.lua")
)

// DefaultRebuildLease is how long the rebuild lock lasts unless renewed,
// when Config.RebuildLease is not set.
const DefaultRebuildLease = 5 * time.Minute

// leaseTerm returns how long the rebuild lock lasts unless renewed.
func (ix *Index) leaseTerm() time.Duration {
	if ix.cfg.RebuildLease > 0 {
		return ix.cfg.RebuildLease
	}
	return DefaultRebuildLease
}

// ErrLockLost says a rebuild's lease on the lock lapsed and another took
// the lock: the rebuild stopped, leaving the index to the other. It is of
// KindTransient.
var ErrLockLost = domain.Errorf(domain.KindTransient, "redis index", "the rebuild lock lapsed and another rebuild took it over")

// ErrRebuilding says a rebuild holds the lock, so the index cannot be
// marked ready by anyone else. It is of KindTransient.
var ErrRebuilding = domain.Errorf(domain.KindTransient, "redis index", "another process is rebuilding the index")

// lease is a hold on the rebuild lock, for term unless renewed.
type lease struct {
	ix    *Index
	token string
	term  time.Duration
}

// acquire takes the rebuild lock for a lease, or returns a nil lease
// when another holds it.
func (ix *Index) acquire(ctx context.Context) (*lease, error) {
	return ix.acquireFor(ctx, ix.leaseTerm())
}

// acquireFor is acquire with a lease of term.
func (ix *Index) acquireFor(ctx context.Context, term time.Duration) (*lease, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, domain.Wrap(domain.KindInternal, "redis: rebuild lock", err)
	}
	l := &lease{ix: ix, token: hex.EncodeToString(b), term: term}
	ok, err := ix.rdb.SetNX(ctx, ix.lockKey(), l.token, term).Result()
	if err != nil {
		return nil, classify("redis: rebuild lock", err)
	}
	if !ok {
		return nil, nil
	}
	return l, nil
}

// extend renews the lease for another term; ErrLockLost if the
// lock is no longer the lease's.
func (l *lease) extend(ctx context.Context) error {
	n, err := lockExtendScript.Run(ctx, l.ix.rdb, []string{l.ix.lockKey()}, l.token, l.term.Milliseconds()).Int()
	if err != nil {
		return classify("redis: extend rebuild lock", err)
	}
	if n != 1 {
		return ErrLockLost
	}
	return nil
}

// release frees the lock if it is still the lease's, and does nothing
// otherwise.
func (l *lease) release(ctx context.Context) error {
	return classify("redis: free rebuild lock", lockReleaseScript.Run(ctx, l.ix.rdb, []string{l.ix.lockKey()}, l.token).Err())
}

// markReady marks the index ready, answering to generation, if the lock is
// still the lease's; ErrLockLost if not. The marker names the servers of
// Redis as they are now (see servers).
func (l *lease) markReady(ctx context.Context, generation int64) error {
	if generation < 1 {
		// 0 tells the record not to check the generation at all.
		return domain.Errorf(domain.KindInternal, "redis: mark ready", "generation %d: the record has begun none (Store.BeginRebuild)", generation)
	}
	servers, err := l.ix.servers(ctx)
	if err != nil {
		return err
	}
	m := marker{generation: generation, at: time.Now(), servers: servers}
	n, err := lockReadyScript.Run(ctx, l.ix.rdb, []string{l.ix.lockKey(), l.ix.ReadyKey()}, l.token, m.String()).Int()
	if err != nil {
		return classify("redis: mark ready", err)
	}
	if n != 1 {
		return ErrLockLost
	}
	return nil
}

// keep extends the lease every third of it until ctx ends, so that a
// rebuild that spends long between writes (the record sorting a national
// registry) keeps the lock; when the lock is lost, it calls lost.
func (l *lease) keep(ctx context.Context, lost func()) {
	t := time.NewTicker(l.term / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.extend(ctx); errors.Is(err, ErrLockLost) {
			lost()
			return
		}
	}
}
