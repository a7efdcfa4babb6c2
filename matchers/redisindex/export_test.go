package redisindex

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/matchers/fuzzy"
)

// MustReady is mustReady, for the tests of the package's API.
var MustReady = mustReady

// Client is the index's Redis client, for the tests of the package's API.
func (ix *Index) Client() redis.UniversalClient { return ix.rdb }

// Prefix is the index's key prefix, for the tests of the package's API.
func (ix *Index) Prefix() string { return ix.cfg.Prefix }

// BlockSize is how many persons the block b holds, for the tests of the
// package's API.
func (ix *Index) BlockSize(ctx context.Context, b fuzzy.Block) (int, error) {
	key, field := ix.blockBucket(b)
	v, err := ix.rdb.HGet(ctx, key, field).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return len(v) / packedLen, err
}
