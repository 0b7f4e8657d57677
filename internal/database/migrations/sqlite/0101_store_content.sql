-- Store settings, geography, retail stores, content pages, widgets and
-- redirects: the rest of the catalog and content sections of the store
-- import (issue 3). Natural keys are UNIQUE so the importer upserts by them.

-- One row (id = 1): the store's currencies, languages and country.
-- currencies and languages are JSON arrays of codes.
CREATE TABLE store (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    name             TEXT NOT NULL DEFAULT '',
    default_currency TEXT NOT NULL DEFAULT 'TRY',
    currencies       TEXT NOT NULL DEFAULT '["TRY"]',
    default_language TEXT NOT NULL DEFAULT 'tr-tr',
    languages        TEXT NOT NULL DEFAULT '["tr-tr"]',
    country          TEXT NOT NULL DEFAULT 'tr',
    import_hash      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE countries (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    translations TEXT NOT NULL DEFAULT '{}',
    import_hash  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE cities (
    id          INTEGER PRIMARY KEY,
    country_id  INTEGER NOT NULL REFERENCES countries (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    postcode    TEXT NOT NULL DEFAULT '',
    import_hash TEXT NOT NULL DEFAULT '',
    UNIQUE (country_id, name)
);

CREATE TABLE townships (
    id          INTEGER PRIMARY KEY,
    city_id     INTEGER NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    postcode    TEXT NOT NULL DEFAULT '',
    import_hash TEXT NOT NULL DEFAULT '',
    UNIQUE (city_id, name)
);

CREATE TABLE districts (
    id          INTEGER PRIMARY KEY,
    township_id INTEGER NOT NULL REFERENCES townships (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    postcode    TEXT NOT NULL DEFAULT '',
    import_hash TEXT NOT NULL DEFAULT '',
    UNIQUE (township_id, name)
);

-- Physical shops. Orders may point at one (click and collect), so a replace
-- import deactivates rather than deletes. latitude/longitude are decimal
-- strings as given; store_hours is the JSON array from the file.
CREATE TABLE retail_stores (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    country_id   INTEGER REFERENCES countries (id) ON DELETE SET NULL,
    city_id      INTEGER REFERENCES cities (id) ON DELETE SET NULL,
    township_id  INTEGER REFERENCES townships (id) ON DELETE SET NULL,
    district_id  INTEGER REFERENCES districts (id) ON DELETE SET NULL,
    latitude     TEXT NOT NULL DEFAULT '',
    longitude    TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    store_hours  TEXT NOT NULL DEFAULT '[]',
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order   INTEGER NOT NULL DEFAULT 0,
    translations TEXT NOT NULL DEFAULT '{}',
    import_hash  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX retail_stores_city_id ON retail_stores (city_id);

CREATE TABLE retail_store_stock (
    retail_store_id INTEGER NOT NULL REFERENCES retail_stores (id) ON DELETE CASCADE,
    product_id      INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    stock           INTEGER NOT NULL CHECK (stock >= 0),
    PRIMARY KEY (retail_store_id, product_id)
);
CREATE INDEX retail_store_stock_product_id ON retail_store_stock (product_id);

-- Flat, landing and special pages, addressed by url ("/about/").
CREATE TABLE pages (
    id           INTEGER PRIMARY KEY,
    url          TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('flat', 'landing', 'special')),
    title        TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL DEFAULT '',
    template     TEXT NOT NULL DEFAULT '',
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    translations TEXT NOT NULL DEFAULT '{}',
    import_hash  TEXT NOT NULL DEFAULT ''
);

-- The product set of a special page, in the file's order.
CREATE TABLE page_products (
    page_id    INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (page_id, product_id)
);

CREATE TABLE widgets (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL DEFAULT '',
    template     TEXT NOT NULL DEFAULT '',
    attributes   TEXT NOT NULL DEFAULT '{}',
    translations TEXT NOT NULL DEFAULT '{}',
    import_hash  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE widget_products (
    widget_id  INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (widget_id, product_id)
);

CREATE TABLE redirects (
    id          INTEGER PRIMARY KEY,
    old_path    TEXT NOT NULL UNIQUE,
    new_path    TEXT NOT NULL,
    import_hash TEXT NOT NULL DEFAULT ''
);

-- search_text: name, translated names, sku/code and facet values folded by
-- internal/searchtext.Fold (lower case, Turkish dotless i and accents
-- removed), so "ELBISE" and "elbıse" both match "Elbise".
-- import_hash: digest of the record as last imported; a re-import that
-- brings the same digest writes nothing.
ALTER TABLE products ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN import_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN is_active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE categories ADD COLUMN import_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE attributes ADD COLUMN import_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN import_hash TEXT NOT NULL DEFAULT '';

-- The store always has its settings row; an import overwrites it.
INSERT INTO store (id) VALUES (1);
