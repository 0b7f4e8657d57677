package catalog

import (
	"slices"
	"unsafe"
)

// Applying a change makes a new model beside the one serving, so every
// array it changes is copied. The arrays indexed by position (products,
// prices) and the price orders are cut in chunks: a copy that changes k
// products copies the list of chunks and the few chunks they are in,
// not arrays of a million entries.

const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
)

// chunked is an array by position, cut in chunks of chunkSize.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

// newChunked cuts items (kept, not copied) into chunks.
func newChunked[T any](items []T) chunked[T] {
	c := chunked[T]{n: len(items)}
	for start := 0; start < len(items); start += chunkSize {
		end := min(start+chunkSize, len(items))
		c.chunks = append(c.chunks, items[start:end:end])
	}
	return c
}

func (c chunked[T]) at(pos int32) T { return c.chunks[pos>>chunkBits][pos&(chunkSize-1)] }

func (c chunked[T]) len() int { return c.n }

// each calls fn for every position in order.
func (c chunked[T]) each(fn func(pos int32, v T)) {
	for k, chunk := range c.chunks {
		for i, v := range chunk {
			fn(int32(k<<chunkBits+i), v)
		}
	}
}

// with returns a copy with the values at the positions in set replaced;
// only their chunks are copied.
func (c chunked[T]) with(set map[int32]T) chunked[T] {
	out := chunked[T]{chunks: slices.Clone(c.chunks), n: c.n}
	copied := map[int32]bool{}
	for pos, v := range set {
		k := pos >> chunkBits
		if !copied[k] {
			out.chunks[k] = slices.Clone(out.chunks[k])
			copied[k] = true
		}
		out.chunks[k][pos&(chunkSize-1)] = v
	}
	return out
}

// sortedChunks is a sequence of positions in an order (a price order),
// cut in chunks of varying size so that moving k positions copies the
// chunks they leave and enter. Each chunk counts its members that the
// count function of its order counts (listable and priced ones), so a
// rank is found without walking the sequence.
type sortedChunks struct {
	chunks []orderChunk
	starts []int // index in the sequence of each chunk's first position
	n      int
}

type orderChunk struct {
	items   []int32
	counted int
}

// newSortedChunks cuts order (kept, not copied) into chunks.
func newSortedChunks(order []int32, count func(int32) bool) sortedChunks {
	var s sortedChunks
	for start := 0; start < len(order); start += chunkSize {
		end := min(start+chunkSize, len(order))
		s.chunks = append(s.chunks, newOrderChunk(order[start:end:end], count))
	}
	s.index()
	return s
}

func newOrderChunk(items []int32, count func(int32) bool) orderChunk {
	c := orderChunk{items: items}
	for _, pos := range items {
		if count(pos) {
			c.counted++
		}
	}
	return c
}

func (s *sortedChunks) index() {
	s.starts = make([]int, len(s.chunks))
	s.n = 0
	for i, c := range s.chunks {
		s.starts[i] = s.n
		s.n += len(c.items)
	}
}

func (s sortedChunks) len() int { return s.n }

// counted is how many positions of the sequence are counted.
func (s sortedChunks) counted() int {
	n := 0
	for _, c := range s.chunks {
		n += c.counted
	}
	return n
}

// flat is the whole sequence in one slice (tests and rebuilds).
func (s sortedChunks) flat() []int32 {
	out := make([]int32, 0, s.n)
	for _, c := range s.chunks {
		out = append(out, c.items...)
	}
	return out
}

// search is the index of the first position for which after is true
// (after is false, then true, along the sequence), s.len() if none.
func (s sortedChunks) search(after func(int32) bool) int {
	k, _ := slices.BinarySearchFunc(s.chunks, true, func(c orderChunk, _ bool) int {
		if after(c.items[len(c.items)-1]) {
			return 1
		}
		return -1
	})
	if k == len(s.chunks) {
		return s.n
	}
	items := s.chunks[k].items
	i, _ := slices.BinarySearchFunc(items, true, func(pos int32, _ bool) int {
		if after(pos) {
			return 1
		}
		return -1
	})
	return s.starts[k] + i
}

