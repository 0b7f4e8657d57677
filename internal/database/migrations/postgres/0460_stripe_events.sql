-- Stripe webhook events (issue 16), one row per event id: Stripe delivers
-- an event at least once, so a second delivery finds its row and does
-- nothing.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
