-- Indexes of the catalog reads that still go to SQL (issue 3). Listings,
-- facets and search are served from each node's in-memory read model, so
-- they need none; these serve the geography filters "with a retail store"
-- (retailstore__isnull=false) and the pretty-URL lookup of pages.
CREATE INDEX retail_stores_township_id ON retail_stores (township_id);
CREATE INDEX retail_stores_district_id ON retail_stores (district_id);
CREATE INDEX pages_kind ON pages (kind, id);
