package catalog

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedChunksMoved: moving positions to new prices in a chunked
// order of many chunks gives the order a full sort gives, with the
// counts, searches and walks of a flat slice, and leaves the old order
// as it was.
func TestSortedChunksMoved(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 3))
	n := 5*chunkSize + 123
	prices := make([]int64, n)
	order := make([]int32, n)
	listable := newBitset(n)
	for i := range prices {
		prices[i] = int64(r.IntN(50)) * 100
		if r.IntN(10) == 0 {
			prices[i] = -1
		}
		if r.IntN(4) != 0 {
			listable.set(int32(i))
		}
		order[i] = int32(i)
	}
	current := newChunked(prices)
	slices.SortFunc(order, byPriceOrder(current.at))
	chunks := newSortedChunks(order, pricedAndListable(current, listable))
	for round := range 60 {
		// A few products, or a burst that overflows a chunk.
		k := 1 + r.IntN(5)
		if round%10 == 9 {
			k = 3 * chunkSize
		}
		moved := map[int32]int64{}
		var positions []int32
		for range k {
			pos := int32(r.IntN(n))
			if _, dup := moved[pos]; !dup {
				positions = append(positions, pos)
			}
			moved[pos] = int64(r.IntN(50))*100 - 100
			if k > chunkSize { // all to one price: the chunk there splits
				moved[pos] = 2500
			}
		}
		next := current.with(moved)
		before := chunks.flat()
		got := chunks.moved(positions, byPriceOrder(current.at), byPriceOrder(next.at), pricedAndListable(next, listable))
		if !slices.Equal(chunks.flat(), before) {
			t.Fatalf("round %d: the old order changed", round)
		}
		want := slices.Clone(before)
		slices.SortFunc(want, byPriceOrder(next.at))
		if !slices.Equal(got.flat(), want) {
			t.Fatalf("round %d: order differs from a sort", round)
		}
		counted := 0
		for _, pos := range want {
			if pricedAndListable(next, listable)(pos) {
				counted++
			}
		}
		if got.counted() != counted || got.len() != n {
			t.Fatalf("round %d: %d counted of %d, want %d of %d", round, got.counted(), got.len(), counted, n)
		}
		unpriced := slices.IndexFunc(want, func(pos int32) bool { return next.at(pos) < 0 })
		if unpriced < 0 {
			unpriced = n
		}
		if s := got.search(func(pos int32) bool { return next.at(pos) < 0 }); s != unpriced {
			t.Fatalf("round %d: search %d, want %d", round, s, unpriced)
		}
		from, to := r.IntN(n), r.IntN(n)
		from, to = min(from, to), max(from, to)
		var walked []int32
		got.walk(from, to, true, func(pos int32) bool { walked = append(walked, pos); return true })
		slices.Reverse(walked)
		if !slices.Equal(walked, want[from:to]) {
			t.Fatalf("round %d: walking back %d..%d differs", round, from, to)
		}
		walked = walked[:0]
		got.walk(from, to, false, func(pos int32) bool { walked = append(walked, pos); return true })
		if !slices.Equal(walked, want[from:to]) {
			t.Fatalf("round %d: walking %d..%d differs", round, from, to)
		}
		countedOnes := slices.DeleteFunc(slices.Clone(want), func(pos int32) bool { return !pricedAndListable(next, listable)(pos) })
		if rank := r.IntN(counted); got.nth(rank, pricedAndListable(next, listable)) != countedOnes[rank] {
			t.Fatalf("round %d: the %dth counted differs", round, rank)
		}
		current, chunks = next, got
	}
}
