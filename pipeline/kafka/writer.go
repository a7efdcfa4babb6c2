package kafka

import (
	"net"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// Writer is a kafka-go writer with a transport of its own. Writers without
// one share kafka-go's DefaultTransport, which caches each broker address's
// metadata for seconds: a broker started on the address of one that just
// stopped (the demo's, a test's) is then written by the old broker's
// metadata, to partitions it may not have.
type Writer struct {
	*kafkago.Writer
	transport *kafkago.Transport
}

// NewWriter gives w a transport of its own and returns it.
func NewWriter(w *kafkago.Writer) *Writer {
	t := &kafkago.Transport{Dial: (&net.Dialer{Timeout: 3 * time.Second}).DialContext}
	w.Transport = t
	return &Writer{Writer: w, transport: t}
}

// Close flushes the writer and closes its connections.
func (w *Writer) Close() error {
	err := w.Writer.Close()
	w.transport.CloseIdleConnections()
	return err
}
