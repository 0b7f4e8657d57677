package admin

import (
	"net/http"
	"strconv"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/webhook"
)

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	list, err := webhook.Subscriptions(r.Context(), s.db)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"results": list})
}

// subscribe answers the new subscription with its secret: the only time
// the secret is shown.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
		Secret string   `json:"secret"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	sub := webhook.Subscription{URL: in.URL, Events: in.Events, Secret: in.Secret}
	if err := webhook.Subscribe(r.Context(), s.db, &sub); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sub)
}

func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := webhook.Unsubscribe(r.Context(), s.db, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deliveries lists a subscription's deliveries, newest first; ?before= is
// the id of the last one seen, for the next page.
func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var before int64
	if raw := r.URL.Query().Get("before"); raw != "" {
		before, err = strconv.ParseInt(raw, 10, 64)
		if err != nil || before < 1 {
			err = apperror.Field("before", "Enter a delivery id.")
		}
	}
	n, err2 := limit(r, 50, 500)
	if err := apperror.Merge(err, err2); err != nil {
		return err
	}
	list, err := webhook.Deliveries(r.Context(), s.db, id, before, n)
	if err != nil {
		return err
	}
	page := map[string]any{"results": list, "next": nil}
	if len(list) == n {
		page["next"] = strconv.FormatInt(list[n-1].ID, 10)
	}
	return writeJSON(w, http.StatusOK, page)
}

// resend queues a delivery's event again; the answer names the new delivery.
func (s *Server) resend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	newID, err := webhook.Resend(r.Context(), s.db, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, map[string]any{"delivery": newID})
}
