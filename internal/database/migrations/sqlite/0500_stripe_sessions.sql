-- Stripe Checkout Sessions (issue 16), one per checkout attempt: a retried
-- step finds the page it opened, and Vitrin asks Stripe about a payment by
-- the session id kept here, never by what a returning browser carries.
-- status is what Stripe last said (open, complete, expired); note is the
-- last failed try on the page that Stripe told of (the shopper may try
-- again while the session is open).
CREATE TABLE stripe_sessions (
    attempt_key TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);

-- A refund that Stripe tells of names the payment: its order is found by it.
CREATE INDEX orders_gateway_reference ON orders (gateway, gateway_reference) WHERE gateway_reference <> '';
