-- quiz class database, version 5: what the class report needs of the log, kept up to date with every
-- answer and undo as in the SQLite store's version 5 (quiz/schema.sql): per item the answers given in the
-- review state, the lapses among them, each student's first attempt and durations (quiz.item_answers),
-- and the wrong answers by text (quiz.wrong_answers). The report then reads a
-- few thousand rows instead of every answer of the class. The trigger function of version 4 is replaced
-- by one that keeps these too (still SECURITY DEFINER: only a student's own answers move its rows, and
-- nobody writes them directly), and this script builds them from the answers already logged.
--
--   student group  reads its own rows (RLS, as for its answers).
--   teacher group  reads every student's rows.

-- The first attempt: the first non-practice answer in time order, then log order (its reviewed_at, id and
-- correctness; NULL while graded = 0). The durations of the non-practice answers, in no order: the
-- report's median answer time, kept in the row each answer updates anyway (an index of the durations
-- cost each answer a write to a page of its own).
ALTER TABLE quiz.item_answers
    ADD COLUMN review_answers integer NOT NULL DEFAULT 0 CHECK (review_answers >= 0),  -- non-practice, in review
    ADD COLUMN lapses integer NOT NULL DEFAULT 0 CHECK (lapses >= 0),  -- of those rated Again
    ADD COLUMN first_at bigint,
    ADD COLUMN first_id bigint,
    ADD COLUMN first_correct boolean,
    ADD COLUMN durations bigint[] NOT NULL DEFAULT ARRAY[]::bigint[];

-- Non-practice answers that were not correct and have text, as typed, per item, text and student; keyed by
-- item first, so the class's wrong answers to a deck are read in order.
CREATE TABLE quiz.wrong_answers (
    deck text NOT NULL,
    card text NOT NULL,
    gap integer NOT NULL,
    answer text NOT NULL,
    profile_id bigint NOT NULL REFERENCES quiz.profiles (id),
    answers integer NOT NULL CHECK (answers > 0),
    PRIMARY KEY (deck, card, gap, answer, profile_id)
);

CREATE OR REPLACE FUNCTION quiz.keep_answer_totals() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row quiz.reviews;
    v_sign integer;
    v_slot bigint;
    v_capped bigint;
    v_review integer;
    v_passed integer;
    v_graded integer;
    v_correct integer;
    v_lapse integer;
    v_wrong boolean;
