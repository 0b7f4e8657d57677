-- The address book (issue 6). A customer's addresses carry customer_id; a
-- guest's checkout addresses carry guest_key instead (a random key kept in
-- the guest's session data, so it survives the session rotation at login).
-- Geography columns point at the imported tables; the rules that a township
-- belongs to its city and so on are checked by internal/address. Orders keep
-- a JSON snapshot of their addresses, so deleting one here loses nothing.
CREATE TABLE customer_addresses (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    guest_key       TEXT,
    title           TEXT NOT NULL DEFAULT '',
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    phone_number    TEXT NOT NULL DEFAULT '',
    country_id      INTEGER NOT NULL REFERENCES countries (id),
    city_id         INTEGER NOT NULL REFERENCES cities (id),
    township_id     INTEGER REFERENCES townships (id),
    district_id     INTEGER REFERENCES districts (id),
    line            TEXT NOT NULL DEFAULT '',
    postcode        TEXT NOT NULL DEFAULT '',
    is_corporate    BOOLEAN NOT NULL DEFAULT FALSE,
    company_name    TEXT NOT NULL DEFAULT '',
    tax_no          TEXT NOT NULL DEFAULT '',
    tax_office      TEXT NOT NULL DEFAULT '',
    e_bill_taxpayer BOOLEAN NOT NULL DEFAULT FALSE,
    identity_number TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    is_primary      BOOLEAN NOT NULL DEFAULT FALSE,
    import_hash     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK ((customer_id IS NULL) <> (guest_key IS NULL))
);
CREATE INDEX customer_addresses_customer ON customer_addresses (customer_id);
CREATE INDEX customer_addresses_guest ON customer_addresses (guest_key);
-- At most one default address per customer.
CREATE UNIQUE INDEX customer_addresses_one_primary ON customer_addresses (customer_id) WHERE is_primary;
