-- quiz history database, current schema (version 5). One SQLite file holds every profile's history.
--
-- Conventions: every instant is INTEGER milliseconds since the Unix epoch, UTC. Item states are spelled
-- out in columns (state, step, stability, difficulty, due, last_review, reps, lapses) so that the log can
-- be read, rebuilt and used to train FSRS parameters without this program. `state` is quiz.scheduler.State
-- (0 new, 1 learning, 2 review, 3 relearning). A review item is (profile, deck, card, gap); gap 0 for
-- ordinary cards, 1..n for the gaps of a cloze card. Keys are ids only, so editing a card's wording keeps
-- its history, and removing a card from its deck keeps it too (an "orphan").
--
-- quiz.store runs this file in one transaction on an empty database. Files with an older schema are
-- upgraded by the migrate_v<N-1>_to_v<N>.sql scripts instead, which must end with the same tables.

CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> '')
) STRICT;

-- The current state of every item that was ever answered, suspended, buried or reset.
-- An item that is not here is NEW with no flags.
CREATE TABLE items (
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
    buried_until INTEGER,  -- buried while now < buried_until
    PRIMARY KEY (profile_id, deck, card, gap)
) STRICT, WITHOUT ROWID;

-- The study queue: due items of one deck in due order.
CREATE INDEX items_by_due ON items (profile_id, deck, due);

-- The append-only answer log. Rows are only ever inserted, except that `undo` deletes the newest one.
-- practice = 1: an answer that did not change the schedule (after equals before, interval 0).
-- override = 1: the student chose a better rating than the grade verdict suggested.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, also after undo: log order
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

-- Daily limits (answered_since) and per-deck history in time order.
CREATE INDEX reviews_by_deck_time ON reviews (profile_id, deck, reviewed_at);
-- History of all decks in time order; also finds the profile's newest row for undo.
CREATE INDEX reviews_by_time ON reviews (profile_id, reviewed_at);

-- Resets ("forget": back to NEW, history kept) are events too, logged here rather than in `reviews`
-- because they have no rating. `log_position` is the id of the newest `reviews` row when the reset
-- happened: replaying `reviews` in id order and applying each reset right after the row it names
-- rebuilds every item's state. `before_*` is the state the reset discarded.
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

