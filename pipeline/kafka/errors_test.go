package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/domain"
)

// TestErrorKinds: kafka-go's errors are classified by their types, so that
// the processor retries what may pass and isolates what never will.
func TestErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want domain.Kind
	}{
		{"leader moved", kafkago.NotLeaderForPartition, domain.KindTransient},
		{"timed out", fmt.Errorf("produce: %w", kafkago.RequestTimedOut), domain.KindTransient},
		{"too few replicas", kafkago.NotEnoughReplicas, domain.KindTransient},
		{"message too large for the broker", kafkago.MessageSizeTooLarge, domain.KindInvalid},
		{"batch too large for the broker", kafkago.RecordListTooLarge, domain.KindInvalid},
		{"record refused", kafkago.InvalidRecord, domain.KindInvalid},
		{"message too large for the writer", kafkago.MessageTooLargeError{}, domain.KindInvalid},
		{"not allowed", kafkago.TopicAuthorizationFailed, domain.KindInternal},
		{"one message of many too large", kafkago.WriteErrors{nil, kafkago.MessageSizeTooLarge, kafkago.NotLeaderForPartition}, domain.KindInvalid},
		{"some messages without a leader", kafkago.WriteErrors{nil, kafkago.LeaderNotAvailable, nil}, domain.KindTransient},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, domain.KindTransient},
		{"connection dropped", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), domain.KindTransient},
		{"deadline", context.DeadlineExceeded, domain.KindTransient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := classify("publish", tc.err)
			if got := domain.KindOf(err); got != tc.want {
				t.Errorf("kind %v, want %v", got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.err.Error()) {
				t.Errorf("%q does not say %q", err, tc.err)
			}
		})
	}
}
