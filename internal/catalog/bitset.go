package catalog

import "math/bits"

// bitset is a set of product positions in the read model. Listings combine
// filters and count facet values with word-wise AND and popcount, which
// stays in the microseconds for 100,000 products.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int32)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) clone() bitset    { return append(bitset(nil), b...) }
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// andCount is |b ∩ o| without allocating.
func (b bitset) andCount(o bitset) int {
	n := 0
	for i, w := range b {
		n += bits.OnesCount64(w & o[i])
	}
	return n
}

// each calls fn for every member in ascending order until fn returns false.
func (b bitset) each(fn func(int32) bool) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			if !fn(int32(i*64 + t)) {
				return
			}
			w &= w - 1
		}
	}
}

func (b bitset) clear(i int32) { b[i>>6] &^= 1 << (uint(i) & 63) }