// walk calls fn for the positions at indexes from up to to (down from
// to-1 when reverse) until fn returns false, and tells whether it went
// through them all.
func (s sortedChunks) walk(from, to int, reverse bool, fn func(int32) bool) bool {
	if from >= to {
		return true
	}
	chunkOf := func(i int) int {
		k, found := slices.BinarySearch(s.starts, i)
		if !found {
			k--
		}
		return k
	}
	if !reverse {
		for k := chunkOf(from); k < len(s.chunks) && s.starts[k] < to; k++ {
			items := s.chunks[k].items
			lo, hi := max(from-s.starts[k], 0), min(to-s.starts[k], len(items))
			for _, pos := range items[lo:hi] {
				if !fn(pos) {
					return false
				}
			}
		}
		return true
	}
	for k := chunkOf(to - 1); k >= 0 && s.starts[k]+len(s.chunks[k].items) > from; k-- {
		items := s.chunks[k].items
		lo, hi := max(from-s.starts[k], 0), min(to-s.starts[k], len(items))
		for i := hi - 1; i >= lo; i-- {
			if !fn(items[i]) {
				return false
			}
		}
	}
	return true
}

// nth is the position of the r-th (from 0) counted member.
func (s sortedChunks) nth(r int, count func(int32) bool) int32 {
	for _, c := range s.chunks {
		if r >= c.counted {
			r -= c.counted
			continue
		}
		for _, pos := range c.items {
			if count(pos) {
				if r == 0 {
					return pos
				}
				r--
			}
		}
	}
	return -1
}

// moved returns a copy of s with the positions in moved taken out by
// their old order (before) and put back by their new one (after); the
// others keep their place, and their keys must be the same under both.
// Only the chunks they leave and enter are copied.
func (s sortedChunks) moved(moved []int32, before, after func(a, b int32) int, count func(int32) bool) sortedChunks {
	out := sortedChunks{chunks: slices.Clone(s.chunks)}
	owned := map[*int32]bool{}
	own := func(k int) {
		c := &out.chunks[k]
		if !owned[unsafe.SliceData(c.items)] {
			c.items = slices.Clone(c.items)
			owned[unsafe.SliceData(c.items)] = true
		}
	}
	// Take them all out first: until then every position sits by its
	// old key, so the old order finds it.
	for _, pos := range moved {
		k := chunkFor(out.chunks, pos, before)
		i, found := slices.BinarySearchFunc(out.chunks[k].items, pos, before)
		if !found {
			continue // a position listed twice
		}
		own(k)
		out.chunks[k].items = slices.Delete(out.chunks[k].items, i, i+1)
		if len(out.chunks[k].items) == 0 {
			out.chunks = slices.Delete(out.chunks, k, k+1)
		}
	}
	// Then put them back: every position left has the same key in the
	// new order as in the old.
	for _, pos := range moved {
		if len(out.chunks) == 0 {
			out.chunks = []orderChunk{{}}
		}
		k := chunkFor(out.chunks, pos, after)
		own(k)
		c := &out.chunks[k]
		i, found := slices.BinarySearchFunc(c.items, pos, after)
		if found {
			continue
		}
		c.items = slices.Insert(c.items, i, pos)
		owned[unsafe.SliceData(c.items)] = true
		if len(c.items) >= 2*chunkSize {
			half := len(c.items) / 2
			low, high := c.items[:half:half], slices.Clone(c.items[half:])
			owned[unsafe.SliceData(high)] = true
			out.chunks = slices.Insert(out.chunks, k+1, orderChunk{items: high})
			out.chunks[k].items = low
		}
	}
	for k := range out.chunks {
		if c := &out.chunks[k]; len(c.items) > 0 && owned[unsafe.SliceData(c.items)] {
			*c = newOrderChunk(c.items, count)
		}
	}
	out.index()
	return out
}

// chunkFor is the chunk where pos belongs by compare: the first whose
// last position is not before it, or the last chunk.
func chunkFor(chunks []orderChunk, pos int32, compare func(a, b int32) int) int {
	k, _ := slices.BinarySearchFunc(chunks, pos, func(c orderChunk, pos int32) int {
		if len(c.items) == 0 {
			return 1
		}
		return compare(c.items[len(c.items)-1], pos)
	})
	return min(k, len(chunks)-1)
}
