-- Outgoing mail, one-time customer tokens, rate limits, customer support,
-- wishlist and e-mail subscriptions (issue 8).

-- The outbox: a mail is written here in the same transaction as the event
-- that causes it; the sender delivers it. next_attempt_at is both the
-- retry schedule and the claim: a sender pushes it forward (a lease) when
-- it claims a row, so no other sender takes the row meanwhile.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    message_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    reply_to        TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    headers         TEXT NOT NULL DEFAULT '{}',
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP,
    failed_at       TIMESTAMP
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_recipient ON mail_outbox (recipient);

-- Single-use links (password reset, e-mail change, address confirmation),
-- stored only as hashes.
CREATE TABLE customer_tokens (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX customer_tokens_customer ON customer_tokens (customer_id, purpose);

-- Fixed-window request counters shared by all nodes.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    hits         INTEGER NOT NULL
);

CREATE TABLE contact_subjects (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    text            TEXT NOT NULL,
    is_order_needed BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order      INTEGER NOT NULL DEFAULT 0,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    translations    TEXT NOT NULL DEFAULT '{}',
    import_hash     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE contact_messages (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    subject_id   INTEGER NOT NULL REFERENCES contact_subjects (id),
    full_name    TEXT NOT NULL,
    email        TEXT NOT NULL,
    phone        TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL,
    country_code TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX contact_messages_customer ON contact_messages (customer_id);

CREATE TABLE favourite_products (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (customer_id, product_id)
);

-- Stock alerts: open while notified_at is NULL. A customer's alert mails
-- the customer's current address; a guest's the address given.
CREATE TABLE product_alerts (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    email_lower TEXT NOT NULL,
    language    TEXT NOT NULL DEFAULT '',
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    notified_at TIMESTAMP
);
CREATE UNIQUE INDEX product_alerts_open_customer ON product_alerts (product_id, customer_id)
    WHERE notified_at IS NULL AND customer_id IS NOT NULL;
CREATE UNIQUE INDEX product_alerts_open_guest ON product_alerts (product_id, email_lower)
    WHERE notified_at IS NULL AND customer_id IS NULL;
CREATE INDEX product_alerts_customer ON product_alerts (customer_id);

-- Newsletter subscriptions with double opt-in: pending until the address
-- confirms, then confirmed, or unsubscribed.
CREATE TABLE email_subscriptions (
    id                 INTEGER PRIMARY KEY,
    email              TEXT NOT NULL,
    email_lower        TEXT NOT NULL UNIQUE,
    language           TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    confirm_token_hash TEXT UNIQUE,
    confirm_expires_at TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    confirmed_at       TIMESTAMP,
    unsubscribed_at    TIMESTAMP
);
