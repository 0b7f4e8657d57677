package catalog

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/vitrin/vitrin/internal/searchtext"
)

// Limits on what a shopper may type: longer queries are cut, not refused.
const (
	maxQueryRunes  = 200
	maxQueryTokens = 8
)

// searchIndex maps every word of every listable product's folded search
// text, and of its categories' names, to the products that contain it. Words are sorted, so the words
// that start with a prefix are one contiguous range: every query word is
// matched as a prefix ("elb" finds "elbise"), which is what a search box
// typed into letter by letter needs.
type searchIndex struct {
	words    []string
	postings [][]int32
	size     int
}

func buildSearchIndex(m *Model, folded []string) *searchIndex {
	byWord := map[string][]int32{}
	seen := map[string]bool{}
	add := func(pos int32, folded string) {
		for _, w := range strings.Fields(folded) {
			if !seen[w] {
				seen[w] = true
				byWord[w] = append(byWord[w], pos)
			}
		}
	}
	m.listable.each(func(pos int32) bool {
		clear(seen)
		p := m.at(pos)
		add(pos, folded[pos])
		// A product is also found by its categories' names: "elbise"
		// finds every dress, whatever its own name says.
		for _, id := range p.Categories {
			for c := m.categoryByID[id]; c != nil; c = c.Parent {
				add(pos, c.folded)
			}
		}
		return true
	})
	idx := &searchIndex{words: make([]string, 0, len(byWord)), size: m.size()}
	for w := range byWord {
		idx.words = append(idx.words, w)
	}
	sort.Strings(idx.words)
	idx.postings = make([][]int32, len(idx.words))
	for i, w := range idx.words {
		idx.postings[i] = byWord[w]
	}
	return idx
}

// queryTokens folds a shopper's query into at most maxQueryTokens words.
func queryTokens(q string) []string {
	if utf8.RuneCountInString(q) > maxQueryRunes {
		q = string([]rune(q)[:maxQueryRunes])
	}
	tokens := strings.Fields(searchtext.Fold(q))
	if len(tokens) > maxQueryTokens {
		tokens = tokens[:maxQueryTokens]
	}
	return tokens
}

// match returns the listable products that have, for every token, a word
// starting with it.
func (idx *searchIndex) match(tokens []string) bitset {
	var result bitset
	for _, tok := range tokens {
		hits := newBitset(idx.size)
		lo := sort.SearchStrings(idx.words, tok)
		for i := lo; i < len(idx.words) && strings.HasPrefix(idx.words[i], tok); i++ {
			for _, pos := range idx.postings[i] {
				hits.set(pos)
			}
		}
		if result == nil {
			result = hits
		} else {
			result.and(hits)
		}
	}
	return result
}

// wordsMatch reports whether every token starts some word of folded.
func wordsMatch(folded string, tokens []string) bool {
	for _, tok := range tokens {
		found := false
		for _, w := range strings.Fields(folded) {
			if strings.HasPrefix(w, tok) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Suggestions is what autocomplete offers for a query.
type Suggestions struct {
	Categories []*Category
	Products   []*Product
}

// Autocomplete returns up to limit categories and limit products whose
// words start with the query's words, newest products first.
func (m *Model) Autocomplete(query string, limit int) Suggestions {
	tokens := queryTokens(query)
	var s Suggestions
	if len(tokens) == 0 {
		return s
	}
	for _, c := range m.Categories {
		if wordsMatch(c.folded, tokens) && c.products.count() > 0 {
			s.Categories = append(s.Categories, c)
			if len(s.Categories) == limit {
				break
			}
		}
	}
	hits := m.search.match(tokens)
	// One suggestion per product group: variants of one model look alike.
	seen := map[string]bool{}
	for _, pos := range m.newest {
		if !hits.has(pos) {
			continue
		}
		p := m.at(pos)
		if seen[p.BaseCode] {
			continue
		}
		seen[p.BaseCode] = true
		s.Products = append(s.Products, p)
		if len(s.Products) == limit {
			break
		}
	}
	return s
}
