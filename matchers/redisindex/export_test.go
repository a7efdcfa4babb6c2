package redisindex

import "github.com/redis/go-redis/v9"

// MustReady is mustReady, for the tests of the package's API.
var MustReady = mustReady

// Client is the index's Redis client, for the tests of the package's API.
func (ix *Index) Client() redis.UniversalClient { return ix.rdb }

// Prefix is the index's key prefix, for the tests of the package's API.
func (ix *Index) Prefix() string { return ix.cfg.Prefix }
