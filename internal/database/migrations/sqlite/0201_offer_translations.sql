-- Offer labels in the store's other languages: {"en-us": {"label": "..."}}.
ALTER TABLE offers ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';
