-- Claims walk due jobs in (run_at, id) order: with id in the index neither database sorts the whole queue.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (status, run_at, id);
