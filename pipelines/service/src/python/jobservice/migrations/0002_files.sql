-- Files the indexer found in a job's archive folder, with their processing level and checksum.
CREATE TABLE files (
    job_uuid TEXT NOT NULL REFERENCES jobs (uuid),
    path TEXT NOT NULL,
    level TEXT NOT NULL,
    checksum TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (job_uuid, path)
);
