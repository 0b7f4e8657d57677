-- The catalog core that basket, checkout and orders build on. Money is in
-- minor units (BIGINT cents); stock can never go below zero.
CREATE TABLE attributes (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL DEFAULT 'text',
    facet        BOOLEAN NOT NULL DEFAULT FALSE,
    variant      BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order   INTEGER NOT NULL DEFAULT 0,
    translations TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE categories (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    parent_id    INTEGER REFERENCES categories (id),
    name         TEXT NOT NULL,
    slug         TEXT NOT NULL,
    sort_order   INTEGER NOT NULL DEFAULT 0,
    depth        INTEGER NOT NULL DEFAULT 0,
    path         TEXT NOT NULL DEFAULT '',
    attributes   TEXT NOT NULL DEFAULT '{}',
    translations TEXT NOT NULL DEFAULT '{}',
    uuid         TEXT NOT NULL
);
CREATE INDEX categories_parent_id ON categories (parent_id);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    base_code    TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    slug         TEXT NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    listable     BOOLEAN NOT NULL DEFAULT TRUE,
    attributes   TEXT NOT NULL DEFAULT '{}',
    images       TEXT NOT NULL DEFAULT '[]',
    tax_rate     TEXT NOT NULL DEFAULT '0',
    stock        INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    translations TEXT NOT NULL DEFAULT '{}',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX products_base_code ON products (base_code);
CREATE INDEX products_slug ON products (slug);

CREATE TABLE product_prices (
    product_id   INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    currency     TEXT NOT NULL,
    price        BIGINT NOT NULL,
    retail_price BIGINT NOT NULL,
    PRIMARY KEY (product_id, currency)
);

CREATE TABLE product_categories (
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, category_id)
);
CREATE INDEX product_categories_category_id ON product_categories (category_id, product_id);
