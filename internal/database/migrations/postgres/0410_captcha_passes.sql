-- A solved login captcha (internal/account/throttle.go): the session that
-- solved it may try to log in a few more times despite a login lock. A
-- table of its own, not the session's data, so that spending an attempt
-- is one atomic UPDATE on any node.
CREATE TABLE captcha_passes (
    session_id    TEXT PRIMARY KEY,
    attempts_left INTEGER NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
