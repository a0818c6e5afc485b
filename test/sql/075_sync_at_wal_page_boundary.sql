-- pathway.sync() when the WAL insert position is right after a page header
-- (nothing written on the new page yet).  The file pads the WAL with
-- non-transactional logical messages until the insert position is at the
-- start of a page, then calls sync in the same statement, so nothing else
-- of ours writes WAL in between.  sync must simply return.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

-- leftovers of an interrupted run
DROP TABLE IF EXISTS t075_src CASCADE;
DROP FUNCTION IF EXISTS t075_sync_at_page_start(text);

SELECT plan(8);

CREATE TABLE t075_src (x int);
INSERT INTO t075_src VALUES (1);
SELECT lives_ok($$SELECT pathway.create_view('t075_v', 'SELECT x FROM t075_src')$$, 'create t075_v');
SELECT lives_ok($$SELECT pathway.sync('t075_v')$$, 'sync t075_v');

-- Returns 'ok' or the error sync raised; 'not at a page start' if the
-- padding did not land exactly (then the check is void).
CREATE FUNCTION t075_sync_at_page_start(view text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
  pos bigint;
  rem bigint;
  tries int := 0;
BEGIN
  LOOP
    pos := pg_current_wal_insert_lsn() - '0/0'::pg_lsn;
    -- a page starts with a 24-byte header (40 bytes on a segment's first page)
    EXIT WHEN pos % 8192 IN (24, 40);
    tries := tries + 1;
    IF tries > 1000 THEN
      RETURN 'not at a page start';
    END IF;
    rem := 8192 - pos % 8192;
    -- a message record is about 56 bytes plus its payload; aim for the page end,
    -- or (when the gap is too small) cross into the next page and try again
    IF rem > 200 THEN
      PERFORM pg_logical_emit_message(false, 'p', repeat('x', (rem - 117)::int));
    ELSE
      PERFORM pg_logical_emit_message(false, 'p', repeat('x', greatest(rem - 52, 0)::int));
    END IF;
  END LOOP;
  BEGIN
    PERFORM pathway.sync(view, '10s');
  EXCEPTION
    WHEN query_canceled THEN RETURN SQLSTATE || ': ' || SQLERRM;
    WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM;
  END;
  RETURN 'ok';
END $f$;

SELECT is(t075_sync_at_page_start('t075_v'), 'ok', 'sync(view) at the start of a WAL page returns');
SELECT is(t075_sync_at_page_start(NULL), 'ok', 'sync(NULL) at the start of a WAL page returns');
INSERT INTO t075_src VALUES (2);
SELECT is(t075_sync_at_page_start('t075_v'), 'ok', 'sync(view) at the start of a WAL page after a change returns');
SELECT results_eq('SELECT x FROM t075_v ORDER BY x', $$VALUES (1), (2)$$, 'the view has the change');
SELECT is((SELECT count(*) FROM (
    (TABLE t075_v EXCEPT ALL (SELECT x FROM t075_src))
    UNION ALL
    ((SELECT x FROM t075_src) EXCEPT ALL TABLE t075_v)) d),
  0::bigint, 't075_v equals its query');

SELECT lives_ok($$SELECT pathway.drop_view('t075_v')$$, 'drop t075_v');
DROP FUNCTION t075_sync_at_page_start(text);
DROP TABLE t075_src;

SELECT * FROM finish();
