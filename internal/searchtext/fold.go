// Package searchtext folds text for accent- and case-insensitive search.
// The importer stores Fold(name …) in products.search_text and
// categories.search_text; search and autocomplete fold the shopper's query
// the same way and compare the two, so "ELBISE", "elbıse" and "Elbise" meet.
package searchtext

import (
	"strings"
	"unicode"
)

// foldMap covers Turkish and the accented Latin letters common in
// product names. Turkish dotted and dotless i both fold to "i": shoppers
// type either, with or without a Turkish keyboard.
var foldMap = map[rune]string{
	'ı': "i", 'İ': "i", 'I': "i", 'ş': "s", 'Ş': "s", 'ğ': "g", 'Ğ': "g",
	'ü': "u", 'Ü': "u", 'ö': "o", 'Ö': "o", 'ç': "c", 'Ç': "c",
	'á': "a", 'à': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'Â': "a", 'Á': "a", 'À': "a", 'Ä': "a",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e", 'É': "e", 'È': "e", 'Ê': "e",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i", 'Î': "i", 'Í': "i",
	'ó': "o", 'ò': "o", 'ô': "o", 'õ': "o", 'ø': "o", 'Ô': "o", 'Ó': "o",
	'ú': "u", 'ù': "u", 'û': "u", 'Û': "u", 'Ú': "u",
	'ñ': "n", 'Ñ': "n", 'ß': "ss", 'æ': "ae", 'œ': "oe",
}

// Fold lower-cases s, removes diacritics, turns every run of characters
// that are neither letters nor digits into one space and trims the ends.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // suppress a leading space
	for _, r := range s {
		if m, ok := foldMap[r]; ok {
			b.WriteString(m)
			space = false
			continue
		}
		if unicode.Is(unicode.Mn, r) { // a combining accent left by NFD input
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}
