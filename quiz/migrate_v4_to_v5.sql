-- Upgrade a version 4 history database to version 5. quiz.store runs this in one transaction,
-- after copying the file to <db>.bak-v4 with SQLite's backup API.
--
-- Version 5 keeps what the class report (quiz.report) needs of the log up to date with every answer and
-- undo, as version 4 did for `quiz stats`: per item the review answers, lapses, first attempt and
-- durations (item_answers), and the wrong answers by text (wrong_answers). The triggers are replaced by
-- ones that keep these too, and the new totals are built from the log.

DROP TRIGGER reviews_add_to_totals;
DROP TRIGGER reviews_remove_from_totals;
DROP TRIGGER reviews_move_in_totals;

-- item_answers: for the class report (quiz.report) also the non-practice answers given in the review
-- state and of those the ones rated Again (lapses), and the first attempt: the first non-practice answer
-- in time order, then log order (its reviewed_at, id and correctness; NULL while graded = 0), and the
-- durations of the non-practice answers, in no order, as ',d1,d2,...,' (',' for none).
ALTER TABLE item_answers ADD COLUMN review_answers INTEGER NOT NULL DEFAULT 0 CHECK (review_answers >= 0);
ALTER TABLE item_answers ADD COLUMN lapses INTEGER NOT NULL DEFAULT 0 CHECK (lapses >= 0);
ALTER TABLE item_answers ADD COLUMN first_at INTEGER;
ALTER TABLE item_answers ADD COLUMN first_id INTEGER;
ALTER TABLE item_answers ADD COLUMN first_correct INTEGER CHECK (first_correct IN (0, 1));
ALTER TABLE item_answers ADD COLUMN durations TEXT NOT NULL DEFAULT ',';

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

UPDATE item_answers AS t SET review_answers = s.review_answers, lapses = s.lapses, durations = s.durations
FROM (SELECT profile_id, deck, card, gap, sum(before_state = 2) AS review_answers,
             sum(before_state = 2 AND rating = 1) AS lapses, ',' || group_concat(duration_ms, ',') || ',' AS durations
      FROM reviews WHERE practice = 0 GROUP BY profile_id, deck, card, gap) AS s
WHERE t.profile_id = s.profile_id AND t.deck = s.deck AND t.card = s.card AND t.gap = s.gap;

UPDATE item_answers AS t SET first_at = f.reviewed_at, first_id = f.id, first_correct = f.correct
FROM (SELECT profile_id, deck, card, gap, reviewed_at, id,
             CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END AS correct,
             row_number() OVER (PARTITION BY profile_id, deck, card, gap ORDER BY reviewed_at, id) AS n
      FROM reviews WHERE practice = 0) AS f
WHERE f.n = 1 AND t.profile_id = f.profile_id AND t.deck = f.deck AND t.card = f.card AND t.gap = f.gap;

INSERT INTO wrong_answers (deck, card, gap, answer, profile_id, answers)
SELECT deck, card, gap, answer, profile_id, count(*) FROM reviews
WHERE practice = 0 AND answer <> '' AND NOT CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END
GROUP BY deck, card, gap, answer, profile_id;

PRAGMA user_version = 5;
