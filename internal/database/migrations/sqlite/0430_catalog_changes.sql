-- The catalog change log (internal/catalog/changes.go): every transaction
-- that changes catalog rows bumps settings.catalog_version and logs here
-- which products it changed under the new version, so each node reloads
-- just those products into its read model. product_id 0 means anything
-- may have changed (categories, attributes, new products): nodes rebuild.
-- Old versions are pruned; a node that finds a version missing rebuilds.
CREATE TABLE catalog_changes (
    version    BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    PRIMARY KEY (version, product_id)
);
