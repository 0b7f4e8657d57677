-- Loyalty money (issue 14): a ledger, never a mutable balance. A
-- customer's balance is the sum of their entries, in minor units of the
-- store's currency; the back office credits (positive) and debits
-- (negative) with a reason, and no entry takes a balance below zero.
-- order_number names the order an entry paid for or came back from.
CREATE TABLE loyalty_entries (
    id           INTEGER PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    amount       BIGINT NOT NULL CHECK (amount <> 0),
    reason       TEXT NOT NULL,
    order_number TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX loyalty_entries_customer ON loyalty_entries (customer_id, id);
