package redisindex

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
)

// classify gives an error of Redis or go-redis its kind where it arises,
// by its type. Transient is what no event can be at fault for, so that the
// stream waits and retries: a broken connection, a server restarting,
// failing over or resharding, and a server that refuses ekjon altogether
// (an ACL, a password, memory), which an operator must mend. Anything else,
// a script that fails or a key of the wrong type above all, is internal,
// and the processor sets aside the event that met it. An error already
// classified keeps its kind.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var known *domain.Error
	if errors.As(err, &known) {
		return domain.Wrap(known.Kind, op, err)
	}
	if transient(err) {
		return domain.Wrap(domain.KindTransient, op, err)
	}
	return domain.Wrap(domain.KindInternal, op, err)
}

// transient reports whether err is one that retrying may cure.
func transient(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) {
		return true
	}
	if _, moved := redis.IsMovedError(err); moved {
		return true
	}
	if _, ask := redis.IsAskError(err); ask {
		return true
	}
	switch {
	case redis.IsLoadingError(err), redis.IsClusterDownError(err), redis.IsTryAgainError(err),
		redis.IsMasterDownError(err), redis.IsReadOnlyError(err), redis.IsNoReplicasError(err),
		redis.IsMaxClientsError(err), redis.IsOOMError(err),
		redis.IsAuthError(err), redis.IsPermissionError(err):
		return true
	}
	// go-redis has no typed check for these replies, so their codes are
	// matched: NOSCRIPT (the script cache was emptied; the retry loads
	// the scripts again), BUSY (another client's script runs too long) and
	// MISCONF (the server refuses writes it cannot persist).
	for _, code := range []string{"NOSCRIPT", "BUSY", "MISCONF"} {
		if redis.HasErrorPrefix(err, code) {
			return true
		}
	}
	return false
}
