-- Checkout, payments and orders (issue 6).

-- Imported store settings of checkout. Money maps are JSON objects of
-- currency → minor units ({"TRY": 4990}); countries a JSON array of codes.
CREATE TABLE delivery_options (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('customer', 'retail_store')),
    sort_order  INTEGER NOT NULL DEFAULT 0,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    import_hash TEXT NOT NULL DEFAULT ''
);

CREATE TABLE shipping_options (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    countries   TEXT NOT NULL DEFAULT '[]',
    prices      TEXT NOT NULL DEFAULT '{}',
    free_above  TEXT NOT NULL DEFAULT '{}',
    sort_order  INTEGER NOT NULL DEFAULT 0,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    import_hash TEXT NOT NULL DEFAULT ''
);

-- installments: JSON array of {"count", "interest_rate"} (rate a decimal
-- string, percent of the amount).
CREATE TABLE payment_options (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    type                TEXT NOT NULL,
    gateway             TEXT NOT NULL DEFAULT 'sandbox',
    installments        TEXT NOT NULL DEFAULT '[]',
    pay_on_delivery_fee TEXT NOT NULL DEFAULT '{}',
    sort_order          INTEGER NOT NULL DEFAULT 0,
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    import_hash         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE bank_accounts (
    id          INTEGER PRIMARY KEY,
    iban        TEXT NOT NULL UNIQUE,
    bank        TEXT NOT NULL,
    holder_name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    sort_order  INTEGER NOT NULL DEFAULT 0,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    import_hash TEXT NOT NULL DEFAULT ''
);

CREATE TABLE cancellation_reasons (
    id                       INTEGER PRIMARY KEY,
    code                     TEXT NOT NULL UNIQUE,
    subject                  TEXT NOT NULL,
    cancellation_type        TEXT NOT NULL DEFAULT 'cancel',
    extra_information_needed BOOLEAN NOT NULL DEFAULT FALSE,
    is_active                BOOLEAN NOT NULL DEFAULT TRUE,
    import_hash              TEXT NOT NULL DEFAULT ''
);

-- One shopper's checkout in progress, found through a key in the session
-- data. data is the JSON state of internal/checkout; attempt is the
-- idempotency key of the final step, renewed whenever the state changes.
CREATE TABLE checkouts (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TIMESTAMP NOT NULL
);

-- Orders. Amounts in minor units of currency. idempotency_key is the
-- checkout attempt that placed it: a retried final step finds it.
-- Addresses are JSON snapshots (the address book may change later).
CREATE TABLE orders (
    id                      INTEGER PRIMARY KEY,
    number                  TEXT NOT NULL UNIQUE,
    token                   TEXT NOT NULL UNIQUE,
    idempotency_key         TEXT NOT NULL UNIQUE,
    customer_id             INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    email                   TEXT NOT NULL DEFAULT '',
    phone                   TEXT NOT NULL DEFAULT '',
    status                  TEXT NOT NULL,
    currency                TEXT NOT NULL,
    language                TEXT NOT NULL DEFAULT '',
    product_amount          BIGINT NOT NULL,
    discount_amount         BIGINT NOT NULL DEFAULT 0,
    shipping_amount         BIGINT NOT NULL DEFAULT 0,
    interest_amount         BIGINT NOT NULL DEFAULT 0,
    fee_amount              BIGINT NOT NULL DEFAULT 0,
    amount                  BIGINT NOT NULL,
    refund_amount           BIGINT NOT NULL DEFAULT 0,
    installment_count       INTEGER NOT NULL DEFAULT 1,
    payment_option_id       INTEGER REFERENCES payment_options (id) ON DELETE SET NULL,
    payment_option          TEXT NOT NULL DEFAULT '{}',
    payment_choice          TEXT NOT NULL DEFAULT '',
    shipping_option_id      INTEGER REFERENCES shipping_options (id) ON DELETE SET NULL,
    shipping_option_slug    TEXT NOT NULL DEFAULT '',
    delivery_option_slug    TEXT NOT NULL DEFAULT '',
    retail_store_id         INTEGER REFERENCES retail_stores (id) ON DELETE SET NULL,
    shipping_address        TEXT NOT NULL DEFAULT 'null',
    billing_address         TEXT NOT NULL DEFAULT 'null',
    discounts               TEXT NOT NULL DEFAULT '[]',
    voucher_code            TEXT NOT NULL DEFAULT '',
    notes                   TEXT NOT NULL DEFAULT '',
    bank_account            TEXT NOT NULL DEFAULT 'null',
    gateway                 TEXT NOT NULL DEFAULT '',
    gateway_reference       TEXT NOT NULL DEFAULT '',
    card_brand              TEXT NOT NULL DEFAULT '',
    card_last_four          TEXT NOT NULL DEFAULT '',
    basket_id               INTEGER,
    remote_addr             TEXT NOT NULL DEFAULT '',
    tracking_number         TEXT NOT NULL DEFAULT '',
    tracking_url            TEXT NOT NULL DEFAULT '',
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);
CREATE INDEX orders_customer_created ON orders (customer_id, created_at);
CREATE INDEX orders_status_created ON orders (status, created_at);

CREATE TABLE order_items (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id   INTEGER NOT NULL REFERENCES products (id),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    unit_price   BIGINT NOT NULL,
    retail_price BIGINT NOT NULL,
    discount     BIGINT NOT NULL DEFAULT 0,
    total        BIGINT NOT NULL,
    tax_rate     TEXT NOT NULL DEFAULT '0',
    attributes   TEXT NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE order_status_history (
    id         INTEGER PRIMARY KEY,
    order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id);

-- The sandbox gateway's own ledger: what a real gateway keeps on its side.
-- A charge is made once per idempotency key. Never a card number here.
CREATE TABLE sandbox_charges (
    id              INTEGER PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    amount          BIGINT NOT NULL,
    refunded        BIGINT NOT NULL DEFAULT 0,
    currency        TEXT NOT NULL,
    installments    INTEGER NOT NULL DEFAULT 1,
    brand           TEXT NOT NULL DEFAULT '',
    last_four       TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);

-- 3-D Secure sessions of the sandbox bank: the card's outcome class is
-- kept, not the card; decision is what the shopper chose on the bank page.
CREATE TABLE sandbox_three_d (
    id              INTEGER PRIMARY KEY,
    token           TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    installments    INTEGER NOT NULL DEFAULT 1,
    brand           TEXT NOT NULL DEFAULT '',
    last_four       TEXT NOT NULL DEFAULT '',
    outcome         TEXT NOT NULL,
    decision        TEXT NOT NULL DEFAULT 'pending',
    return_url      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
