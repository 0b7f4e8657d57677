-- Refunds owed after a cancellation (internal/order/refund.go). A refund is
-- written in the cancellation's transaction and sent to the gateway after
-- the commit, then retried until the gateway takes it, so a gateway that is
-- down or a node that dies meanwhile loses no customer's money. Every
-- attempt carries the row's idempotency key, so the gateway refunds a row
-- once however often it is sent. claimed_until is the lease of the node
-- sending it; next_attempt_at is the retry schedule.
CREATE TABLE refunds (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
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
CREATE INDEX refunds_due ON refunds (next_attempt_at) WHERE status = 'pending';
CREATE INDEX refunds_order ON refunds (order_id);

-- The sandbox gateway's refunds, one per idempotency key, as a real
-- gateway keeps them: the same key sent again refunds nothing more.
CREATE TABLE sandbox_refunds (
    idempotency_key TEXT PRIMARY KEY,
    reference       TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
