-- A payment taken on a hosted page after its pending order was released
-- (the shopper changed the checkout, or took too long) has no order left
-- to cancel; it is still owed back, through the refunder like any other
-- refund, so such a refund names no order. SQLite cannot drop a NOT NULL:
-- the table is copied into one without it.
CREATE TABLE refunds_new (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER REFERENCES orders (id),
    gateway         TEXT NOT NULL,
    reference       TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until   TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    done_at         TIMESTAMP
);
INSERT INTO refunds_new (id, order_id, gateway, reference, amount, idempotency_key, status, attempts, next_attempt_at,
    claimed_until, last_error, created_at, done_at)
SELECT id, order_id, gateway, reference, amount, idempotency_key, status, attempts, next_attempt_at,
    claimed_until, last_error, created_at, done_at FROM refunds;
DROP TABLE refunds;
ALTER TABLE refunds_new RENAME TO refunds;
CREATE INDEX refunds_due ON refunds (next_attempt_at) WHERE status = 'pending';
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_reference ON refunds (gateway, reference);
