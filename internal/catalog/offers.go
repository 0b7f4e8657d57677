package catalog

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/promotion"
)

// Product cards name the automatic offers that reach them (basket_offers:
// "3 for 2", "free shipping over 750.00"). Offers are imported, so the
// model holds them, but they start and end on their own: the offers' start
// and end times cut time into phases in which the same offers run, and an
// answer that shows offers is cached under its phase (Offers.Key), so an
// offer shows from the first request after it starts, with no import.

// BasketOffer is an entry of a product's basket_offers.
type BasketOffer struct {
	PK            int64          `json:"pk"`
	Label         string         `json:"label"`
	Kwargs        map[string]any `json:"kwargs"`
	ListingKwargs map[string]any `json:"listing_kwargs"`
}

// offerPhases are the model's offers by phase: edges are the distinct
// start and end times in order, and live[i] the offers running from
// edges[i-1] (from the beginning of time for i = 0) until edges[i].
type offerPhases struct {
	edges []time.Time
	live  [][]promotion.Offer
}

func (m *Model) loadOffers(ctx context.Context, db *database.DB, promos *promotion.Service) error {
	offers, err := promos.Offers(ctx, db)
	if err != nil {
		return err
	}
	var edges []time.Time
	for _, o := range offers {
		for _, t := range []*time.Time{o.Starts, o.Ends} {
			if t != nil {
				edges = append(edges, *t)
			}
		}
	}
	slices.SortFunc(edges, time.Time.Compare)
	edges = slices.CompactFunc(edges, time.Time.Equal)
	m.offers = offerPhases{edges: edges, live: make([][]promotion.Offer, len(edges)+1)}
	for i := range m.offers.live {
		var at time.Time // before every edge: only offers without a start run
		if i > 0 {
			at = edges[i-1]
		}
		for _, o := range offers {
			if o.LiveAt(at) {
				m.offers.live[i] = append(m.offers.live[i], o)
			}
		}
	}
	return nil
}

// Offers are the offers running at one moment, for product cards.
type Offers struct {
	m     *Model
	phase int
}

// OffersAt returns the offers running at now.
func (m *Model) OffersAt(now time.Time) Offers {
	phase := sort.Search(len(m.offers.edges), func(i int) bool { return m.offers.edges[i].After(now) })
	return Offers{m: m, phase: phase}
}

// Key names the phase, for the keys of cached answers that show offers.
func (o Offers) Key() string { return strconv.Itoa(o.phase) }

func (o Offers) live() []promotion.Offer {
	if o.m == nil {
		return nil
	}
	return o.m.offers.live[o.phase]
}

// For returns the offers that reach p, labelled in lang and currency.
func (o Offers) For(p *Product, currency, lang string) []BasketOffer {
	out := []BasketOffer{}
	live := o.live()
	if len(live) == 0 {
		return out
	}
	closure := map[int64]bool{}
	for _, id := range p.Categories {
		for c := o.m.categoryByID[id]; c != nil && !closure[c.ID]; c = c.Parent {
			closure[c.ID] = true
		}
	}
	for _, offer := range live {
		if offer.AppliesIn(currency) && offer.Reaches(closure) {
			out = append(out, BasketOffer{PK: offer.ID, Label: offer.LabelIn(lang, currency),
				Kwargs: map[string]any{"show_benefit_products": false}, ListingKwargs: map[string]any{}})
		}
	}
	return out
}
