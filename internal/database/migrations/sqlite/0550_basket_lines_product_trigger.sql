-- Nothing on SQLite: PostgreSQL's version replaces the foreign key from
-- basket lines to products, whose check locks the product's row on every
-- add; SQLite's check is a lookup and keeps the key.
SELECT 1;
