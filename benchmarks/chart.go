package benchmarks

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
)

// Series is one line of a chart: y values at the chart's x values.
type Series struct {
	Color color.RGBA
	Y     []float64
}

// Panel is one chart: x values on a log scale, y from zero.
type Panel struct {
	Title string // drawn with the chart's small font: digits and "kMms/.:PEVNTSLACY%" only
	X     []float64
	Lines []Series
	// YUnit is appended to the y tick labels.
	YUnit string
}

var (
	ekjonColor    = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	baselineColor = color.RGBA{0xd6, 0x27, 0x28, 0xff}
)

// WriteChart draws the panels side by side as a PNG, with the standard
// library only. ekjon is blue, the baseline red.
func WriteChart(w io.Writer, panels []Panel) error {
	const pw, ph, margin = 420, 300, 50
	img := image.NewRGBA(image.Rect(0, 0, pw*len(panels), ph))
	fill(img, img.Bounds(), color.RGBA{0xff, 0xff, 0xff, 0xff})
	grey := color.RGBA{0x99, 0x99, 0x99, 0xff}
	black := color.RGBA{0, 0, 0, 0xff}
	for i, p := range panels {
		x0, y0 := i*pw+margin, ph-margin // origin
		x1, y1 := (i+1)*pw-20, 30
		line(img, x0, y0, x1, y0, black)
		line(img, x0, y0, x0, y1, black)
		text(img, x0, 10, p.Title, black)
		ymax := 0.0
		for _, s := range p.Lines {
			for _, v := range s.Y {
				if placed(v) {
					ymax = math.Max(ymax, v)
				}
			}
		}
		ymax = niceCeil(ymax)
		xmin, xmax := math.Log10(p.X[0]), math.Log10(p.X[len(p.X)-1])
		if xmax == xmin {
			xmin, xmax = xmin-0.5, xmax+0.5
		}
		// Coordinates stay inside the panel, so that a line between two
		// of them is drawn in a bounded number of steps.
		px := func(x float64) int {
			return x0 + 15 + clamp((math.Log10(x)-xmin)/(xmax-xmin)*float64(x1-x0-30), -15, x1-x0-15)
		}
		py := func(y float64) int { return y0 - clamp(y/ymax*float64(y0-y1), 0, y0-y1) }
		for k := 0; k <= 4; k++ {
			y := ymax * float64(k) / 4
			line(img, x0-4, py(y), x1, py(y), color.RGBA{0xe5, 0xe5, 0xe5, 0xff})
			text(img, 2+i*pw, py(y)-5, short(y)+p.YUnit, grey)
		}
		for _, x := range p.X {
			line(img, px(x), y0, px(x), y0+4, black)
			text(img, px(x)-8, y0+10, short(x), grey)
		}
		for _, s := range p.Lines {
			for k := range s.Y {
				if !placed(s.Y[k]) {
					continue
				}
				dot(img, px(p.X[k]), py(s.Y[k]), s.Color)
				if k > 0 && placed(s.Y[k-1]) {
					thick(img, px(p.X[k-1]), py(s.Y[k-1]), px(p.X[k]), py(s.Y[k]), s.Color)
				}
			}
		}
	}
	return png.Encode(w, img)
}

// placed reports whether a value is drawn: NaN is a size the system did
// not run, and an infinite rate or latency (a run too short to measure)
// has no place on the axis either.
func placed(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clamp rounds v toward zero into [lo, hi]; NaN gives lo.
func clamp(v float64, lo, hi int) int {
	switch {
	case !(v >= float64(lo)):
		return lo
	case v > float64(hi):
		return hi
	}
	return int(v)
}

func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}

// short prints 1500000 as 1.5M and 20000 as 20k.
func short(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func line(img *image.RGBA, xa, ya, xb, yb int, c color.RGBA) {
	dx, dy := abs(xb-xa), -abs(yb-ya)
	sx, sy := sign(xb-xa), sign(yb-ya)
	e := dx + dy
	for {
		img.SetRGBA(xa, ya, c)
		if xa == xb && ya == yb {
			return
		}
		if 2*e >= dy {
			e += dy
			xa += sx
		}
		if 2*e <= dx {
			e += dx
			ya += sy
		}
	}
}

func thick(img *image.RGBA, xa, ya, xb, yb int, c color.RGBA) {
	for d := -1; d <= 1; d++ {
		line(img, xa, ya+d, xb, yb+d, c)
	}
}

func dot(img *image.RGBA, x, y int, c color.RGBA) {
	fill(img, image.Rect(x-3, y-3, x+4, y+4), c)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// glyphs is a 3×5 pixel font, each row three bits, for the few characters
// the chart writes.
var glyphs = map[rune][5]uint8{
	'0': {7, 5, 5, 5, 7}, '1': {2, 6, 2, 2, 7}, '2': {7, 1, 7, 4, 7}, '3': {7, 1, 7, 1, 7},
	'4': {5, 5, 7, 1, 1}, '5': {7, 4, 7, 1, 7}, '6': {7, 4, 7, 5, 7}, '7': {7, 1, 1, 2, 2},
	'8': {7, 5, 7, 5, 7}, '9': {7, 5, 7, 1, 7}, '.': {0, 0, 0, 0, 2}, '/': {1, 1, 2, 4, 4},
	'k': {4, 5, 6, 5, 5}, 'M': {5, 7, 7, 5, 5}, 'm': {0, 0, 7, 7, 5}, 's': {0, 3, 6, 3, 6},
	':': {0, 2, 0, 2, 0}, 'P': {6, 5, 6, 4, 4}, 'E': {7, 4, 6, 4, 7}, 'V': {5, 5, 5, 5, 2},
	'N': {5, 7, 7, 7, 5}, 'T': {7, 2, 2, 2, 2}, 'S': {3, 4, 2, 1, 6}, 'L': {4, 4, 4, 4, 7},
	'A': {2, 5, 7, 5, 5}, 'C': {3, 4, 4, 4, 3}, 'Y': {5, 5, 2, 2, 2}, '%': {5, 1, 2, 4, 5},
	'O': {2, 5, 5, 5, 2}, 'U': {5, 5, 5, 5, 7}, 'R': {6, 5, 6, 5, 5},
	'H': {5, 5, 7, 5, 5}, 'G': {3, 4, 5, 5, 3}, 'I': {7, 2, 2, 2, 7}, 'B': {6, 5, 6, 5, 6},
	'D': {6, 5, 5, 5, 6}, 'F': {7, 4, 6, 4, 4}, 'X': {5, 5, 2, 5, 5}, 'Z': {7, 1, 2, 4, 7},
}

// text draws s at scale 2.
func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range s {
		g := glyphs[r]
		for row := 0; row < 5; row++ {
			for col := 0; col < 3; col++ {
				if g[row]&(4>>col) != 0 {
					fill(img, image.Rect(x+col*2, y+row*2, x+col*2+2, y+row*2+2), c)
				}
			}
		}
		x += 8
	}
}
