-- quiz history database, schema version 1 ("the first schema"), kept verbatim for migrations and tests.
-- Version 1 had no cloze gaps (one item per card), profiles as plain text in every row, no bury,
-- no practice/override flags and no reset log. quiz.store never creates this schema any more; it only
-- upgrades files that have it (see migrate_v1_to_v2.sql).

CREATE TABLE items (
    profile TEXT NOT NULL,
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    state INTEGER NOT NULL,
    step INTEGER,
    stability REAL,
    difficulty REAL,
    due INTEGER,
    last_review INTEGER,
    reps INTEGER NOT NULL,
    lapses INTEGER NOT NULL,
    suspended INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (profile, deck, card)
) STRICT;

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    reviewed_at INTEGER NOT NULL,
    rating INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    answer TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    interval_days REAL NOT NULL,
    before_state INTEGER NOT NULL,
    before_step INTEGER,
    before_stability REAL,
    before_difficulty REAL,
    before_due INTEGER,
    before_last_review INTEGER,
    before_reps INTEGER NOT NULL,
    before_lapses INTEGER NOT NULL,
    after_state INTEGER NOT NULL,
    after_step INTEGER,
    after_stability REAL,
    after_difficulty REAL,
    after_due INTEGER,
    after_last_review INTEGER,
    after_reps INTEGER NOT NULL,
    after_lapses INTEGER NOT NULL
) STRICT;

CREATE INDEX reviews_by_time ON reviews (profile, deck, reviewed_at);

PRAGMA application_id = 1364543834;
PRAGMA user_version = 1;
