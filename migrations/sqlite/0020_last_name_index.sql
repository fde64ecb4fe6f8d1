-- The last-name index without the candidate's id. SQLite ends every index entry with the row id, which already tells
-- equal names apart, so the id only made each entry 26 bytes longer: the index an import fills in no order of its
-- own then outgrew the page cache sooner, and each row of a large import cost more than the one before. The name
-- list still orders equal names by id; SQLite sorts those few rows itself (its plan: "USE TEMP B-TREE FOR RIGHT PART
-- OF ORDER BY").
DROP INDEX candidates_last;
CREATE INDEX candidates_last ON candidates (org_id, last_key, first_key);
