package pipeline

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus instruments. Labels carry only
// small fixed sets (topics, stages, actions, rule codes), never ids.
type Metrics struct {
	consumed     *prometheus.CounterVec
	decisions    *prometheus.CounterVec
	stage        *prometheus.HistogramVec
	batchSize    prometheus.Histogram
	latency      prometheus.Histogram
	queued       prometheus.Histogram
	lag          *prometheus.GaugeVec
	lastCommit   *prometheus.GaugeVec
	retries      *prometheus.CounterVec
	failed       *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	redelivered  prometheus.Counter
	commitFailed prometheus.Counter
	isolated     *prometheus.CounterVec
	groupSize    prometheus.Histogram
	groupWaiting prometheus.Gauge
}

// NewMetrics builds the pipeline's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_pipeline_events_consumed_total", Help: "Events read from the input topics.",
		}, []string{"topic"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_pipeline_decisions_total", Help: "Decisions made, by action and rule code (none when no rule fired).",
		}, []string{"action", "rule"}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ekjon_pipeline_stage_duration_seconds", Help: "Time a batch spends in each stage.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
		}, []string{"stage"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ekjon_pipeline_batch_size_events", Help: "Events per batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ekjon_pipeline_decision_latency_seconds", Help: "From the event's Kafka timestamp to its decision being durable.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		queued: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ekjon_pipeline_queued_seconds",
			Help:    "From the event's Kafka timestamp to its batch being fetched: time in the broker, in the consumer's queue and behind the consumer's batch in flight. The decision latency less this is the batch's own processing.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ekjon_pipeline_commit_lag_messages",
			Help: "Messages of the partition not yet committed: its high-water mark less the next offset to commit; set on every fetch and commit, and while a batch is in flight.",
		}, []string{"topic", "partition"}),
		lastCommit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ekjon_pipeline_last_commit_timestamp_seconds",
			Help: "Unix time of this process's last commit on the partition; before its first, of its first fetch from it.",
		}, []string{"topic", "partition"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_pipeline_retried_total", Help: "Stage attempts retried after a failure.",
		}, []string{"stage"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_pipeline_failed_total", Help: "Stage attempts that failed, by error kind.",
		}, []string{"stage", "kind"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_pipeline_deadletters_total", Help: "Events sent to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		redelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ekjon_pipeline_redelivered_total", Help: "Events whose decision was already durable and was not made again.",
		}),
		commitFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ekjon_pipeline_commit_failed_total", Help: "Offset commits that failed; the events are redelivered and found decided.",
		}),
		isolated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_pipeline_isolated_total", Help: "Events a stage refused for good and set aside so the stream went on, by stage.",
		}, []string{"stage"}),
		groupSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ekjon_pipeline_group_size_events", Help: "Events decided together by a group of callers who wait for their answers (the scan API).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 8),
		}),
		groupWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ekjon_pipeline_group_waiting_events", Help: "Events waiting for the next group while the groups in flight are under way.",
		}),
	}
	reg.MustRegister(m.consumed, m.decisions, m.stage, m.batchSize, m.latency, m.queued, m.lag, m.lastCommit, m.retries,
		m.failed, m.deadLetters, m.redelivered, m.commitFailed, m.isolated, m.groupSize, m.groupWaiting)
	return m
}

func (m *Metrics) setLag(p Partition, lag int64) {
	m.lag.WithLabelValues(p.Topic, strconv.Itoa(p.Partition)).Set(float64(lag))
}

func (m *Metrics) setLastCommit(p Partition, t time.Time) {
	m.lastCommit.WithLabelValues(p.Topic, strconv.Itoa(p.Partition)).Set(float64(t.UnixNano()) / 1e9)
}
