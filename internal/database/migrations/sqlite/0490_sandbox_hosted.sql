-- The sandbox's hosted payment page (issue 16) keeps its sessions among
-- the bank's, one per payment: a retried start finds the page it opened.
CREATE UNIQUE INDEX sandbox_three_d_hosted_key ON sandbox_three_d (idempotency_key) WHERE outcome = 'hosted';
