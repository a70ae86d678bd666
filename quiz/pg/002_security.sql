-- quiz class database, version 2: who may do what, enforced by PostgreSQL itself. A student can connect
-- with psql instead of quiz, so nothing here trusts the client.
--
-- Placeholders (filled in by quiz.postgres, quoted as identifiers or literals, never pasted as text):
-- owner: the role running `quiz class init` (it owns the database and these objects);
-- teacher, student: this class's two group roles, named after the database (roles are cluster-wide, and
-- one server may host several classes); database: this database.
--
--   student group  reads its own profile, items, reviews and resets (RLS: profiles.role_name =
--                  current_user); inserts answers and resets only for its own profile; inserts and
--                  updates the schedule columns of its own items (its answers must move them) and
--                  deletes its own items only when they are pristine NEW rows; never updates or deletes
--                  an answer, except its own newest one through quiz.undo_newest.
--   teacher group  reads everything; writes nothing.
--   everyone else  nothing: not even CONNECT.

CREATE ROLE {teacher} NOLOGIN;
CREATE ROLE {student} NOLOGIN;
INSERT INTO quiz.meta (key, value) VALUES ('teacher_role', {teacher_name}), ('student_role', {student_name});

REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT ON DATABASE {database} TO {teacher}, {student};
-- No one but the owner creates objects anywhere: a student could otherwise plant a function or table
-- named like one of ours in a schema that comes first on someone's search_path.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA quiz FROM PUBLIC;
GRANT USAGE ON SCHEMA quiz TO {teacher}, {student};
REVOKE ALL ON ALL TABLES IN SCHEMA quiz FROM PUBLIC;

GRANT SELECT ON ALL TABLES IN SCHEMA quiz TO {teacher};

GRANT SELECT ON quiz.schema_version, quiz.meta, quiz.profiles TO {student};
GRANT SELECT, DELETE ON quiz.items TO {student};
-- Column lists: a student names its items and answers but never their ids (no OVERRIDING SYSTEM VALUE
-- to make an old answer look newest), and never moves an item to another profile or card.
GRANT INSERT (profile_id, deck, card, gap, state, step, stability, difficulty, due, last_review, reps, lapses,
              suspended, buried_until) ON quiz.items TO {student};
GRANT UPDATE (state, step, stability, difficulty, due, last_review, reps, lapses, suspended, buried_until)
    ON quiz.items TO {student};
GRANT SELECT ON quiz.reviews TO {student};
GRANT INSERT (answer_id, profile_id, deck, card, gap, reviewed_at, rating, verdict, answer, duration_ms,
              interval_days, practice, override,
              before_state, before_step, before_stability, before_difficulty, before_due, before_last_review,
              before_reps, before_lapses,
              after_state, after_step, after_stability, after_difficulty, after_due, after_last_review,
              after_reps, after_lapses) ON quiz.reviews TO {student};
GRANT SELECT ON quiz.resets TO {student};
GRANT INSERT (profile_id, deck, card, gap, reset_at, log_position,
              before_state, before_step, before_stability, before_difficulty, before_due, before_last_review,
              before_reps, before_lapses) ON quiz.resets TO {student};

-- FORCE: the owner is held to policies too, so every role's access is written down below.
ALTER TABLE quiz.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.profiles FORCE ROW LEVEL SECURITY;
ALTER TABLE quiz.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.items FORCE ROW LEVEL SECURITY;
ALTER TABLE quiz.reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.reviews FORCE ROW LEVEL SECURITY;
ALTER TABLE quiz.resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.resets FORCE ROW LEVEL SECURITY;

-- The owner administers the class (adds students) and runs quiz.undo_newest.
CREATE POLICY administer ON quiz.profiles TO {owner} USING (true) WITH CHECK (true);
CREATE POLICY administer ON quiz.items TO {owner} USING (true) WITH CHECK (true);
CREATE POLICY administer ON quiz.reviews TO {owner} USING (true) WITH CHECK (true);
CREATE POLICY administer ON quiz.resets TO {owner} USING (true) WITH CHECK (true);

CREATE POLICY teacher_reads ON quiz.profiles FOR SELECT TO {teacher} USING (true);
CREATE POLICY teacher_reads ON quiz.items FOR SELECT TO {teacher} USING (true);
CREATE POLICY teacher_reads ON quiz.reviews FOR SELECT TO {teacher} USING (true);
CREATE POLICY teacher_reads ON quiz.resets FOR SELECT TO {teacher} USING (true);

CREATE POLICY own_profile ON quiz.profiles FOR SELECT TO {student} USING (role_name = current_user);

