package score

import (
	"sync"
	"testing"
)

func TestCounter(t *testing.T) {
	var c Counter
	if got := c.Freq("islam"); got != 0 {
		t.Errorf("empty Counter Freq = %v, want 0", got)
	}
	c.Add("rafikul", "islam")
	c.Add("islam", "islam") // a repeated token counts once per person
	c.Add("abdul", "karim")
	c.Add("nasir", "uddin")
	tests := map[string]float64{"islam": 0.5, "rafikul": 0.25, "karim": 0.25, "tanvir": 0}
	for tok, want := range tests {
		if got := c.Freq(tok); got != want {
			t.Errorf("Freq(%q) = %v, want %v", tok, got, want)
		}
	}
	if got := c.Total(); got != 4 {
		t.Errorf("Total = %d, want 4", got)
	}
}

// TestCounterConcurrent is meant for -race: adders and readers at once.
func TestCounterConcurrent(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Add("islam", "begum")
				_ = c.Freq("islam")
			}
		})
	}
	wg.Wait()
	if got := c.Freq("islam"); got != 1 {
		t.Errorf("Freq after concurrent adds = %v, want 1", got)
	}
	if got := c.Total(); got != 8000 {
		t.Errorf("Total = %d, want 8000", got)
	}
}
