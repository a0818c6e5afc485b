-- A view is computed as its table's current owner, and only while that
-- owner may compute it:
--  * ALTER TABLE ... OWNER TO, REASSIGN OWNED: the new owner's triggers on
--    the view run as the new owner under a security-restricted operation
--    (they cannot become superuser); DROP OWNED drops the view;
--  * check_view() runs the stored query by OID as the owner: a function
--    the owner adds later to shadow a built-in never runs, renames and new
--    operators give no false report, a trailing -- comment is fine, and the
--    caller needs SELECT on the view;
--  * row-level security enabled on a source after creation, or EXECUTE
--    revoked on a function the view calls (SQL-language or SECURITY
--    DEFINER): the view fails at once with the reason and its table is
--    emptied.
-- Autocommit; cleans up (roles included).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

DROP SCHEMA IF EXISTS t062 CASCADE;
DROP SCHEMA IF EXISTS t062_a CASCADE;
DROP SCHEMA IF EXISTS t062_b CASCADE;
DROP SCHEMA IF EXISTS t062_e CASCADE;
DROP OPERATOR IF EXISTS public.=== (int, int);
DROP FUNCTION IF EXISTS public.t062_eq(int, int);
DO $$ DECLARE r text; BEGIN
  FOREACH r IN ARRAY ARRAY['t062_alice', 't062_bob', 't062_carl', 't062_dave', 't062_eve'] LOOP
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('DROP OWNED BY %I', r); EXECUTE format('DROP ROLE %I', r);
    END IF;
  END LOOP;
END $$;

SELECT plan(31);

CREATE ROLE t062_alice;
CREATE ROLE t062_bob;
CREATE ROLE t062_carl;
CREATE ROLE t062_dave;
CREATE SCHEMA t062;
CREATE SCHEMA t062_a AUTHORIZATION t062_alice;
GRANT USAGE ON SCHEMA t062_a TO t062_bob;
CREATE SCHEMA t062_b AUTHORIZATION t062_bob;
GRANT USAGE, CREATE ON SCHEMA t062 TO t062_alice, t062_bob, t062_carl, t062_dave;

CREATE TABLE t062.src (id int PRIMARY KEY, name varchar, x int);
ALTER TABLE t062.src REPLICA IDENTITY FULL;
INSERT INTO t062.src VALUES (1, 'Ann', 10), (2, 'Bo', 20);
GRANT SELECT ON t062.src TO t062_alice, t062_bob, t062_carl, t062_dave;
CREATE TABLE t062.audit (n serial, who text, what text);
GRANT INSERT, SELECT ON t062.audit TO PUBLIC;
GRANT USAGE ON SEQUENCE t062.audit_n_seq TO PUBLIC;

-- ---------- a view handed to another owner ----------

SELECT pathway.create_view('t062.sv', 'SELECT id, x FROM t062.src');
ALTER TABLE t062.sv OWNER TO t062_carl;

SET ROLE t062_carl;
CREATE FUNCTION t062.grab() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO t062.audit (who, what) VALUES (current_user, 'row ' || NEW.id);
  PERFORM set_config('application_name', 't062 hijack', false);
  BEGIN
    EXECUTE 'ALTER ROLE t062_carl SUPERUSER';
    INSERT INTO t062.audit (who, what) VALUES (current_user, 'escalated');
  EXCEPTION WHEN OTHERS THEN
    INSERT INTO t062.audit (who, what) VALUES (current_user, 'refused');
  END;
  RETURN NULL;
END $$;
CREATE TRIGGER grab AFTER INSERT ON t062.sv FOR EACH ROW EXECUTE FUNCTION t062.grab();
RESET ROLE;

INSERT INTO t062.src VALUES (3, 'Cy', 30);
SELECT pathway.sync('t062.sv');

SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 't062_carl'), false,
  'the new owner''s trigger on the view did not make her superuser');
SELECT results_eq($$SELECT who, what FROM t062.audit ORDER BY n$$,
  $$VALUES ('t062_carl'::text, 'row 3'::text), ('t062_carl', 'refused')$$,
  'the trigger ran as the view''s new owner, and ALTER ROLE was refused');
SELECT is((SELECT application_name FROM pg_stat_activity
            WHERE pid = (SELECT pid FROM pathway._epoch_state())), 'pathway engine',
  'a setting the owner''s trigger changed does not outlive its run in the worker');
SELECT is((SELECT owner FROM pathway.views WHERE name = 't062.sv'), 't062_carl',
  'pathway.views shows the table''s current owner');
SELECT is((SELECT status FROM pathway.views WHERE name = 't062.sv'), 'running',
  'the view keeps running under its new owner');

