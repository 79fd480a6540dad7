package route

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortByKey gives exactly the order of a stable sort by key, for lists
// with many ties, already sorted ones, and lists longer than its stack
// buffers.
func TestSortByKeyIsAStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 7, 20, 100, 128, 129, 300} {
		for _, distinct := range []int{1, 3, 1000} {
			for _, presorted := range []bool{false, true} {
				c := make([]Candidate, n)
				keys := make(map[string]float64, n)
				for i := range c {
					c[i].Target = Target{Plugin: "p", Provider: fmt.Sprint(i), Model: "m"}
					keys[c[i].Provider] = float64(r.IntN(distinct))
				}
				key := func(x *Candidate) float64 { return keys[x.Provider] }
				if presorted {
					slices.SortStableFunc(c, func(a, b Candidate) int { return int(key(&a) - key(&b)) })
				}
				want := slices.Clone(c)
				slices.SortStableFunc(want, func(a, b Candidate) int {
					switch ka, kb := key(&a), key(&b); {
					case ka < kb:
						return -1
					case ka > kb:
						return 1
					}
					return 0
				})
				sortByKey(c, key)
				if got, w := names(c), names(want); !slices.Equal(got, w) {
					t.Errorf("n=%d distinct=%d presorted=%v:\n got %v\nwant %v", n, distinct, presorted, got, w)
				}
			}
		}
	}
}

// BenchmarkSortByKey orders 100 candidates by random keys (weighted's
// case: every order is new).
func BenchmarkSortByKey(b *testing.B) {
	c := cands()
	for i := range 100 {
		c = append(c, Candidate{Target: Target{Plugin: "p", Provider: fmt.Sprint(i), Model: "m"}})
	}
	r := rand.New(rand.NewPCG(1, 2))
	key := func(*Candidate) float64 { return r.Float64() }
	b.ReportAllocs()
	for b.Loop() {
		sortByKey(c, key)
	}
}
