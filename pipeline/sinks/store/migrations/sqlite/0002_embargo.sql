-- Embargo: a story is not served before embargoed_until, and is notified once released at that time.
ALTER TABLE stories ADD COLUMN embargoed_until TEXT;
ALTER TABLE stories ADD COLUMN embargo_released INTEGER NOT NULL DEFAULT 1;
CREATE INDEX stories_embargo_due ON stories (embargoed_until) WHERE embargo_released = 0;
