-- Nothing on SQLite: a batch runs statement by statement there, and Go
-- rolls it back when a Require statement returned no row (see
-- database.Batch). The number is kept so both engines count alike.
SELECT 1;
