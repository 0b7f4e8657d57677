-- Loyalty money paying for orders (issue 14): loyalty_amount is what the
-- order took from the customer's balance (amount is the rest, paid by the
-- chosen payment); loyalty_returned is how much of it cancellations gave
-- back, never more than loyalty_amount.
ALTER TABLE orders ADD COLUMN loyalty_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN loyalty_returned BIGINT NOT NULL DEFAULT 0;
