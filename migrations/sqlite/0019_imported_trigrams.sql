-- A CSV import puts a batch's trigrams in with one statement at the end of its transaction (see
-- `store::candidates::import_batch`). Written by this trigger, they made every 500-row insert a statement that
-- also wrote the trigram table: the table then saved its pending trigrams to disk as a new segment at each statement
-- (2,000 small segments for 1M rows, which it went on to merge), a sixth of the import's time. Rows inserted one at a
-- time still get theirs here. Only an import sets `imported_by`.
DROP TRIGGER candidates_ai;
CREATE TRIGGER candidates_ai AFTER INSERT ON candidates WHEN new.imported_by IS NULL BEGIN
    INSERT INTO candidate_trigrams(rowid, full_key) VALUES (new.rid, new.full_key);
END;