REASSIGN OWNED BY t062_carl TO t062_dave;
INSERT INTO t062.src VALUES (4, 'Di', 40);
SELECT pathway.sync('t062.sv');
SELECT results_eq($$SELECT who, what FROM t062.audit WHERE n > 2 ORDER BY n$$,
  $$VALUES ('t062_dave'::text, 'row 4'::text), ('t062_dave', 'refused')$$,
  'after REASSIGN OWNED the view runs as the new owner');
SELECT is((SELECT owner FROM pathway.views WHERE name = 't062.sv'), 't062_dave',
  'pathway.views follows REASSIGN OWNED');
SELECT is((SELECT count(*) FROM pathway.check_view('t062.sv')), 0::bigint,
  'the view is exact under its new owner');

DROP OWNED BY t062_dave;
SELECT ok(to_regclass('t062.sv') IS NULL, 'DROP OWNED drops the view''s table');
SELECT is((SELECT count(*) FROM pathway.views WHERE name = 't062.sv'), 0::bigint,
  'DROP OWNED deregisters the view');
SELECT lives_ok($$SELECT pathway.sync()$$, 'sync() of every view works after DROP OWNED');

-- ---------- check_view runs the stored query as the owner ----------

SET ROLE t062_alice;
SET search_path = t062_a, public;
SELECT pathway.create_view('t062_a.av', 'SELECT id, lower(name) AS l FROM t062.src -- the names');
CREATE FUNCTION t062_a.lower(varchar) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO t062.audit (who, what) VALUES (current_user, 'shadow');
  BEGIN
    EXECUTE 'ALTER ROLE t062_alice SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN pg_catalog.lower($1);
END $$;
RESET ROLE;
RESET search_path;
SELECT pathway.sync('t062_a.av');

SET search_path = t062_a, public;
SELECT is((SELECT count(*) FROM pathway.check_view('t062_a.av')), 0::bigint,
  'check_view by a superuser: no difference');
RESET search_path;
SELECT is((SELECT count(*) FROM t062.audit WHERE what = 'shadow'), 0::bigint,
  'check_view never ran the function the owner added to shadow lower()');
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 't062_alice'), false,
  'and the owner is not superuser');

SET ROLE t062_bob;
SELECT throws_ok($$SELECT * FROM pathway.check_view('t062_a.av')$$, '42501',
  'permission denied for table av', 'check_view needs SELECT on the view');
RESET ROLE;
GRANT SELECT ON t062_a.av TO t062_bob;
SET ROLE t062_bob;
SELECT is((SELECT count(*) FROM pathway.check_view('t062_a.av')), 0::bigint,
  'with SELECT on the view, another role may check it');
RESET ROLE;

-- a check that finds a difference reports it (the engine is bypassed here)
CREATE TABLE t062.ren (id int PRIMARY KEY, v int);
ALTER TABLE t062.ren REPLICA IDENTITY FULL;
INSERT INTO t062.ren VALUES (1, 1), (2, 2);
SELECT pathway.create_view('t062.rv', 'SELECT id, v FROM t062.ren WHERE v > 0');
ALTER TABLE t062.ren RENAME COLUMN v TO w;
ALTER TABLE t062.ren RENAME TO ren2;
INSERT INTO t062.ren2 VALUES (3, 3);
SELECT pathway.sync('t062.rv');
SELECT is((SELECT count(*) FROM pathway.check_view('t062.rv')), 0::bigint,
  'no false report after RENAME COLUMN and RENAME TABLE of the source');
SET session_replication_role = replica;
DELETE FROM t062.rv WHERE id = 3;
RESET session_replication_role;
SELECT results_eq($$SELECT side, row_data FROM pathway.check_view('t062.rv')$$,
  $$VALUES ('only in query'::text, '{"id": 3, "v": 3}'::jsonb)$$,
  'check_view reports a row missing from the view');

CREATE FUNCTION public.t062_eq(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = public.t062_eq);
SELECT pathway.create_view('t062.ov', 'SELECT id FROM t062.src WHERE id === 1');
SELECT pathway.sync('t062.ov');
SELECT is((SELECT count(*) FROM pathway.check_view('t062.ov')), 0::bigint,
  'an operator outside pg_catalog is named by its schema');

-- ---------- row-level security enabled afterwards ----------

CREATE TABLE t062.rt (id int PRIMARY KEY, secret text);
ALTER TABLE t062.rt REPLICA IDENTITY FULL;
INSERT INTO t062.rt VALUES (1, 'open'), (2, 'hidden');
GRANT SELECT ON t062.rt TO t062_alice;
SET ROLE t062_alice;
SELECT pathway.create_view('t062_a.rls_v', 'SELECT id, secret FROM t062.rt');
RESET ROLE;
SELECT pathway.sync('t062_a.rls_v');
SELECT is((SELECT count(*) FROM t062_a.rls_v), 2::bigint, 'before the policy: both rows');

