package score

import "testing"

// BenchmarkScore measures one candidate pair: the same person under a
// spelling variant, with a term-frequency table, the common case in a
// candidate block.
func BenchmarkScore(b *testing.B) {
	m := DefaultModel()
	tf := population(b)
	sc := scenarios()[0]
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Score(&sc.a, &sc.b, tf)
	}
}

// BenchmarkScoreJoined measures the slower path where split and joined
// name tokens have to be realigned.
func BenchmarkScoreJoined(b *testing.B) {
	m := DefaultModel()
	tf := population(b)
	sc := scenarios()[1]
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Score(&sc.a, &sc.b, tf)
	}
}

func BenchmarkDecodeRecord(b *testing.B) {
	r := typicalRecord()
	r.Name.Weak = []string{"miah"}
	enc := mustEncode(b, r)
	b.ReportAllocs()
	b.ReportMetric(float64(len(enc)), "bytes/record")
	for b.Loop() {
		if _, err := DecodeRecord(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	r := typicalRecord()
	r.Name.Weak = []string{"miah"}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = r.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