-- FSRS parameters fitted to the answer log by `quiz optimize`: one row per profile that has its own, and
-- the class-wide set (fitted to every profile's log pooled) with profile_id 0. `weights` is a JSON array
-- of the 21 FSRS-6 parameters; the losses are the fitted and the default parameters' log loss and
-- RMSE(bins) on the later part of the log that the fit did not see.
CREATE TABLE fsrs_parameters (
    profile_id INTEGER PRIMARY KEY,  -- profiles.id, or 0 for the class-wide set
    weights TEXT NOT NULL,
    fitted_at INTEGER NOT NULL,
    reviews INTEGER NOT NULL CHECK (reviews >= 0),
    log_loss REAL NOT NULL,
    rmse_bins REAL NOT NULL,
    default_log_loss REAL NOT NULL,
    default_rmse_bins REAL NOT NULL
) STRICT;

-- Running totals of the answer log, for `quiz stats` (Store.answer_totals) and the class report: they
-- read a few thousand of these rows instead of summing a million answers. Kept equal to the log by the
-- triggers below, in the transaction that inserts or deletes the answer (record, undo, or any other
-- writer of `reviews`); tests/test_store.py rebuilds them from the log and compares.
--
-- answer_slots: per profile, deck and 15-minute slot of UTC time (slot = reviewed_at // 900000; every
-- time zone offset is a multiple of 15 minutes, so a slot lies in one study day): answers, time spent
-- with each answer capped at 60 s (quiz.stats.MAX_ANSWER_SECONDS) in ms, non-practice answers to items
-- in the review state, and of those the ones rated Hard or better (true retention).
CREATE TABLE answer_slots (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    deck TEXT NOT NULL,
    slot INTEGER NOT NULL,
    answers INTEGER NOT NULL CHECK (answers > 0),
    capped_ms INTEGER NOT NULL CHECK (capped_ms >= 0),
    review_answers INTEGER NOT NULL CHECK (review_answers >= 0),
    review_passed INTEGER NOT NULL CHECK (review_passed >= 0),
    PRIMARY KEY (profile_id, deck, slot)
) STRICT, WITHOUT ROWID;

-- item_answers: per item, answers, non-practice answers, and of those the correct ones (graded
-- correct, or self-rated Good or Easy: quiz.model.is_correct); for the class report (quiz.report) also
-- the non-practice answers given in the review state and of those the ones rated Again (lapses), and the
-- first attempt: the first non-practice answer in time order, then log order (its reviewed_at, id and
-- correctness; NULL while graded = 0), and the durations of the non-practice answers, in no order, as
-- ',d1,d2,...,' (',' for none): the report's median answer time, kept in the row each answer updates
-- anyway (an index of the durations cost each answer a write to a page of its own).
CREATE TABLE item_answers (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    gap INTEGER NOT NULL,
    answers INTEGER NOT NULL CHECK (answers > 0),
    graded INTEGER NOT NULL CHECK (graded >= 0),
    correct INTEGER NOT NULL CHECK (correct >= 0),
    review_answers INTEGER NOT NULL DEFAULT 0 CHECK (review_answers >= 0),
    lapses INTEGER NOT NULL DEFAULT 0 CHECK (lapses >= 0),
    first_at INTEGER,
    first_id INTEGER,
    first_correct INTEGER CHECK (first_correct IN (0, 1)),
    durations TEXT NOT NULL DEFAULT ',',
    PRIMARY KEY (profile_id, deck, card, gap)
) STRICT, WITHOUT ROWID;

-- wrong_answers: per item and text, the non-practice answers that were not correct and have typed or
-- chosen text, as typed (the class report normalises them as the grader does). Keyed by item first, so
-- the report reads the class's wrong answers to a deck in order, with no sort.
CREATE TABLE wrong_answers (
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    gap INTEGER NOT NULL,
    answer TEXT NOT NULL,
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    answers INTEGER NOT NULL CHECK (answers > 0),
    PRIMARY KEY (deck, card, gap, answer, profile_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER reviews_add_to_totals AFTER INSERT ON reviews BEGIN
    INSERT INTO answer_slots (profile_id, deck, slot, answers, capped_ms, review_answers, review_passed)
    VALUES (NEW.profile_id, NEW.deck,
            (NEW.reviewed_at - ((NEW.reviewed_at % 900000) + 900000) % 900000) / 900000, 1,
            min(max(NEW.duration_ms, 0), 60000),
            NEW.practice = 0 AND NEW.before_state = 2,
            NEW.practice = 0 AND NEW.before_state = 2 AND NEW.rating >= 2)
    ON CONFLICT (profile_id, deck, slot) DO UPDATE SET
        answers = answers + 1, capped_ms = capped_ms + excluded.capped_ms,
        review_answers = review_answers + excluded.review_answers,
        review_passed = review_passed + excluded.review_passed;
    INSERT INTO item_answers (profile_id, deck, card, gap, answers, graded, correct, review_answers, lapses,
                              durations)
    VALUES (NEW.profile_id, NEW.deck, NEW.card, NEW.gap, 1, NEW.practice = 0,
            NEW.practice = 0 AND CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3
                                      ELSE NEW.verdict = 'correct' END,
            NEW.practice = 0 AND NEW.before_state = 2,
            NEW.practice = 0 AND NEW.before_state = 2 AND NEW.rating = 1,
            CASE WHEN NEW.practice = 0 THEN ',' || NEW.duration_ms || ',' ELSE ',' END)
    ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET
        answers = answers + 1, graded = graded + excluded.graded, correct = correct + excluded.correct,
        review_answers = review_answers + excluded.review_answers, lapses = lapses + excluded.lapses,
        durations = durations || substr(excluded.durations, 2);
    -- The new answer is the first attempt unless one before it (time, then log order) is already.
    UPDATE item_answers SET
        first_at = NEW.reviewed_at, first_id = NEW.id,
        first_correct = CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3 ELSE NEW.verdict = 'correct' END
    WHERE profile_id = NEW.profile_id AND deck = NEW.deck AND card = NEW.card AND gap = NEW.gap
      AND NEW.practice = 0 AND (first_id IS NULL OR (NEW.reviewed_at, NEW.id) < (first_at, first_id));
    INSERT INTO wrong_answers (deck, card, gap, answer, profile_id, answers)
    SELECT NEW.deck, NEW.card, NEW.gap, NEW.answer, NEW.profile_id, 1
    WHERE NEW.practice = 0 AND NEW.answer <> ''
      AND NOT CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3 ELSE NEW.verdict = 'correct' END
    ON CONFLICT (deck, card, gap, answer, profile_id) DO UPDATE SET answers = answers + 1;
END;

CREATE TRIGGER reviews_remove_from_totals AFTER DELETE ON reviews BEGIN
    -- The row of the last answer goes (first, so the UPDATE below cannot bring another row down to 1).
    DELETE FROM answer_slots
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck
      AND slot = (OLD.reviewed_at - ((OLD.reviewed_at % 900000) + 900000) % 900000) / 900000
      AND answers = 1;
    UPDATE answer_slots SET
        answers = answers - 1, capped_ms = capped_ms - min(max(OLD.duration_ms, 0), 60000),
        review_answers = review_answers - (OLD.practice = 0 AND OLD.before_state = 2),
        review_passed = review_passed - (OLD.practice = 0 AND OLD.before_state = 2 AND OLD.rating >= 2)
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck
      AND slot = (OLD.reviewed_at - ((OLD.reviewed_at % 900000) + 900000) % 900000) / 900000;
    DELETE FROM item_answers
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap AND answers = 1;
    UPDATE item_answers SET
        answers = answers - 1, graded = graded - (OLD.practice = 0),
        correct = correct - (OLD.practice = 0 AND CASE WHEN OLD.verdict = 'self' THEN OLD.rating >= 3
                                                       ELSE OLD.verdict = 'correct' END),
        review_answers = review_answers - (OLD.practice = 0 AND OLD.before_state = 2),
        lapses = lapses - (OLD.practice = 0 AND OLD.before_state = 2 AND OLD.rating = 1),
        -- One occurrence of the duration goes (the median depends only on how many of each there are).
        -- Every value has a comma on both sides, so ',5,' finds a 5, never the end of a 15.
        durations = CASE WHEN OLD.practice = 0 AND instr(durations, ',' || OLD.duration_ms || ',') > 0
            THEN substr(durations, 1, instr(durations, ',' || OLD.duration_ms || ','))
                 || substr(durations, instr(durations, ',' || OLD.duration_ms || ',') + length(OLD.duration_ms) + 2)
            ELSE durations END
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap;
    -- The first attempt went: the next one becomes it. Every other answer to the item came at or after
    -- it, so the scan of the profile's answers to the deck starts at its time (an undo: at the end).
    UPDATE item_answers SET (first_at, first_id, first_correct) = (
        SELECT reviewed_at, id,
               CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END
        FROM reviews
        WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND reviewed_at >= OLD.reviewed_at
          AND card = OLD.card AND gap = OLD.gap AND practice = 0
        ORDER BY reviewed_at, id LIMIT 1)
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap
      AND first_id = OLD.id;
    DELETE FROM wrong_answers
    WHERE deck = OLD.deck AND card = OLD.card AND gap = OLD.gap AND answer = OLD.answer
      AND profile_id = OLD.profile_id AND answers = 1 AND OLD.practice = 0
      AND NOT CASE WHEN OLD.verdict = 'self' THEN OLD.rating >= 3 ELSE OLD.verdict = 'correct' END;
    UPDATE wrong_answers SET answers = answers - 1
    WHERE deck = OLD.deck AND card = OLD.card AND gap = OLD.gap AND answer = OLD.answer
      AND profile_id = OLD.profile_id AND OLD.practice = 0
      AND NOT CASE WHEN OLD.verdict = 'self' THEN OLD.rating >= 3 ELSE OLD.verdict = 'correct' END;
END;

-- quiz never changes a logged answer, but a hand edit might: the totals move with it (so a damaged time
-- still reaches `quiz stats`, which names the row). The old row goes out as in a delete (a first attempt
-- found again from the log sees the row as it is now), then the new one comes in as in an insert.
CREATE TRIGGER reviews_move_in_totals AFTER UPDATE OF id, profile_id, deck, card, gap, reviewed_at, rating,
    verdict, answer, duration_ms, practice, before_state ON reviews BEGIN
    DELETE FROM answer_slots
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck
      AND slot = (OLD.reviewed_at - ((OLD.reviewed_at % 900000) + 900000) % 900000) / 900000
      AND answers = 1;
    UPDATE answer_slots SET
        answers = answers - 1, capped_ms = capped_ms - min(max(OLD.duration_ms, 0), 60000),
        review_answers = review_answers - (OLD.practice = 0 AND OLD.before_state = 2),
        review_passed = review_passed - (OLD.practice = 0 AND OLD.before_state = 2 AND OLD.rating >= 2)
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck
      AND slot = (OLD.reviewed_at - ((OLD.reviewed_at % 900000) + 900000) % 900000) / 900000;
    DELETE FROM item_answers
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap AND answers = 1;
    UPDATE item_answers SET
        answers = answers - 1, graded = graded - (OLD.practice = 0),
        correct = correct - (OLD.practice = 0 AND CASE WHEN OLD.verdict = 'self' THEN OLD.rating >= 3
                                                       ELSE OLD.verdict = 'correct' END),
        review_answers = review_answers - (OLD.practice = 0 AND OLD.before_state = 2),
        lapses = lapses - (OLD.practice = 0 AND OLD.before_state = 2 AND OLD.rating = 1),
        -- One occurrence of the duration goes (the median depends only on how many of each there are).
        -- Every value has a comma on both sides, so ',5,' finds a 5, never the end of a 15.
        durations = CASE WHEN OLD.practice = 0 AND instr(durations, ',' || OLD.duration_ms || ',') > 0
            THEN substr(durations, 1, instr(durations, ',' || OLD.duration_ms || ','))
                 || substr(durations, instr(durations, ',' || OLD.duration_ms || ',') + length(OLD.duration_ms) + 2)
            ELSE durations END
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap;
    UPDATE item_answers SET (first_at, first_id, first_correct) = (
        SELECT reviewed_at, id,
               CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END
        FROM reviews
        WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND reviewed_at >= OLD.reviewed_at
          AND card = OLD.card AND gap = OLD.gap AND practice = 0
        ORDER BY reviewed_at, id LIMIT 1)
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap
      AND first_id = OLD.id;
    DELETE FROM wrong_answers
    WHERE deck = OLD.deck AND card = OLD.card AND gap = OLD.gap AND answer = OLD.answer
      AND profile_id = OLD.profile_id AND answers = 1 AND OLD.practice = 0
      AND NOT CASE WHEN OLD.verdict = 'self' THEN OLD.rating >= 3 ELSE OLD.verdict = 'correct' END;
    UPDATE wrong_answers SET answers = answers - 1
    WHERE deck = OLD.deck AND card = OLD.card AND gap = OLD.gap AND answer = OLD.answer
      AND profile_id = OLD.profile_id AND OLD.practice = 0
      AND NOT CASE WHEN OLD.verdict = 'self' THEN OLD.rating >= 3 ELSE OLD.verdict = 'correct' END;

    INSERT INTO answer_slots (profile_id, deck, slot, answers, capped_ms, review_answers, review_passed)
    VALUES (NEW.profile_id, NEW.deck,
            (NEW.reviewed_at - ((NEW.reviewed_at % 900000) + 900000) % 900000) / 900000, 1,
            min(max(NEW.duration_ms, 0), 60000),
            NEW.practice = 0 AND NEW.before_state = 2,
            NEW.practice = 0 AND NEW.before_state = 2 AND NEW.rating >= 2)
    ON CONFLICT (profile_id, deck, slot) DO UPDATE SET
        answers = answers + 1, capped_ms = capped_ms + excluded.capped_ms,
        review_answers = review_answers + excluded.review_answers,
        review_passed = review_passed + excluded.review_passed;
    INSERT INTO item_answers (profile_id, deck, card, gap, answers, graded, correct, review_answers, lapses,
                              durations)
    VALUES (NEW.profile_id, NEW.deck, NEW.card, NEW.gap, 1, NEW.practice = 0,
            NEW.practice = 0 AND CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3
                                      ELSE NEW.verdict = 'correct' END,
            NEW.practice = 0 AND NEW.before_state = 2,
            NEW.practice = 0 AND NEW.before_state = 2 AND NEW.rating = 1,
            CASE WHEN NEW.practice = 0 THEN ',' || NEW.duration_ms || ',' ELSE ',' END)
    ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET
        answers = answers + 1, graded = graded + excluded.graded, correct = correct + excluded.correct,
        review_answers = review_answers + excluded.review_answers, lapses = lapses + excluded.lapses,
        durations = durations || substr(excluded.durations, 2);
    UPDATE item_answers SET
        first_at = NEW.reviewed_at, first_id = NEW.id,
        first_correct = CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3 ELSE NEW.verdict = 'correct' END
    WHERE profile_id = NEW.profile_id AND deck = NEW.deck AND card = NEW.card AND gap = NEW.gap
      AND NEW.practice = 0 AND (first_id IS NULL OR (NEW.reviewed_at, NEW.id) < (first_at, first_id));
    INSERT INTO wrong_answers (deck, card, gap, answer, profile_id, answers)
    SELECT NEW.deck, NEW.card, NEW.gap, NEW.answer, NEW.profile_id, 1
    WHERE NEW.practice = 0 AND NEW.answer <> ''
      AND NOT CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3 ELSE NEW.verdict = 'correct' END
    ON CONFLICT (deck, card, gap, answer, profile_id) DO UPDATE SET answers = answers + 1;
END;

PRAGMA application_id = 1364543834;  -- 'QUIZ': tells a quiz database from any other SQLite file
PRAGMA user_version = 5;
