// Package api serves ekjon over HTTP: the ops endpoints (/metrics,
// /healthz, /readyz) and the reviewers' JSON API and web UI. The review's
// policy and read model are in package review; the API reaches the record
// only through review's interfaces, so any implementation of them serves.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ekjon/ekjon/domain"
)

// Check reports whether one dependency is usable; readiness runs them all.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Server is the HTTP server. Routes beyond the ops endpoints are mounted by
// the review service.
type Server struct {
	Router   chi.Router
	log      *slog.Logger
	checks   []Check
	srv      *http.Server
	listener net.Listener
}

// NewServer builds the router with /metrics from gatherer, /healthz (the
// process is alive) and /readyz (every check passes).
func NewServer(log *slog.Logger, gatherer prometheus.Gatherer, checks ...Check) *Server {
	s := &Server{Router: chi.NewRouter(), log: log, checks: checks}
	s.Router.Use(middleware.Recoverer)
	s.Router.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	s.Router.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.Router.Get("/readyz", s.ready)
	return s
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status, failing := http.StatusOK, map[string]string{}
	for _, c := range s.checks {
		if err := c.Fn(ctx); err != nil {
			status = http.StatusServiceUnavailable
			failing[c.Name] = domain.KindOf(err).String()
		}
	}
	writeJSON(w, status, map[string]any{"ready": status == http.StatusOK, "failing": failing})
}

// MountProfiler serves Go's pprof profiles under /debug/pprof, for
// profiling a worker under load. Mount it only where ops want it: profiles
// reveal code paths, not data.
func (s *Server) MountProfiler() {
	s.Router.HandleFunc("/debug/pprof/*", pprof.Index)
	s.Router.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	s.Router.HandleFunc("/debug/pprof/profile", pprof.Profile)
	s.Router.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	s.Router.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// Listen binds addr (":0" picks a free port) and returns the bound address.
func (s *Server) Listen(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.listener = l
	return l.Addr().String(), nil
}

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	if s.listener == nil {
		return errors.New("api: Run before Listen")
	}
	s.srv = &http.Server{Handler: s.Router, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.listener) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(shut); err != nil {
			return err
		}
		return nil
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
