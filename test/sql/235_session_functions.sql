-- Functions whose value depends on the calling session are refused at
-- creation (the engine computes the view in its own session): the
-- connection, the backend, the transaction, the temporary schema, the
-- session's user, schema and client encoding, all settings.  current_setting()
-- may read the settings captured at creation, by a constant name; the
-- engine computes with the captured values.
-- Autocommit; cleans up.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

SELECT pathway.drop_view(name) FROM pathway.views WHERE name LIKE 't235%';
DROP TABLE IF EXISTS t235_src CASCADE;
DROP FUNCTION IF EXISTS t235_detail(text);

SELECT plan(23);

CREATE FUNCTION t235_detail(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE st text; msg text; det text; hin text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || ' | ' || det || ' | ' || hin;
END $f$;

CREATE TABLE t235_src (id int, name text, ts timestamptz);
INSERT INTO t235_src VALUES (1, 'TimeZone', '2026-01-01 12:00+00'), (2, 'app.tenant', '2026-06-01 12:00+00');
SELECT count(*) AS t235_base FROM pathway.catalog \gset
SET app.tenant = '7';

SELECT is(t235_detail($$SELECT pathway.create_view('t235_v', 'SELECT id FROM t235_src WHERE id::text = current_setting(''app.tenant'')')$$),
  '0A000: cannot maintain view "t235_v" | current_setting(''app.tenant'') is not supported: the setting is not captured when the view is created. | Only these settings are captured (the engine computes with their values at creation): TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output, lc_monetary, lc_numeric, lc_time, default_text_search_config, search_path, xmlbinary, xmloption, pathway.http_request_on_error. Store other values in a column when rows are written.',
  'current_setting() of a setting not captured: 0A000 naming it, the captured ones in the hint');
SELECT throws_ok($$SELECT pathway.create_view('t235_v', 'SELECT current_setting(''app.tenant'', true) AS t FROM t235_src')$$,
  '0A000', 'cannot maintain view "t235_v"', 'also with missing_ok');
SELECT is(t235_detail($$SELECT pathway.create_view('t235_v', 'SELECT current_setting(name, true) AS v FROM t235_src')$$),
  '0A000: cannot maintain view "t235_v" | current_setting() of a name that is not a constant is not supported. | Name the setting with a constant; only the settings captured when the view is created can be read.',
  'current_setting() of a column: 0A000');
SELECT is(t235_detail($$SELECT pathway.create_view('t235_v', 'SELECT id, pg_backend_pid() AS pid FROM t235_src')$$),
  '0A000: cannot maintain view "t235_v" | The session-dependent function pg_backend_pid() is not supported. | The engine computes the view in its own session, where this function gives another value; store the value in a column when rows are written.',
  'pg_backend_pid(): 0A000 naming it, with a hint');

-- the others, each in a select list or a condition
SELECT is(split_part(t235_detail(format($$SELECT pathway.create_view('t235_v', %L)$$, q)), ' | ', 1) || ' | ' ||
          split_part(t235_detail(format($$SELECT pathway.create_view('t235_v', %L)$$, q)), ' | ', 2),
          format('0A000: cannot maintain view "t235_v" | The session-dependent function %s() is not supported.', f), q)
  FROM (VALUES
    ('SELECT id, inet_client_port() AS p FROM t235_src', 'inet_client_port'),
    ('SELECT id FROM t235_src WHERE inet_client_addr() IS NULL', 'inet_client_addr'),
    ('SELECT id, inet_server_addr() AS a FROM t235_src', 'inet_server_addr'),
    ('SELECT id, inet_server_port() AS p FROM t235_src', 'inet_server_port'),
    ('SELECT id, txid_current() AS x FROM t235_src', 'txid_current'),
    ('SELECT id, pg_current_xact_id() AS x FROM t235_src', 'pg_current_xact_id'),
    ('SELECT id, txid_current_snapshot() AS x FROM t235_src', 'txid_current_snapshot'),
    ('SELECT id, pg_current_snapshot() AS x FROM t235_src', 'pg_current_snapshot'),
    ('SELECT id, pg_my_temp_schema() AS s FROM t235_src', 'pg_my_temp_schema'),
    ('SELECT id, pg_catalog."current_user"() AS u FROM t235_src', 'current_user'),
    ('SELECT id, pg_catalog."session_user"() AS u FROM t235_src', 'session_user'),
    ('SELECT id, current_schema() AS s FROM t235_src', 'current_schema'),
    ('SELECT id, pg_client_encoding() AS e FROM t235_src', 'pg_client_encoding'),
    ('SELECT t.id, s.setting FROM t235_src t JOIN pg_settings s ON s.name = t.name', 'pg_show_all_settings'),
    ('SELECT id, count(*) OVER (PARTITION BY pg_trigger_depth()) AS n FROM t235_src', 'pg_trigger_depth')
  ) AS v(q, f);
SELECT ok(to_regclass('t235_v') IS NULL AND (SELECT count(*) FROM pathway.catalog) = :t235_base,
  'no view was created');

-- captured settings may be read, by any spelling of their name
SET TimeZone = 'Asia/Tokyo';
SELECT lives_ok($$SELECT pathway.create_view('t235_ok', 'SELECT id, to_char(ts, ''YYYY-MM-DD HH24'') AS local, current_setting(''timezone'') AS tz, current_setting(''DateStyle'', true) AS ds FROM t235_src')$$,
  'current_setting() of captured settings is accepted');
RESET TimeZone;
SET app.tenant = '8';
INSERT INTO t235_src VALUES (3, 'x', '2026-12-31 20:00+00');
SELECT pathway.sync();
SELECT results_eq('SELECT id, local, tz FROM t235_ok ORDER BY id',
  $$VALUES (1, '2026-01-01 21', 'Asia/Tokyo'), (2, '2026-06-01 21', 'Asia/Tokyo'), (3, '2027-01-01 05', 'Asia/Tokyo')$$,
  'the engine computes the new row with the settings captured at creation');
SELECT is((SELECT count(DISTINCT ds) FROM t235_ok), 1::bigint, 'every row has the same DateStyle');

SELECT pathway.drop_view('t235_ok');
DROP TABLE t235_src;
DROP FUNCTION t235_detail(text);
SELECT * FROM finish();
