-- A batch's Require statement (database.Batch) is sent to PostgreSQL as
-- "WITH required AS (...) SELECT batch_require(COUNT(*)) FROM required":
-- no row raises VR001, which rolls back the batch's implicit transaction
-- in the same round trip that would have committed it.
CREATE FUNCTION batch_require(n BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$
BEGIN
    IF n = 0 THEN
        RAISE EXCEPTION 'a required statement returned no row' USING ERRCODE = 'VR001';
    END IF;
    RETURN n;
END
$$;
