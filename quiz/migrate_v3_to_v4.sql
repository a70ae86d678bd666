-- Upgrade a version 3 history database to version 4. quiz.store runs this in one transaction,
-- after copying the file to <db>.bak-v3 with SQLite's backup API.
--
-- Version 4 adds running totals of the answer log (see schema.sql) and builds them from the log.

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
-- correct, or self-rated Good or Easy: quiz.model.is_correct).
CREATE TABLE item_answers (
    profile_id INTEGER NOT NULL REFERENCES profiles (id),
    deck TEXT NOT NULL,
    card TEXT NOT NULL,
    gap INTEGER NOT NULL,
    answers INTEGER NOT NULL CHECK (answers > 0),
    graded INTEGER NOT NULL CHECK (graded >= 0),
    correct INTEGER NOT NULL CHECK (correct >= 0),
    PRIMARY KEY (profile_id, deck, card, gap)
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
    INSERT INTO item_answers (profile_id, deck, card, gap, answers, graded, correct)
    VALUES (NEW.profile_id, NEW.deck, NEW.card, NEW.gap, 1, NEW.practice = 0,
            NEW.practice = 0 AND CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3
                                      ELSE NEW.verdict = 'correct' END)
    ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET
        answers = answers + 1, graded = graded + excluded.graded, correct = correct + excluded.correct;
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
                                                       ELSE OLD.verdict = 'correct' END)
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap;
END;

-- quiz never changes a logged answer, but a hand edit might: the totals move with it (so a damaged time
-- still reaches `quiz stats`, which names the row).
CREATE TRIGGER reviews_move_in_totals AFTER UPDATE OF profile_id, deck, card, gap, reviewed_at, rating, verdict,
    duration_ms, practice, before_state ON reviews BEGIN
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
                                                       ELSE OLD.verdict = 'correct' END)
    WHERE profile_id = OLD.profile_id AND deck = OLD.deck AND card = OLD.card AND gap = OLD.gap;

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
    INSERT INTO item_answers (profile_id, deck, card, gap, answers, graded, correct)
    VALUES (NEW.profile_id, NEW.deck, NEW.card, NEW.gap, 1, NEW.practice = 0,
            NEW.practice = 0 AND CASE WHEN NEW.verdict = 'self' THEN NEW.rating >= 3
                                      ELSE NEW.verdict = 'correct' END)
    ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET
        answers = answers + 1, graded = graded + excluded.graded, correct = correct + excluded.correct;
END;

INSERT INTO answer_slots (profile_id, deck, slot, answers, capped_ms, review_answers, review_passed)
SELECT profile_id, deck, (reviewed_at - ((reviewed_at % 900000) + 900000) % 900000) / 900000 AS s, count(*),
       sum(min(max(duration_ms, 0), 60000)), sum(practice = 0 AND before_state = 2),
       sum(practice = 0 AND before_state = 2 AND rating >= 2)
FROM reviews GROUP BY profile_id, deck, s;

INSERT INTO item_answers (profile_id, deck, card, gap, answers, graded, correct)
SELECT profile_id, deck, card, gap, count(*), sum(practice = 0),
       sum(practice = 0 AND CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END)
FROM reviews GROUP BY profile_id, deck, card, gap;

PRAGMA user_version = 4;