CREATE POLICY own_reads ON quiz.items FOR SELECT TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
CREATE POLICY own_inserts ON quiz.items FOR INSERT TO {student}
    WITH CHECK (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
CREATE POLICY own_updates ON quiz.items FOR UPDATE TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user))
    WITH CHECK (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
-- Only a row that says nothing (NEW, no flags) may go: not stored means exactly that. Anything else
-- goes back to NEW through a logged reset.
CREATE POLICY own_pristine_deletes ON quiz.items FOR DELETE TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user)
           AND state = 0 AND step IS NULL AND stability IS NULL AND difficulty IS NULL AND due IS NULL
           AND last_review IS NULL AND reps = 0 AND lapses = 0 AND NOT suspended AND buried_until IS NULL);

CREATE POLICY own_reads ON quiz.reviews FOR SELECT TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
CREATE POLICY own_inserts ON quiz.reviews FOR INSERT TO {student}
    WITH CHECK (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));

CREATE POLICY own_reads ON quiz.resets FOR SELECT TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
CREATE POLICY own_inserts ON quiz.resets FOR INSERT TO {student}
    WITH CHECK (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));

-- Undo: delete the caller's newest answer (within p_deck if given) and put its item back to the state
-- before it; return the deleted row, or nothing. With p_if_newest (a review id) only if that answer is
-- still the newest, as quiz.store.Store.undo does. It runs as the owner (students may not DELETE from
-- the log at all) and finds the caller by session_user, the role that logged in: current_user inside a
-- SECURITY DEFINER function is the owner, and no student can change session_user. search_path is fixed
-- and every table name is qualified, so nothing a caller sets up can stand in for our tables or
-- operators (pg_catalog comes first).
CREATE FUNCTION quiz.undo_newest(p_deck text DEFAULT NULL, p_if_newest bigint DEFAULT NULL)
RETURNS SETOF quiz.reviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_profile bigint;
    v_review quiz.reviews;
BEGIN
    SELECT p.id INTO v_profile FROM quiz.profiles AS p WHERE p.role_name = session_user;
    IF v_profile IS NULL THEN
        RETURN;
    END IF;
    SELECT r.* INTO v_review FROM quiz.reviews AS r
     WHERE r.profile_id = v_profile
       AND (p_deck IS NULL OR r.deck = p_deck)
     ORDER BY r.id DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND OR (p_if_newest IS NOT NULL AND v_review.id <> p_if_newest) THEN
        RETURN;
    END IF;
    DELETE FROM quiz.reviews AS r WHERE r.id = v_review.id;
    IF NOT v_review.practice AND NOT EXISTS (
        SELECT 1 FROM quiz.resets AS s
         WHERE s.profile_id = v_profile AND s.deck = v_review.deck
           AND s.card = v_review.card AND s.gap = v_review.gap
           AND s.log_position >= v_review.id
    ) THEN
        -- The schedule goes back; the suspended and buried flags are the student's separate choices.
        INSERT INTO quiz.items AS i (profile_id, deck, card, gap, state, step, stability, difficulty, due,
                                     last_review, reps, lapses)
        VALUES (v_profile, v_review.deck, v_review.card, v_review.gap, v_review.before_state,
                v_review.before_step, v_review.before_stability, v_review.before_difficulty,
                v_review.before_due, v_review.before_last_review, v_review.before_reps, v_review.before_lapses)
        ON CONFLICT (profile_id, deck, card, gap) DO UPDATE SET
            state = EXCLUDED.state, step = EXCLUDED.step, stability = EXCLUDED.stability,
            difficulty = EXCLUDED.difficulty, due = EXCLUDED.due, last_review = EXCLUDED.last_review,
            reps = EXCLUDED.reps, lapses = EXCLUDED.lapses;
        DELETE FROM quiz.items AS i
         WHERE i.profile_id = v_profile AND i.deck = v_review.deck
           AND i.card = v_review.card AND i.gap = v_review.gap
           AND i.state = 0 AND i.step IS NULL AND i.stability IS NULL
           AND i.difficulty IS NULL AND i.due IS NULL AND i.last_review IS NULL
           AND i.reps = 0 AND i.lapses = 0 AND NOT i.suspended
           AND i.buried_until IS NULL;
    END IF;
    RETURN NEXT v_review;
END
$$;

-- Functions are executable by PUBLIC unless revoked.
REVOKE ALL ON FUNCTION quiz.undo_newest(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION quiz.undo_newest(text, bigint) TO {student};
