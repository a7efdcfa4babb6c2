package benchmarks

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

// TestChartDrawsAroundMissingPoints: a size the baseline did not run (NaN)
// leaves a gap, not an empty chart.
func TestChartDrawsAroundMissingPoints(t *testing.T) {
	panels := []Panel{{Title: "EVENTS/s", X: []float64{1e5, 1e6, 5e6},
		Lines: []Series{{ekjonColor, []float64{5000, 4000, 4100}}, {baselineColor, []float64{350, 150, math.NaN()}}}, YUnit: "/s"}}
	count := drawnPixels(t, panels)
	if count["ekjon"] < 50 || count["baseline"] < 20 {
		t.Fatalf("pixels drawn: %v", count)
	}
}

// TestChartSkipsValuesItCannotPlace: a rate or latency that came out
// infinite, or below zero, in a run too short to measure is left out or
// drawn at the edge, like a missing point: the chart is still written,
// with the other points, and drawing it ends.
func TestChartSkipsValuesItCannotPlace(t *testing.T) {
	panels := []Panel{{Title: "EVENTS/s", X: []float64{1e3, 2e3, 5e3},
		Lines: []Series{{ekjonColor, []float64{math.Inf(1), 4000, 4100}}, {baselineColor, []float64{-5, math.Inf(-1), 300}}}, YUnit: "/s"}}
	ekjon := drawnPixels(t, panels)["ekjon"]
	if ekjon < 50 {
		t.Fatalf("%d pixels of the two finite points' line", ekjon)
	}
}

// drawnPixels writes panels as a chart and counts its pixels in ekjon's
// colour and in the baseline's.
func drawnPixels(t *testing.T, panels []Panel) map[string]int {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteChart(&buf, panels); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for name, c := range map[string][3]uint8{"ekjon": {ekjonColor.R, ekjonColor.G, ekjonColor.B}, "baseline": {baselineColor.R, baselineColor.G, baselineColor.B}} {
				if uint8(r>>8) == c[0] && uint8(g>>8) == c[1] && uint8(bl>>8) == c[2] {
					count[name]++
				}
			}
		}
	}
	return count
}
