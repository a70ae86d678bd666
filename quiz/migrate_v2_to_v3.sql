-- Upgrade a version 2 history database to version 3. quiz.store runs this in one transaction,
-- after copying the file to <db>.bak-v2 with SQLite's backup API.
--
-- Version 3 adds the FSRS parameters `quiz optimize` fits to the answer log (see schema.sql).

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

PRAGMA user_version = 3;
