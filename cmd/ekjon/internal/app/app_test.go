package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
)

// TestNewFailsCleanly: a start-up that fails half way (here, an
// unreachable database) returns its error and releases what it built,
// rather than panicking on the way out.
func TestNewFailsCleanly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HMACSecret = "a-secret-long-enough-0123456789"
	cfg.DatabaseURL = "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil {
		a.Close()
		t.Fatal("New succeeded without a database")
	}
}
