-- quiz class database, version 4: running totals of the answer log, as in the SQLite store's version 4
-- (quiz/schema.sql: answer_slots, item_answers). `quiz stats` and the class report read these few
-- thousand rows instead of summing a million answers. Triggers keep them equal to the log in the
-- transaction of every insert into and delete from quiz.reviews (an answer, quiz.undo_newest), and this
-- script builds them from the answers already logged.
--
-- The trigger function runs as the owner (SECURITY DEFINER): a student's own answers move its totals,
-- and nothing else can. So nobody but the owner writes these tables directly, and the totals always
-- match the log the student could have written anyway.
--
--   student group  reads its own totals (RLS, as for its answers).
--   teacher group  reads every student's totals.

CREATE TABLE quiz.answer_slots (
    profile_id bigint NOT NULL REFERENCES quiz.profiles (id),
    deck text NOT NULL,
    slot bigint NOT NULL,  -- 15-minute slot of UTC time: floor(reviewed_at / 900000)
    answers integer NOT NULL CHECK (answers > 0),
    capped_ms bigint NOT NULL CHECK (capped_ms >= 0),  -- time spent, each answer capped at 60 s
    review_answers integer NOT NULL CHECK (review_answers >= 0),  -- non-practice answers, item in review
    review_passed integer NOT NULL CHECK (review_passed >= 0),  -- of those rated Hard or better
    PRIMARY KEY (profile_id, deck, slot)
);

CREATE TABLE quiz.item_answers (
    profile_id bigint NOT NULL REFERENCES quiz.profiles (id),
    deck text NOT NULL,
    card text NOT NULL,
    gap integer NOT NULL,
    answers integer NOT NULL CHECK (answers > 0),
    graded integer NOT NULL CHECK (graded >= 0),  -- non-practice answers
    correct integer NOT NULL CHECK (correct >= 0),  -- of those correct (quiz.model.is_correct)
    PRIMARY KEY (profile_id, deck, card, gap)
);

CREATE FUNCTION quiz.keep_answer_totals() RETURNS trigger
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
BEGIN
    -- An update (only ever a hand edit by the owner) takes the old row out and puts the new one in.
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
        v_graded := (NOT v_row.practice)::integer;
        v_correct := (NOT v_row.practice AND CASE WHEN v_row.verdict = 'self' THEN v_row.rating >= 3
                                                  ELSE v_row.verdict = 'correct' END)::integer;
        IF v_sign = 1 THEN
            INSERT INTO quiz.answer_slots AS t (profile_id, deck, slot, answers, capped_ms, review_answers,
                                                review_passed)
            VALUES (v_row.profile_id, v_row.deck, v_slot, 1, v_capped, v_review, v_passed)
            ON CONFLICT (profile_id, deck, slot) DO UPDATE SET
                answers = t.answers + 1, capped_ms = t.capped_ms + EXCLUDED.capped_ms,
                review_answers = t.review_answers + EXCLUDED.review_answers,
                review_passed = t.review_passed + EXCLUDED.review_passed;
            INSERT INTO quiz.item_answers AS t (profile_id, deck, card, gap, answers, graded, correct)
            VALUES (v_row.profile_id, v_row.deck, v_row.card, v_row.gap, 1, v_graded, v_correct)
            ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET
                answers = t.answers + 1, graded = t.graded + EXCLUDED.graded,
                correct = t.correct + EXCLUDED.correct;
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
            UPDATE quiz.item_answers AS t SET
                answers = t.answers - 1, graded = t.graded - v_graded, correct = t.correct - v_correct
             WHERE t.profile_id = v_row.profile_id AND t.deck = v_row.deck AND t.card = v_row.card
               AND t.gap = v_row.gap;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION quiz.keep_answer_totals() FROM PUBLIC;

-- Students never update an answer (no such privilege); the owner's hand edits move the totals too.
CREATE TRIGGER keep_answer_totals AFTER INSERT OR DELETE OR UPDATE ON quiz.reviews
    FOR EACH ROW EXECUTE FUNCTION quiz.keep_answer_totals();

INSERT INTO quiz.answer_slots (profile_id, deck, slot, answers, capped_ms, review_answers, review_passed)
SELECT profile_id, deck, div(reviewed_at - mod(mod(reviewed_at, 900000) + 900000, 900000), 900000) AS s,
       count(*), sum(least(greatest(duration_ms, 0), 60000)),
       count(*) FILTER (WHERE NOT practice AND before_state = 2),
       count(*) FILTER (WHERE NOT practice AND before_state = 2 AND rating >= 2)
FROM quiz.reviews GROUP BY profile_id, deck, s;

INSERT INTO quiz.item_answers (profile_id, deck, card, gap, answers, graded, correct)
SELECT profile_id, deck, card, gap, count(*), count(*) FILTER (WHERE NOT practice),
       count(*) FILTER (WHERE NOT practice AND CASE WHEN verdict = 'self' THEN rating >= 3
                                                    ELSE verdict = 'correct' END)
FROM quiz.reviews GROUP BY profile_id, deck, card, gap;

REVOKE ALL ON quiz.answer_slots, quiz.item_answers FROM PUBLIC;
GRANT SELECT ON quiz.answer_slots, quiz.item_answers TO {teacher}, {student};

ALTER TABLE quiz.answer_slots ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.answer_slots FORCE ROW LEVEL SECURITY;
ALTER TABLE quiz.item_answers ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.item_answers FORCE ROW LEVEL SECURITY;

CREATE POLICY administer ON quiz.answer_slots TO {owner} USING (true) WITH CHECK (true);
CREATE POLICY administer ON quiz.item_answers TO {owner} USING (true) WITH CHECK (true);
CREATE POLICY teacher_reads ON quiz.answer_slots FOR SELECT TO {teacher} USING (true);
CREATE POLICY teacher_reads ON quiz.item_answers FOR SELECT TO {teacher} USING (true);
CREATE POLICY own_reads ON quiz.answer_slots FOR SELECT TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
CREATE POLICY own_reads ON quiz.item_answers FOR SELECT TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
