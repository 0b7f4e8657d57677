-- The offers' version (issue 13): every change to offers, their categories
-- or their thresholds moves it, in the changing transaction, whoever
-- writes (the import, the management API, a hand-written UPDATE). A basket
-- reads it with its lines and prices with the offers it last read under
-- the same version, instead of reading every offer on every request.
INSERT INTO settings (key, value) VALUES ('offers_version', '1') ON CONFLICT (key) DO NOTHING;

CREATE TRIGGER offers_version_insert AFTER INSERT ON offers BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offers_version_update AFTER UPDATE ON offers BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offers_version_delete AFTER DELETE ON offers BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offer_categories_version_insert AFTER INSERT ON offer_categories BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offer_categories_version_update AFTER UPDATE ON offer_categories BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offer_categories_version_delete AFTER DELETE ON offer_categories BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offer_thresholds_version_insert AFTER INSERT ON offer_thresholds BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offer_thresholds_version_update AFTER UPDATE ON offer_thresholds BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;

CREATE TRIGGER offer_thresholds_version_delete AFTER DELETE ON offer_thresholds BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'offers_version';
END;
