package catalog

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/vitrin/vitrin/internal/database"
)

// ProductLabel reads a product's name in a language (falling back to the
// base name) and its slug through q. Mails written inside a transaction
// use it: the read model may be older than what the transaction sees.
func ProductLabel(ctx context.Context, q database.Querier, productID int64, language string) (name, slug string, err error) {
	var translations string
	if err := q.QueryRowContext(ctx, "SELECT name, slug, translations FROM products WHERE id = $1", productID).
		Scan(&name, &slug, &translations); err != nil {
		return "", "", err
	}
	var texts map[string]struct {
		Name string `json:"name"`
	}
	if json.Unmarshal([]byte(translations), &texts) == nil {
		if t, ok := texts[strings.ToLower(language)]; ok && t.Name != "" {
			name = t.Name
		}
	}
	return name, slug, nil
}
