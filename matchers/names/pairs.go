package names

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// PairReport measures the blocking keys on a file of name pairs, one person
// per line written in both scripts.
type PairReport struct {
	// Lines is the number of pairs read; Agreed how many share a key.
	Lines, Agreed int
	// KeyAgreement is Agreed/Lines.
	KeyAgreement float64
	// PairsCompared is the number of pairs of different lines; Collisions
	// how many of them share a key in any script combination.
	PairsCompared, Collisions int
	// FalseCollisions is Collisions/PairsCompared.
	FalseCollisions float64
	// Failed are the lines whose two names share no key.
	Failed []FailedPair
	// Collided are the pairs of different lines that share a key.
	Collided []Collision
}

// FailedPair is a line whose Bangla and English names share no key.
type FailedPair struct {
	Line                    int
	Bangla, English         string
	BanglaKeys, EnglishKeys []string
}

// Collision is two different lines sharing a key.
type Collision struct {
	LineA, LineB int
	Key          string
}

// EvalPairs reads lines "bangla<TAB>english" (each naming one person; '#'
// comments and blank lines are skipped) and measures key agreement within
// lines and false collisions between them. A line without exactly one tab
// is an error, as is a read error.
func EvalPairs(r io.Reader) (PairReport, error) {
	var rep PairReport
	type entry struct {
		line        int
		keys, loose []string
	}
	var lines []entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for no := 1; sc.Scan(); no++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		bn, en, ok := strings.Cut(text, "\t")
		if !ok || strings.Contains(en, "\t") {
			return rep, fmt.Errorf("pairs line %d: want two tab-separated names", no)
		}
		a, b := Tokens(bn), Tokens(en)
		rep.Lines++
		if SharesKey(a, b) {
			rep.Agreed++
		} else {
			rep.Failed = append(rep.Failed, FailedPair{Line: no, Bangla: bn, English: en, BanglaKeys: a.Keys, EnglishKeys: b.Keys})
		}
		keys := append(append([]string(nil), a.Keys...), b.Keys...)
		loose := append(append([]string(nil), a.Loose...), b.Loose...)
		lines = append(lines, entry{line: no, keys: keys, loose: loose})
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("read pairs: %w", err)
	}
	// A key's lines, each marked loose when the line has the key only as
	// a loose key; two loose holders do not meet (see SharesKey).
	type holder struct {
		i     int
		loose bool
	}
	byKey := make(map[string][]holder)
	for i, e := range lines {
		for _, k := range e.keys {
			if l := byKey[k]; len(l) == 0 || l[len(l)-1].i != i {
				byKey[k] = append(l, holder{i, false})
			}
		}
		for _, k := range e.loose {
			if l := byKey[k]; len(l) == 0 || l[len(l)-1].i != i {
				byKey[k] = append(l, holder{i, true})
			}
		}
	}
	seen := make(map[[2]int]bool)
	for k, hs := range byKey {
		for x := 0; x < len(hs); x++ {
			for y := x + 1; y < len(hs); y++ {
				p := [2]int{hs[x].i, hs[y].i}
				if p[0] > p[1] {
					p[0], p[1] = p[1], p[0]
				}
				if seen[p] || (hs[x].loose && hs[y].loose) {
					continue
				}
				seen[p] = true
				rep.Collided = append(rep.Collided, Collision{LineA: lines[p[0]].line, LineB: lines[p[1]].line, Key: k})
			}
		}
	}
	rep.Collisions = len(rep.Collided)
	rep.PairsCompared = len(lines) * (len(lines) - 1) / 2
	if rep.Lines > 0 {
		rep.KeyAgreement = float64(rep.Agreed) / float64(rep.Lines)
	}
	if rep.PairsCompared > 0 {
		rep.FalseCollisions = float64(rep.Collisions) / float64(rep.PairsCompared)
	}
	sortCollisions(rep.Collided)
	return rep, nil
}

func sortCollisions(c []Collision) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && (c[j].LineA < c[j-1].LineA || c[j].LineA == c[j-1].LineA && c[j].LineB < c[j-1].LineB); j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// String formats the report as WriteTo does.
func (r PairReport) String() string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}

// WriteTo prints "key agreement: NN.N %" and "false collisions: N.NNN %",
// then the failed lines with their keys and the colliding line pairs.
func (r PairReport) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	fmt.Fprintf(cw, "key agreement: %.1f %%\n", 100*r.KeyAgreement)
	fmt.Fprintf(cw, "false collisions: %.3f %%\n", 100*r.FalseCollisions)
	fmt.Fprintf(cw, "lines: %d, agreed: %d, line pairs: %d, colliding: %d\n", r.Lines, r.Agreed, r.PairsCompared, r.Collisions)
	for _, f := range r.Failed {
		fmt.Fprintf(cw, "failed line %d: %s [%s] | %s [%s]\n", f.Line, f.Bangla, strings.Join(f.BanglaKeys, " "), f.English, strings.Join(f.EnglishKeys, " "))
	}
	for _, c := range r.Collided {
		fmt.Fprintf(cw, "collision lines %d and %d: %s\n", c.LineA, c.LineB, c.Key)
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
