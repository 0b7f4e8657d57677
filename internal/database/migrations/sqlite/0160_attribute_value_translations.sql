-- Labels of attribute values in the store's other languages, by value:
-- {"Kırmızı": {"en-us": {"name": "Red"}}}. Filters match the value itself.
ALTER TABLE attributes ADD COLUMN value_translations TEXT NOT NULL DEFAULT '{}';
