-- Baskets and promotions. A basket belongs to a customer (one each) or to a
-- guest session (guest_key: the session id that created it, so two tabs
-- writing their first line at once find the same basket). Money is in minor
-- units; percentages in basis points (10.50 % = 1050).
CREATE TABLE baskets (
    id           INTEGER PRIMARY KEY,
    customer_id  BIGINT UNIQUE REFERENCES customers (id) ON DELETE CASCADE,
    guest_key    TEXT UNIQUE,
    voucher_code TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

-- added_price/added_currency: the unit price when the shopper last chose
-- the line, so a later price change is shown rather than silently applied.
CREATE TABLE basket_items (
    id             INTEGER PRIMARY KEY,
    basket_id      BIGINT NOT NULL REFERENCES baskets (id) ON DELETE CASCADE,
    product_id     BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    attributes     TEXT NOT NULL DEFAULT '{}',
    added_currency TEXT NOT NULL,
    added_price    BIGINT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (basket_id, product_id)
);

-- currency '' means any currency (only percent vouchers without money
-- thresholds); max_discount, usage_limit, per_customer_limit 0 mean none.
CREATE TABLE vouchers (
    id                 INTEGER PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    kind               TEXT NOT NULL CHECK (kind IN ('percent', 'amount')),
    value              BIGINT NOT NULL CHECK (value > 0),
    currency           TEXT NOT NULL DEFAULT '',
    min_basket         BIGINT NOT NULL DEFAULT 0,
    max_discount       BIGINT NOT NULL DEFAULT 0,
    starts_at          TIMESTAMP,
    ends_at            TIMESTAMP,
    usage_limit        INTEGER NOT NULL DEFAULT 0,
    per_customer_limit INTEGER NOT NULL DEFAULT 0,
    used_count         INTEGER NOT NULL DEFAULT 0,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    import_hash        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE voucher_categories (
    voucher_id  BIGINT NOT NULL REFERENCES vouchers (id) ON DELETE CASCADE,
    category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (voucher_id, category_id)
);

CREATE TABLE voucher_uses (
    id          INTEGER PRIMARY KEY,
    voucher_id  BIGINT NOT NULL REFERENCES vouchers (id) ON DELETE CASCADE,
    customer_id BIGINT REFERENCES customers (id) ON DELETE SET NULL,
    email       TEXT NOT NULL DEFAULT '',
    order_ref   TEXT NOT NULL DEFAULT '',
    used_at     TIMESTAMP NOT NULL
);
CREATE INDEX voucher_uses_customer ON voucher_uses (voucher_id, customer_id);
CREATE INDEX voucher_uses_email ON voucher_uses (voucher_id, email);

CREATE TABLE offers (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('percent', 'buy_x_pay_y', 'free_shipping')),
    value      BIGINT NOT NULL DEFAULT 0,
    buy        INTEGER NOT NULL DEFAULT 0,
    pay        INTEGER NOT NULL DEFAULT 0,
    starts_at  TIMESTAMP,
    ends_at    TIMESTAMP,
    sort_order INTEGER NOT NULL DEFAULT 0,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    import_hash TEXT NOT NULL DEFAULT ''
);

CREATE TABLE offer_categories (
    offer_id    BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (offer_id, category_id)
);

-- The basket amount per currency above which an offer applies (free shipping).
CREATE TABLE offer_thresholds (
    offer_id BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    amount   BIGINT NOT NULL,
    PRIMARY KEY (offer_id, currency)
);
