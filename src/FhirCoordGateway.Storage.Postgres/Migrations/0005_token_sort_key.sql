-- _sort on token parameters (issue 4): the token rows only held hashes, which have no useful order. sort_key is
-- the code, U+0001, then the system (so equal codes order by system), cut at 200 characters, "C" collation.
-- Adding a nullable column rewrites nothing; rows written before this migration sort last until $reindex.
ALTER TABLE sp_token ADD COLUMN sort_key text COLLATE "C";