ALTER TABLE t062.rt ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_open ON t062.rt FOR SELECT USING (secret = 'open');
SELECT throws_ok($$SELECT pathway.sync('t062_a.rls_v')$$, '55000', NULL,
  'sync() reports the view failed once row-level security is on');
SELECT is((SELECT status FROM pathway.views WHERE name = 't062_a.rls_v'), 'failed',
  'the view failed at once');
SELECT matches((SELECT error FROM pathway.views WHERE name = 't062_a.rls_v'),
  'Row-level security is enabled on table "rt"', 'its error gives the reason');
SELECT is((SELECT count(*) FROM t062_a.rls_v), 0::bigint,
  'and its table no longer shows a row the policy hides from the owner');

-- ---------- EXECUTE revoked ----------

CREATE TABLE t062.secrets (id int, s text);
INSERT INTO t062.secrets VALUES (1, 's1'), (2, 's2'), (3, 's3'), (4, 's4'), (5, 's5');
CREATE FUNCTION t062.reveal(int) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog AS 'SELECT s FROM t062.secrets WHERE id = $1';
CREATE FUNCTION t062.twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
REVOKE EXECUTE ON FUNCTION t062.reveal(int), t062.twice(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION t062.reveal(int), t062.twice(int) TO t062_alice;
SET ROLE t062_alice;
SELECT pathway.create_view('t062_a.dv', 'SELECT id, t062.reveal(id) AS s FROM t062.src');
SELECT pathway.create_view('t062_a.qv', 'SELECT id, t062.twice(x) AS x2 FROM t062.src');
RESET ROLE;
SELECT pathway.sync('t062_a.dv');
SELECT pathway.sync('t062_a.qv');
SELECT is((SELECT string_agg(s, ',' ORDER BY id) FROM t062_a.dv), 's1,s2,s3,s4',
  'the SECURITY DEFINER function delivers while EXECUTE is granted');

REVOKE EXECUTE ON FUNCTION t062.reveal(int) FROM t062_alice;
INSERT INTO t062.src VALUES (5, 'Ed', 50);
SELECT throws_ok($$SELECT pathway.sync('t062_a.dv')$$, '55000', NULL,
  'EXECUTE revoked on a SECURITY DEFINER function: the view fails');
SELECT matches((SELECT error FROM pathway.views WHERE name = 't062_a.dv'),
  'permission denied for function reveal', 'with the reason');
SELECT is((SELECT count(*) FROM t062_a.dv), 0::bigint,
  'no secret row is left or delivered (row 5''s secret never arrives)');

REVOKE EXECUTE ON FUNCTION t062.twice(int) FROM t062_alice;
SELECT throws_ok($$SELECT pathway.sync('t062_a.qv')$$, '55000', NULL,
  'EXECUTE revoked on a SQL-language function: the view fails');
SELECT matches((SELECT error FROM pathway.views WHERE name = 't062_a.qv'),
  'permission denied for function twice', 'with the reason');


-- ---------- the extension's own statements as superuser resolve in pg_catalog ----------

CREATE ROLE t062_eve;
CREATE SCHEMA t062_e AUTHORIZATION t062_eve;
GRANT USAGE ON SCHEMA t062 TO t062_eve;
SET ROLE t062_eve;
CREATE FUNCTION t062_e.eq(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    EXECUTE 'ALTER ROLE t062_eve SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN $1 OPERATOR(pg_catalog.=) $2::oid;
END $$;
CREATE OPERATOR t062_e.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = t062_e.eq);
SET search_path = t062_e, pg_catalog;
SELECT pathway.sync('t062.ov');
RESET search_path;
RESET ROLE;
SELECT is((SELECT rolsuper FROM pg_roles WHERE rolname = 't062_eve'), false,
  'an operator of the caller''s never runs in the extension''s superuser statements (sync)');
DROP SCHEMA t062_e CASCADE;
REVOKE USAGE ON SCHEMA t062 FROM t062_eve;
DROP ROLE t062_eve;

-- ---------- cleanup ----------
SELECT pathway.drop_view(name) FROM pathway.views
 WHERE name IN ('t062.rv', 't062.ov', 't062_a.av', 't062_a.rls_v', 't062_a.dv', 't062_a.qv');
DROP SCHEMA t062 CASCADE;
DROP SCHEMA t062_a CASCADE;
DROP SCHEMA t062_b CASCADE;
DROP OPERATOR public.=== (int, int);
DROP FUNCTION public.t062_eq(int, int);
DROP OWNED BY t062_alice;
DROP OWNED BY t062_bob;
DROP OWNED BY t062_carl;
DROP OWNED BY t062_dave;
DROP ROLE t062_alice, t062_bob, t062_carl, t062_dave;
SELECT * FROM finish();