BEGIN
    -- An update (only ever a hand edit by the owner) takes the old row out and puts the new one in; a
    -- first attempt found again from the log then sees the row as it is now.
    FOREACH v_sign IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[1] WHEN 'DELETE' THEN ARRAY[-1]
                                       ELSE ARRAY[-1, 1] END LOOP
        IF v_sign = 1 THEN
            v_row := NEW;
        ELSE
            v_row := OLD;
        END IF;
        v_slot := div(v_row.reviewed_at - mod(mod(v_row.reviewed_at, 900000) + 900000, 900000), 900000);
        v_capped := least(greatest(v_row.duration_ms, 0), 60000);
        v_review := (NOT v_row.practice AND v_row.before_state = 2)::integer;
        v_passed := (NOT v_row.practice AND v_row.before_state = 2 AND v_row.rating >= 2)::integer;
        v_lapse := (NOT v_row.practice AND v_row.before_state = 2 AND v_row.rating = 1)::integer;
        v_graded := (NOT v_row.practice)::integer;
        v_correct := (NOT v_row.practice AND CASE WHEN v_row.verdict = 'self' THEN v_row.rating >= 3
                                                  ELSE v_row.verdict = 'correct' END)::integer;
        v_wrong := v_graded = 1 AND v_correct = 0 AND v_row.answer <> '';
        IF v_sign = 1 THEN
            INSERT INTO quiz.answer_slots AS t (profile_id, deck, slot, answers, capped_ms, review_answers,
                                                review_passed)
            VALUES (v_row.profile_id, v_row.deck, v_slot, 1, v_capped, v_review, v_passed)
            ON CONFLICT (profile_id, deck, slot) DO UPDATE SET
                answers = t.answers + 1, capped_ms = t.capped_ms + EXCLUDED.capped_ms,
                review_answers = t.review_answers + EXCLUDED.review_answers,
                review_passed = t.review_passed + EXCLUDED.review_passed;
            INSERT INTO quiz.item_answers AS t (profile_id, deck, card, gap, answers, graded, correct,
                                                review_answers, lapses, durations)
            VALUES (v_row.profile_id, v_row.deck, v_row.card, v_row.gap, 1, v_graded, v_correct, v_review,
                    v_lapse, CASE WHEN v_graded = 1 THEN ARRAY[v_row.duration_ms] ELSE ARRAY[]::bigint[] END)
            ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET
                answers = t.answers + 1, graded = t.graded + EXCLUDED.graded,
                correct = t.correct + EXCLUDED.correct, review_answers = t.review_answers + EXCLUDED.review_answers,
                lapses = t.lapses + EXCLUDED.lapses, durations = t.durations || EXCLUDED.durations;
            -- The new answer is the first attempt unless one before it (time, then log order) is already.
            IF v_graded = 1 THEN
                UPDATE quiz.item_answers AS t SET
                    first_at = v_row.reviewed_at, first_id = v_row.id, first_correct = v_correct = 1
                 WHERE t.profile_id = v_row.profile_id AND t.deck = v_row.deck AND t.card = v_row.card
                   AND t.gap = v_row.gap
                   AND (t.first_id IS NULL OR (v_row.reviewed_at, v_row.id) < (t.first_at, t.first_id));
            END IF;
            IF v_wrong THEN
                INSERT INTO quiz.wrong_answers AS t (deck, card, gap, answer, profile_id, answers)
                VALUES (v_row.deck, v_row.card, v_row.gap, v_row.answer, v_row.profile_id, 1)
                ON CONFLICT (deck, card, gap, answer, profile_id) DO UPDATE SET answers = t.answers + 1;
            END IF;
        ELSE
            -- The row of the last answer goes first, so the UPDATE cannot bring a row down to zero answers.
            DELETE FROM quiz.answer_slots AS t
             WHERE t.profile_id = v_row.profile_id AND t.deck = v_row.deck AND t.slot = v_slot AND t.answers = 1;
            UPDATE quiz.answer_slots AS t SET
                answers = t.answers - 1, capped_ms = t.capped_ms - v_capped,
                review_answers = t.review_answers - v_review, review_passed = t.review_passed - v_passed
             WHERE t.profile_id = v_row.profile_id AND t.deck = v_row.deck AND t.slot = v_slot;
            DELETE FROM quiz.item_answers AS t
             WHERE t.profile_id = v_row.profile_id AND t.deck = v_row.deck AND t.card = v_row.card
               AND t.gap = v_row.gap AND t.answers = 1;
            -- One occurrence of the duration goes (the median depends only on how many of each there are).
            UPDATE quiz.item_answers AS t SET
                answers = t.answers - 1, graded = t.graded - v_graded, correct = t.correct - v_correct,
                review_answers = t.review_answers - v_review, lapses = t.lapses - v_lapse,
                durations = CASE WHEN v_graded = 1 AND array_position(t.durations, v_row.duration_ms) IS NOT NULL
                    THEN t.durations[:array_position(t.durations, v_row.duration_ms) - 1]
                         || t.durations[array_position(t.durations, v_row.duration_ms) + 1:]
                    ELSE t.durations END
             WHERE t.profile_id = v_row.profile_id AND t.deck = v_row.deck AND t.card = v_row.card
               AND t.gap = v_row.gap;
            -- The first attempt went: the next one becomes it. Every other answer to the item came at or
            -- after it, so the scan of the student's answers to the deck starts at its time.
            UPDATE quiz.item_answers AS t SET (first_at, first_id, first_correct) = (
                SELECT r.reviewed_at, r.id, CASE WHEN r.verdict = 'self' THEN r.rating >= 3
                                                 ELSE r.verdict = 'correct' END
                  FROM quiz.reviews AS r
                 WHERE r.profile_id = v_row.profile_id AND r.deck = v_row.deck
                   AND r.reviewed_at >= v_row.reviewed_at AND r.card = v_row.card AND r.gap = v_row.gap
                   AND NOT r.practice
                 ORDER BY r.reviewed_at, r.id LIMIT 1)
             WHERE t.profile_id = v_row.profile_id AND t.deck = v_row.deck AND t.card = v_row.card
               AND t.gap = v_row.gap AND t.first_id = v_row.id;
            IF v_wrong THEN
                DELETE FROM quiz.wrong_answers AS t
                 WHERE t.deck = v_row.deck AND t.card = v_row.card AND t.gap = v_row.gap
                   AND t.answer = v_row.answer AND t.profile_id = v_row.profile_id AND t.answers = 1;
                UPDATE quiz.wrong_answers AS t SET answers = t.answers - 1
                 WHERE t.deck = v_row.deck AND t.card = v_row.card AND t.gap = v_row.gap
                   AND t.answer = v_row.answer AND t.profile_id = v_row.profile_id;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION quiz.keep_answer_totals() FROM PUBLIC;

UPDATE quiz.item_answers AS t SET review_answers = s.review_answers, lapses = s.lapses, durations = s.durations
  FROM (SELECT profile_id, deck, card, gap, count(*) FILTER (WHERE before_state = 2) AS review_answers,
               count(*) FILTER (WHERE before_state = 2 AND rating = 1) AS lapses, array_agg(duration_ms) AS durations
          FROM quiz.reviews WHERE NOT practice GROUP BY profile_id, deck, card, gap) AS s
 WHERE t.profile_id = s.profile_id AND t.deck = s.deck AND t.card = s.card AND t.gap = s.gap;

UPDATE quiz.item_answers AS t SET first_at = f.reviewed_at, first_id = f.id, first_correct = f.correct
  FROM (SELECT DISTINCT ON (profile_id, deck, card, gap) profile_id, deck, card, gap, reviewed_at, id,
               CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END AS correct
          FROM quiz.reviews WHERE NOT practice
         ORDER BY profile_id, deck, card, gap, reviewed_at, id) AS f
 WHERE t.profile_id = f.profile_id AND t.deck = f.deck AND t.card = f.card AND t.gap = f.gap;

INSERT INTO quiz.wrong_answers (deck, card, gap, answer, profile_id, answers)
SELECT deck, card, gap, answer, profile_id, count(*) FROM quiz.reviews
 WHERE NOT practice AND answer <> '' AND NOT CASE WHEN verdict = 'self' THEN rating >= 3 ELSE verdict = 'correct' END
 GROUP BY deck, card, gap, answer, profile_id;

REVOKE ALL ON quiz.wrong_answers FROM PUBLIC;
GRANT SELECT ON quiz.wrong_answers TO {teacher}, {student};

ALTER TABLE quiz.wrong_answers ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.wrong_answers FORCE ROW LEVEL SECURITY;

CREATE POLICY administer ON quiz.wrong_answers TO {owner} USING (true) WITH CHECK (true);
CREATE POLICY teacher_reads ON quiz.wrong_answers FOR SELECT TO {teacher} USING (true);
CREATE POLICY own_reads ON quiz.wrong_answers FOR SELECT TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
