-- Pipelines, jobs and their event history. Plain SQL both SQLite and PostgreSQL run.
CREATE TABLE pipelines (
    uuid TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    salt TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE jobs (
    uuid TEXT PRIMARY KEY,
    pipeline_uuid TEXT NOT NULL REFERENCES pipelines (uuid),
    child_of TEXT NOT NULL,
    data TEXT NOT NULL,
    archive_path TEXT NOT NULL,
    state TEXT NOT NULL,
    salt TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX jobs_by_pipeline_state ON jobs (pipeline_uuid, state);
CREATE TABLE events (
    job_uuid TEXT NOT NULL REFERENCES jobs (uuid),
    seq INTEGER NOT NULL,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    date TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_uuid, seq)
);
