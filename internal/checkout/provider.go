package checkout

import (
	"context"

	"github.com/vitrin/vitrin/internal/apperror"
)

// The checkout-provider pages are another door into the hosted payment
// flow: a provider is a redirection payment option offered now, and
// selecting one is choosing it on PaymentOptionSelectionPage and then
// confirming RedirectionPaymentSelectedPage, through the same steps.
const (
	ProviderIndexPage     = "CheckoutProviderIndexPage"
	ProviderSelectionPage = "CheckoutProviderSelectionPage"
)

// providerField is the selection page's field naming the provider's pk.
const providerField = "checkout_provider"

// Providers lists the hosted-payment providers the shopper may choose now.
func (s *Service) Providers(ctx context.Context, sh Shopper) ([]map[string]any, error) {
	opts, err := s.options(ctx)
	if err != nil {
		return nil, err
	}
	return s.providers(sh, opts), nil
}

func (s *Service) providers(sh Shopper, opts *options) []map[string]any {
	list := []map[string]any{}
	for _, o := range opts.payment {
		if o.Type == "redirection" && s.offers(&o, sh) {
			w := o.Wire()
			w["gateway"] = o.Gateway
			list = append(list, w)
		}
	}
	return list
}

// selectProvider answers CheckoutProviderSelectionPage: its fields are
// checked first, so a refusal changes nothing; then the option is chosen
// and the hosted payment opened as the payment pages do it.
func (s *Service) selectProvider(ctx context.Context, sh Shopper, key string, form Form) (*Result, error) {
	id, err := s.provider(ctx, sh, form)
	if err != nil {
		se, ok := asStepError(err, ProviderSelectionPage)
		if !ok {
			return nil, err
		}
		return s.show(ctx, sh, ProviderSelectionPage, se)
	}
	res, err := s.takeStep(ctx, sh, key, PaymentPage, chosen{Form: form, field: "payment_option", value: itoa(id)})
	if err != nil || res.Status != 200 || res.Errors != nil {
		// Refused, or choices that no longer hold were dropped: the
		// shopper sees that answer before any order is reserved.
		return res, err
	}
	return s.place(ctx, sh, key, RedirectionPage, form)
}

// provider reads the selection page's fields: the pk of a provider
// offered now, and the agreement.
func (s *Service) provider(ctx context.Context, sh Shopper, form Form) (int64, error) {
	var disagreed error
	if !truthy(form.Get("agreement")) {
		disagreed = apperror.Field("agreement", "You must accept the terms to place the order.")
	}
	id, err := pk(form, providerField)
	if err == nil {
		var opts *options
		if opts, err = s.options(ctx); err != nil {
			return 0, err
		}
		if find(s.providers(sh, opts), func(p *map[string]any) bool { return (*p)["pk"] == id }) == nil {
			err = invalidPK(providerField, id)
		}
	}
	return id, apperror.Merge(err, disagreed)
}

// chosen is a form with one field set.
type chosen struct {
	Form
	field, value string
}

func (c chosen) Get(key string) string {
	if key == c.field {
		return c.value
	}
	return c.Form.Get(key)
}

func (c chosen) Has(key string) bool { return key == c.field || c.Form.Has(key) }
