-- New candidates' trigrams wait in the GIN index's pending list until it is merged into the index, and every name
-- search reads the whole list. At PostgreSQL's default limit (4 MB) a search that needed the trigram index read about
-- 400 pages of it (5 ms for a five-letter name part on 1M candidates, 0.2 ms once merged). A small list is merged
-- more often, by the insert that fills it.
ALTER INDEX candidates_trigrams SET (gin_pending_list_limit = 128);
SELECT gin_clean_pending_list('candidates_trigrams'::regclass);
