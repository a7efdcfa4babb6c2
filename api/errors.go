package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// accessError is a refusal that is not about the input: not logged in, not
// allowed, or too many attempts.
type accessError struct {
	status int
	msg    string
	// retryAfter, when positive, is how long the client must wait.
	retryAfter time.Duration
}

func (e *accessError) Error() string { return e.msg }

func errUnauthenticated(msg string) error {
	return &accessError{status: http.StatusUnauthorized, msg: msg}
}

func errForbidden(msg string) error { return &accessError{status: http.StatusForbidden, msg: msg} }

func errTooMany(msg string, wait time.Duration) error {
	return &accessError{status: http.StatusTooManyRequests, msg: msg, retryAfter: wait}
}

// setRetryAfter tells the client how long err asks it to wait, in whole
// seconds rounded up, if it does.
func setRetryAfter(w http.ResponseWriter, err error) {
	var ae *accessError
	if errors.As(err, &ae) && ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((ae.retryAfter+time.Second-1)/time.Second), 10))
	}
}

func invalidField(field, reason string) error {
	return &domain.Error{Kind: domain.KindInvalid, Op: "request", Fields: []domain.FieldError{{Field: field, Reason: reason}}}
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error  string              `json:"error"`
	Kind   string              `json:"kind"`
	Fields []domain.FieldError `json:"fields,omitempty"`
}

// classifyError is the one mapping from error kinds (and the review
// policy's *review.Forbidden) to HTTP status. It decides what the client
// may read: the message of an invalid, not found or conflicting request,
// and for anything internal only that it happened.
func classifyError(err error) (int, errorBody) {
	var ae *accessError
	if errors.As(err, &ae) {
		kind := map[int]string{401: "unauthenticated", 403: "forbidden", 429: "rate_limited"}[ae.status]
		return ae.status, errorBody{Error: ae.msg, Kind: kind}
	}
	var fb *review.Forbidden
	if errors.As(err, &fb) {
		return http.StatusForbidden, errorBody{Error: fb.Reason, Kind: "forbidden"}
	}
	var de *domain.Error
	msg := ""
	if errors.As(err, &de) && de.Err != nil {
		msg = de.Err.Error()
	}
	switch domain.KindOf(err) {
	case domain.KindInvalid:
		fields := domain.FieldsOf(err)
		if msg == "" && len(fields) > 0 {
			msg = "invalid request: " + fields[0].String()
		}
		return http.StatusBadRequest, errorBody{Error: msg, Kind: "invalid", Fields: fields}
	case domain.KindNotFound:
		return http.StatusNotFound, errorBody{Error: "not found", Kind: "not_found"}
	case domain.KindConflict:
		if de == nil || de.Op != "review" {
			msg = "the record changed under this action; reload and try again"
		}
		return http.StatusConflict, errorBody{Error: msg, Kind: "conflict"}
	case domain.KindTransient:
		return http.StatusServiceUnavailable, errorBody{Error: "a dependency is unavailable; try again shortly", Kind: "unavailable"}
	}
	return http.StatusInternalServerError, errorBody{Error: "internal error", Kind: "internal"}
}

// writeError answers err as JSON, logging what the client is not told.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, body := classifyError(err)
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	setRetryAfter(w, err)
	writeJSON(w, status, body)
}
