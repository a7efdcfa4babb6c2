package score

// Jaro returns the Jaro similarity of a and b, from 0 (nothing in common) to
// 1 (equal). It compares bytes, which is exact for the folded ASCII tokens
// this package receives; two empty strings are equal (1). It allocates only
// for strings longer than 64 bytes and is safe for concurrent use.
func Jaro(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	window := lb/2 - 1
	if window < 0 {
		window = 0
	}
	var bufA, bufB [64]bool
	ma, mb := bufA[:0], bufB[:0]
	if lb <= len(bufB) {
		ma, mb = bufA[:la], bufB[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}
	matches := 0
	for i := 0; i < la; i++ {
		lo := max(0, i-window)
		hi := min(lb, i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	// Count matched characters that appear in a different order.
	half := 0
	j := 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if a[i] != b[j] {
			half++
		}
		j++
	}
	m := float64(matches)
	t := float64(half) / 2
	return (m/float64(la) + m/float64(lb) + (m-t)/m) / 3
}

// JaroWinkler returns the Jaro-Winkler similarity of a and b: the Jaro
// similarity raised for a common prefix of up to four bytes, with Winkler's
// scaling factor 0.1 and boost threshold 0.7 (the prefix bonus applies only
// when the Jaro similarity exceeds 0.7). Names that differ in their first
// letter (Jamal, Kamal) therefore score lower than names that differ at the
// end, which is what separates brothers' rhyming names from typos less
// badly than edit distance does. Safe for concurrent use.
func JaroWinkler(a, b string) float64 {
	j := Jaro(a, b)
	if j <= 0.7 {
		return j
	}
	p := 0
	for p < 4 && p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	return j + float64(p)*0.1*(1-j)
}
