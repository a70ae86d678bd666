-- Upgrade a version 1 history database to version 2. quiz.store runs this in one transaction,
-- after copying the file to <db>.bak-v1 with SQLite's backup API.
--
-- Version 2 keys items by (profile, deck, card, gap) with gap 0 for ordinary cards (version 1 had no
-- cloze gaps, so every old item becomes gap 0), stores profiles once in their own table, adds bury,
-- the practice/override flags (every version 1 answer was neither) and the reset log.

CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> '')
) STRICT;

INSERT INTO profiles (name)
    SELECT profile FROM items UNION SELECT profile FROM reviews ORDER BY 1;

CREATE TABLE items_v2 (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    gap INTEGER NOT NULL CHECK (gap >= 0),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    step INTEGER,
    stability REAL,
    difficulty REAL,
    due INTEGER,
    last_review INTEGER,
    reps INTEGER NOT NULL CHECK (reps >= 0),
    lapses INTEGER NOT NULL CHECK (lapses >= 0),
    suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
    buried_until INTEGER,
    PRIMARY KEY (profile_id, deck, card, gap)
) STRICT, WITHOUT ROWID;

INSERT INTO items_v2 (profile_id, deck, card, gap, state, step, stability, difficulty, due, last_review,
                      reps, lapses, suspended, buried_until)
    SELECT p.id, i.deck, i.card, 0, i.state, i.step, i.stability, i.difficulty, i.due, i.last_review,
           i.reps, i.lapses, i.suspended, NULL
    FROM items AS i JOIN profiles AS p ON p.name = i.profile;

CREATE TABLE reviews_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    gap INTEGER NOT NULL CHECK (gap >= 0),
    reviewed_at INTEGER NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'almost', 'wrong', 'self')),
    answer TEXT NOT NULL,
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    interval_days REAL NOT NULL,
    practice INTEGER NOT NULL DEFAULT 0 CHECK (practice IN (0, 1)),
    override INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1)),
    before_state INTEGER NOT NULL CHECK (before_state BETWEEN 0 AND 3),
    before_step INTEGER,
    before_stability REAL,
    before_difficulty REAL,
    before_due INTEGER,
    before_last_review INTEGER,
    before_reps INTEGER NOT NULL,
    before_lapses INTEGER NOT NULL,
    after_state INTEGER NOT NULL CHECK (after_state BETWEEN 0 AND 3),
    after_step INTEGER,
    after_stability REAL,
    after_difficulty REAL,
    after_due INTEGER,
    after_last_review INTEGER,
    after_reps INTEGER NOT NULL,
    after_lapses INTEGER NOT NULL
) STRICT;

-- Ids are kept, so the log order stays what it was.
INSERT INTO reviews_v2
    SELECT r.id, p.id, r.deck, r.card, 0, r.reviewed_at, r.rating, r.verdict, r.answer, r.duration_ms,
           r.interval_days, 0, 0,
           r.before_state, r.before_step, r.before_stability, r.before_difficulty, r.before_due,
           r.before_last_review, r.before_reps, r.before_lapses,
           r.after_state, r.after_step, r.after_stability, r.after_difficulty, r.after_due,
           r.after_last_review, r.after_reps, r.after_lapses
    FROM reviews AS r JOIN profiles AS p ON p.name = r.profile
    ORDER BY r.id;

DROP TABLE items;
DROP TABLE reviews;
ALTER TABLE items_v2 RENAME TO items;
ALTER TABLE reviews_v2 RENAME TO reviews;

CREATE INDEX items_by_due ON items (profile_id, deck, due);
CREATE INDEX reviews_by_deck_time ON reviews (profile_id, deck, reviewed_at);
CREATE INDEX reviews_by_time ON reviews (profile_id, reviewed_at);

CREATE TABLE resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    gap INTEGER NOT NULL CHECK (gap >= 0),
    reset_at INTEGER NOT NULL,
    log_position INTEGER NOT NULL,
    before_state INTEGER NOT NULL CHECK (before_state BETWEEN 0 AND 3),
    before_step INTEGER,
    before_stability REAL,
    before_difficulty REAL,
    before_due INTEGER,
    before_last_review INTEGER,
    before_reps INTEGER NOT NULL,
    before_lapses INTEGER NOT NULL
) STRICT;

CREATE INDEX resets_by_item ON resets (profile_id, deck, card, gap, log_position);

PRAGMA user_version = 2;
