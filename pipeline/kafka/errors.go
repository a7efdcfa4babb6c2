package kafka

import (
	"errors"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/domain"
)

// classify gives err, from kafka-go, its kind, so that the processor
// retries what may pass and isolates what never will:
//
//   - a kafka.Error the protocol calls temporary (no leader, a timeout,
//     too few in-sync replicas) is KindTransient, and so are a network
//     error (net.Error), a dropped connection (io.EOF) and a deadline;
//   - a message or batch the broker or the writer finds too large, or a
//     record the broker refuses, is KindInvalid: the same bytes will be
//     refused again;
//   - any other kafka.Error (an authorization failure, an unknown
//     setting) is KindInternal;
//   - kafka.WriteErrors, one error per message, takes the worst kind of
//     its messages' errors: invalid, then internal, then transient.
//
// An error of no other type kafka-go documents is taken as transient too:
// taking it for the event's fault would reject events that may be fine,
// while retrying it pauses the consumer, which the failure metrics and
// alerts make visible.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	return domain.Wrap(kindOf(err), op, err)
}

func kindOf(err error) domain.Kind {
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		kind := domain.KindTransient
		for _, e := range werrs {
			if e != nil {
				kind = worse(kind, kindOf(e))
			}
		}
		return kind
	}
	var tooLarge kafkago.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return domain.KindInvalid
	}
	var kerr kafkago.Error
	if errors.As(err, &kerr) {
		switch {
		case kerr.Temporary():
			return domain.KindTransient
		case kerr == kafkago.MessageSizeTooLarge, kerr == kafkago.RecordListTooLarge,
			kerr == kafkago.InvalidRecord, kerr == kafkago.InvalidTimestamp:
			return domain.KindInvalid
		}
		return domain.KindInternal
	}
	// A network error, a dropped connection, a deadline, or anything else.
	return domain.KindTransient
}

// worse returns the kind that says more about what to do with a batch: an
// invalid message is isolated, an internal failure reported, a transient
// one retried.
func worse(a, b domain.Kind) domain.Kind {
	rank := func(k domain.Kind) int {
		switch k {
		case domain.KindInvalid:
			return 2
		case domain.KindInternal:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
