-- Embargo: a story is not served before embargoed_until, and is notified once released at that time.
ALTER TABLE stories ADD COLUMN embargoed_until timestamptz;
ALTER TABLE stories ADD COLUMN embargo_released boolean NOT NULL DEFAULT true;
CREATE INDEX stories_embargo_due ON stories (embargoed_until) WHERE NOT embargo_released;
