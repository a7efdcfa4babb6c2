package redisindex

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
)

// DefaultWaitTimeout is how long a batch's claims wait for replicas when
// Config.WaitTimeout is not set.
const DefaultWaitTimeout = time.Second

// waitReplicas ends a pipeline of claims with WAIT when the index is told
// to (Config.WaitReplicas): the claims are then on that many replicas
// before the batch is recorded, so a failover to one of them keeps them.
// WAIT counts the writes of its own connection, which a pipeline on one
// server shares; a cluster client sends the pipeline's commands to many
// servers and WAIT to one of them, so it gets none. It returns nil when
// there is nothing to wait for.
func (ix *Index) waitReplicas(ctx context.Context, pipe redis.Pipeliner) *redis.Cmd {
	if ix.cfg.WaitReplicas <= 0 {
		return nil
	}
	if _, ok := ix.rdb.(*redis.ClusterClient); ok {
		return nil
	}
	timeout := ix.cfg.WaitTimeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	return pipe.Do(ctx, "WAIT", ix.cfg.WaitReplicas, timeout.Milliseconds())
}

// replicated reports a shortfall of the WAIT that waitReplicas queued as a
// transient error: the claims stand on the master, and deciding the batch
// again finds them and waits again.
func (ix *Index) replicated(wait *redis.Cmd) error {
	if wait == nil {
		return nil
	}
	n, err := wait.Int64()
	if err != nil {
		return err
	}
	if n < int64(ix.cfg.WaitReplicas) {
		return domain.Errorf(domain.KindTransient, "redis: wait for replicas",
			"%d of %d replicas acknowledged the batch's claims in time", n, ix.cfg.WaitReplicas)
	}
	return nil
}
