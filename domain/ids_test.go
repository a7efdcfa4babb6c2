package domain

import "testing"

// TestPseudonymizerSum: Hash is Sum encoded, and a sum depends on the
// secret, the namespace and the value.
func TestPseudonymizerSum(t *testing.T) {
	p := NewPseudonymizer([]byte("secret-one"))
	sum := p.Sum("event", "dss-2026-000123")
	if got := b32.EncodeToString(sum[:]); got != p.Hash("event", "dss-2026-000123") {
		t.Fatalf("Hash %s is not Sum encoded (%s)", p.Hash("event", "dss-2026-000123"), got)
	}
	others := map[string][16]byte{
		"another secret":    NewPseudonymizer([]byte("secret-two")).Sum("event", "dss-2026-000123"),
		"another namespace": p.Sum("nid", "dss-2026-000123"),
		"another value":     p.Sum("event", "dss-2026-000124"),
		// The zero byte between kind and value keeps them apart.
		"the kind's end moved into the value": p.Sum("even", "tdss-2026-000123"),
	}
	for name, o := range others {
		if o == sum {
			t.Errorf("%s gives the same sum", name)
		}
	}
	if p.Sum("event", "dss-2026-000123") != sum {
		t.Error("the same input gives another sum")
	}
}
