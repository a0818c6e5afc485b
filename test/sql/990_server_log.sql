-- After every other pgTAP file: the server log shows no resource leak
-- (a relation or buffer left open by the engine's writes, triggers
-- included), no assertion failure and no crash.
CREATE EXTENSION IF NOT EXISTS pathway;
SELECT plan(3);
SELECT is((SELECT count(*) FROM regexp_split_to_table(pg_read_file('log'), E'\n') l
            WHERE l ~ 'reference leak'), 0::bigint,
  'no relcache, buffer or other reference leak in the server log');
SELECT is((SELECT count(*) FROM regexp_split_to_table(pg_read_file('log'), E'\n') l
            WHERE l ~ '(TRAP: |PANIC: )'), 0::bigint,
  'no assertion failure or PANIC');
SELECT is((SELECT count(*) FROM regexp_split_to_table(pg_read_file('log'), E'\n') l
            WHERE l ~ 'terminated by signal'), 0::bigint,
  'no process of the server died of a signal');
SELECT * FROM finish();
