-- quiz class database, version 3: FSRS parameters fitted by `quiz optimize`, as in the SQLite store's
-- version 3. One row per student (their own fit) and at most one class-wide row (profile_id NULL), which
-- a student without a fit of their own is scheduled with.
--
--   student group  reads its own set and the class-wide one; writes only its own.
--   teacher group  reads every set; writes only the class-wide one (`quiz optimize --class`).

CREATE TABLE quiz.fsrs_parameters (
    profile_id bigint REFERENCES quiz.profiles (id),  -- NULL: the class-wide set
    weights double precision[] NOT NULL CHECK (cardinality(weights) = 21),
    fitted_at bigint NOT NULL,
    reviews integer NOT NULL CHECK (reviews >= 0),
    log_loss double precision NOT NULL,
    rmse_bins double precision NOT NULL,
    default_log_loss double precision NOT NULL,
    default_rmse_bins double precision NOT NULL,
    UNIQUE NULLS NOT DISTINCT (profile_id)
);

REVOKE ALL ON quiz.fsrs_parameters FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON quiz.fsrs_parameters TO {teacher}, {student};

ALTER TABLE quiz.fsrs_parameters ENABLE ROW LEVEL SECURITY;
ALTER TABLE quiz.fsrs_parameters FORCE ROW LEVEL SECURITY;

CREATE POLICY administer ON quiz.fsrs_parameters TO {owner} USING (true) WITH CHECK (true);

CREATE POLICY teacher_reads ON quiz.fsrs_parameters FOR SELECT TO {teacher} USING (true);
CREATE POLICY teacher_writes_the_class_set ON quiz.fsrs_parameters FOR INSERT TO {teacher}
    WITH CHECK (profile_id IS NULL);
CREATE POLICY teacher_updates_the_class_set ON quiz.fsrs_parameters FOR UPDATE TO {teacher}
    USING (profile_id IS NULL) WITH CHECK (profile_id IS NULL);

CREATE POLICY own_or_class_reads ON quiz.fsrs_parameters FOR SELECT TO {student}
    USING (profile_id IS NULL OR profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
CREATE POLICY own_inserts ON quiz.fsrs_parameters FOR INSERT TO {student}
    WITH CHECK (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
CREATE POLICY own_updates ON quiz.fsrs_parameters FOR UPDATE TO {student}
    USING (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user))
    WITH CHECK (profile_id IN (SELECT id FROM quiz.profiles WHERE role_name = current_user));
