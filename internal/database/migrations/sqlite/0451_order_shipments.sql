-- The back office (issue 14): shipments and the change feed of orders.

-- The order feed pages through (updated_at, id).
CREATE INDEX orders_changed ON orders (updated_at, id);

-- A parcel that left the warehouse: the whole order or some of its lines.
CREATE TABLE order_shipments (
    id              INTEGER PRIMARY KEY,
    order_id        BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    carrier         TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    tracking_url    TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX order_shipments_order ON order_shipments (order_id);
ALTER TABLE order_items ADD COLUMN shipment_id BIGINT REFERENCES order_shipments (id);
