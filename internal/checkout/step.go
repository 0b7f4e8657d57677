package checkout

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/vitrin/vitrin/internal/apperror"
	"github.com/vitrin/vitrin/internal/database"
	"github.com/vitrin/vitrin/internal/order"
	"github.com/vitrin/vitrin/internal/token"
)

// maxStepAttempts bounds how often a step is taken again after losing a
// race: only one shopper's requests compete for a checkout.
const maxStepAttempts = 5

// takeStep records one submitted page that does not place the order. A
// step that lost the race to another step of the same checkout is taken
// again on what that one saved.
func (s *Service) takeStep(ctx context.Context, sh Shopper, key, page string, form Form) (*Result, error) {
	for attempt := 1; ; attempt++ {
		res, lost, err := s.tryStep(ctx, sh, key, page, form)
		if err != nil || !lost {
			return res, err
		}
		sh.read.forget()
		if attempt == maxStepAttempts {
			return s.show(ctx, sh, page, &stepError{status: 409, page: page,
				errors: apperror.Field("non_field_errors", "Your checkout changed meanwhile; please try again.")})
		}
	}
}

// tryStep records page in the checkout as stored under key; lost reports
// that another request changed the checkout meanwhile and nothing was
// saved.
func (s *Service) tryStep(ctx context.Context, sh Shopper, key, page string, form Form) (res *Result, lost bool, err error) {
	st, base, err := s.loadStored(ctx, s.db, key, "")
	if err != nil {
		return nil, false, err
	}
	restartAfterOrder(st)
	qt, _, err := s.quote(ctx, nil, sh, st, nil)
	if err != nil {
		return nil, false, err
	}
	if refused := outOfOrder(st, sh, qt, page); refused != nil {
		res, err := s.show(ctx, sh, "", refused)
		return res, false, err
	}
	before := *st
	if err := s.record(ctx, page, entry{sh: sh, st: st, qt: qt, form: form}); err != nil {
		se, ok := asStepError(err, page)
		if !ok {
			return nil, false, err
		}
		res, err := s.show(ctx, sh, se.page, se)
		return res, false, err
	}
	saved, err := s.storeChange(ctx, key, base, &before, st)
	if err != nil || !saved {
		return nil, !saved, err
	}
	stored, _ := json.Marshal(st)
	res, err = s.showState(ctx, sh, key, st, string(stored), "", nil)
	return res, false, err
}

// outOfOrder refuses a step of an empty basket or one whose previous
// pages are not done.
func outOfOrder(st *State, sh Shopper, qt *quote, page string) *stepError {
	if len(qt.basket.Lines) == 0 {
		return &stepError{status: 400, errors: apperror.Field("non_field_errors", "Your basket is empty.")}
	}
	if p := path(st, sh, qt); !reachable(p, page, st) {
		return &stepError{status: 400, page: next(p),
			errors: apperror.Field("non_field_errors", "Please complete the previous steps first.")}
	}
	return nil
}

// restartAfterOrder starts a new checkout once the last one placed its
// order and the shopper has a new basket; the identity stays.
func restartAfterOrder(st *State) {
	if st.Placed != 0 {
		*st = State{Email: st.Email, Phone: st.Phone}
	}
}

// storeChange saves st with a new attempt key if the stored checkout is
// still base (see swap), releasing a payment that was waiting for the
// bank: the shopper went back and changed something. It reports false,
// changing nothing, when another request changed the checkout meanwhile.
func (s *Service) storeChange(ctx context.Context, key, base string, before, st *State) (bool, error) {
	st.Attempt = token.New(32)
	if before.ThreeDOrder == 0 {
		// A step's choices are the shopper's to make again should a crash
		// lose them: one relaxed statement, one round trip.
		saved := false
		b := database.NewBatch(s.stmts)
		query, args := swapStatement(key, base, st)
		b.Query(func(database.Scanner) error { saved = true; return nil }, query, args...)
		return saved, s.db.RunRelaxed(ctx, b)
	}
	saved := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		st.ThreeDOrder, st.ThreeDAction, st.ThreeDFields = 0, "", nil
		ok, err := s.swap(ctx, tx, key, base, st)
		if err != nil || !ok {
			return err
		}
		saved = true
		return order.Release(ctx, tx, before.ThreeDOrder, s.restocked)
	})
	return saved, err
}
