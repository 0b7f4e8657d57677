-- A payment taken on a hosted page after its pending order was released
-- (the shopper changed the checkout, or took too long) has no order left
-- to cancel; it is still owed back, through the refunder like any other
-- refund, so such a refund names no order.
ALTER TABLE refunds ALTER COLUMN order_id DROP NOT NULL;
CREATE INDEX refunds_reference ON refunds (gateway, reference);
