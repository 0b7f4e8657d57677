-- The offers' version (issue 13): every change to offers, their categories
-- or their thresholds moves it, in the changing transaction, whoever
-- writes (the import, the management API, a hand-written UPDATE). A basket
-- reads it with its lines and prices with the offers it last read under
-- the same version, instead of reading every offer on every request.
INSERT INTO settings (key, value) VALUES ('offers_version', '1') ON CONFLICT (key) DO NOTHING;

CREATE FUNCTION bump_offers_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'offers_version';
    RETURN NULL;
END
$$;

CREATE TRIGGER offers_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON offers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_offers_version();
CREATE TRIGGER offers_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON offer_categories
    FOR EACH STATEMENT EXECUTE FUNCTION bump_offers_version();
CREATE TRIGGER offers_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON offer_thresholds
    FOR EACH STATEMENT EXECUTE FUNCTION bump_offers_version();
