-- pathway 0.1.0: live views over ordinary tables
\echo Use "CREATE EXTENSION pathway" to load this file. \quit

GRANT USAGE ON SCHEMA pathway TO PUBLIC;

-- The live views of this database.  Written by create_view/drop_view (and
-- the drop trigger below) and by the engine worker (status, error).
CREATE TABLE pathway.catalog (
    relid       regclass PRIMARY KEY,  -- (names in a dump: restored to the new OIDs)
    query       text NOT NULL,      -- as the user wrote it
    tree        text NOT NULL,      -- the analyzed query (objects by OID)
    owner       regrole NOT NULL,
    settings    text[] NOT NULL,    -- name=value of the creator's settings that expressions read
    status      text NOT NULL DEFAULT 'starting',
    error       text,
    -- false once the view failed for pathway.max_memory: not built again,
    -- not even after a restart, until it is recreated
    rebuild_at_start boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- the time options of a view grouped by a window (docs/time.md), or NULL
    cutoff      interval,
    delay       interval,
    keep_results boolean,
    emit        text
);
REVOKE ALL ON pathway.catalog FROM PUBLIC;
GRANT SELECT ON pathway.catalog TO PUBLIC;

-- The frontier: every source transaction committed before it is reflected
-- in every live view.  Updated in the same transaction as the views.
CREATE TABLE pathway.epoch (
    frontier     pg_lsn,
    epoch        bigint NOT NULL DEFAULT 0,
    committed_at timestamptz
);
INSERT INTO pathway.epoch (frontier, epoch) VALUES (NULL, 0);
REVOKE ALL ON pathway.epoch FROM PUBLIC;
GRANT SELECT ON pathway.epoch TO PUBLIC;

CREATE FUNCTION pathway._catalog_changed() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_catalog_changed';
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE ON pathway.catalog
    FOR EACH STATEMENT EXECUTE FUNCTION pathway._catalog_changed();

-- Kafka sources: each lands in its stream table (relid).  The options hold
-- librdkafka properties, secrets included: only the extension reads them;
-- pathway.sources shows them with secrets masked.
CREATE TABLE pathway.kafka_sources (
    name        text PRIMARY KEY,   -- the stream table's name as given
    relid       regclass NOT NULL UNIQUE,
    brokers     text NOT NULL,
    topic       text NOT NULL,
    format      text NOT NULL CHECK (format IN ('json', 'csv', 'text', 'bytes')),
    options     jsonb NOT NULL DEFAULT '{}',
    owner       regrole NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON pathway.kafka_sources FROM PUBLIC;
GRANT SELECT (name, relid, brokers, topic, format, owner, created_at) ON pathway.kafka_sources TO PUBLIC;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE ON pathway.kafka_sources
    FOR EACH STATEMENT EXECUTE FUNCTION pathway._catalog_changed();

-- The next offset to read per partition, committed with the rows it produced.
CREATE TABLE pathway.source_offsets (
    source      text NOT NULL REFERENCES pathway.kafka_sources ON DELETE CASCADE,
    partition   int NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (source, partition)
);
REVOKE ALL ON pathway.source_offsets FROM PUBLIC;
GRANT SELECT ON pathway.source_offsets TO PUBLIC;

-- Messages that could not be parsed or converted (or did not fit the
-- table's constraints), written in the epoch that consumed them.  They may
-- hold anything a message holds: only the source's owner (and superusers)
-- sees and deletes them, and they go with their source.
CREATE TABLE pathway.dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text NOT NULL REFERENCES pathway.kafka_sources ON DELETE CASCADE,
    partition   int NOT NULL,
    "offset"    bigint NOT NULL,
    key         bytea,
    payload     bytea,
    error       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON pathway.dead_letters (source);
REVOKE ALL ON pathway.dead_letters FROM PUBLIC;
GRANT SELECT, DELETE ON pathway.dead_letters TO PUBLIC;
ALTER TABLE pathway.dead_letters ENABLE ROW LEVEL SECURITY;
CREATE POLICY source_owner ON pathway.dead_letters FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM pathway.kafka_sources k
                    WHERE k.name = dead_letters.source
                      AND pg_catalog.pg_has_role(k.owner, 'USAGE')));

-- Kafka sinks: a live view's changes, published to a topic.  The outbox
-- holds the changes committed by epochs and not yet confirmed by the brokers.
CREATE TABLE pathway.kafka_sinks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    view        regclass NOT NULL,
    brokers     text NOT NULL,
    topic       text NOT NULL,
    format      text NOT NULL CHECK (format = 'json'),
    options     jsonb NOT NULL DEFAULT '{}',
    owner       regrole NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    snapshot_done boolean NOT NULL DEFAULT false,   -- the view's rows went out
    UNIQUE (view, topic)
);
REVOKE ALL ON pathway.kafka_sinks FROM PUBLIC;
GRANT SELECT (id, view, brokers, topic, format, owner, created_at) ON pathway.kafka_sinks TO PUBLIC;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE ON pathway.kafka_sinks
    FOR EACH STATEMENT EXECUTE FUNCTION pathway._catalog_changed();

CREATE TABLE pathway.sink_outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sink        bigint NOT NULL REFERENCES pathway.kafka_sinks ON DELETE CASCADE,
    key         text,
    payload     text NOT NULL
);
CREATE INDEX ON pathway.sink_outbox (sink, id);
REVOKE ALL ON pathway.sink_outbox FROM PUBLIC;

-- ALTER TABLE can add or take rows from a partitioned table or an
-- inheritance parent without any row change (ATTACH/DETACH PARTITION,
-- INHERIT/NO INHERIT): the engine rebuilds the live views over such tables
-- (and over the table altered) when one commits.
CREATE TABLE pathway.rebuild_requests (
    relid   oid NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON pathway.rebuild_requests FROM PUBLIC;
CREATE TRIGGER catalog_changed AFTER INSERT ON pathway.rebuild_requests
    FOR EACH STATEMENT EXECUTE FUNCTION pathway._catalog_changed();

CREATE FUNCTION pathway._on_alter_table() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_on_alter_table';
CREATE EVENT TRIGGER pathway_alter_table ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE')
    EXECUTE FUNCTION pathway._on_alter_table();

-- A live view's table is written by the engine only.
-- ---------- dump and restore ----------
-- pg_dump writes the rows of pathway.catalog (after CREATE EXTENSION); the
-- view tables are the database's own and dumped anyway.  A catalog row that
-- create_view did not write (one a restore loads) is analyzed again from its
-- query text; see extension/restore.c.  Not dumped: Kafka sources and sinks
-- (their options hold secrets, readable by superusers only: a dump by any
-- other role would fail), the epoch (an LSN of the old server).
CREATE FUNCTION pathway._catalog_restore() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_catalog_restore';
CREATE TRIGGER catalog_restore BEFORE INSERT ON pathway.catalog
    FOR EACH ROW EXECUTE FUNCTION pathway._catalog_restore();
SELECT pg_catalog.pg_extension_config_dump('pathway.catalog', '');

CREATE FUNCTION pathway._maintained_table() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_maintained_table';

-- Refused before they run (the parse tree is inspected): ALTER TABLE forms
-- that change what decoding delivers for a table a live view reads (or for
-- a partition or child of one): REPLICA IDENTITY other than FULL, SET
-- UNLOGGED, SET ACCESS METHOD other than heap; ALTER COLUMN TYPE of a
-- column a live view uses; disabling or dropping a view's write guard.
CREATE FUNCTION pathway._ddl_guard() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_ddl_guard';
CREATE EVENT TRIGGER pathway_ddl_guard ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE', 'DROP TRIGGER')
    EXECUTE FUNCTION pathway._ddl_guard();

-- A table created as a partition or child of a table a live view reads gets
-- REPLICA IDENTITY FULL (an unlogged, temporary or foreign one is refused);
-- ATTACH PARTITION and INHERIT do the same in pathway._on_alter_table().
CREATE FUNCTION pathway._on_create_table() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_on_create_table';
CREATE EVENT TRIGGER pathway_create_table ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'CREATE FOREIGN TABLE')
    EXECUTE FUNCTION pathway._on_create_table();

-- DROP TABLE of a view's table (directly or by CASCADE) deregisters it.
CREATE FUNCTION pathway._on_sql_drop() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM pathway.catalog c
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = c.relid;
    DELETE FROM pathway.kafka_sources s
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = s.relid;
    DELETE FROM pathway.kafka_sinks s
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = s.view;
END $$;
CREATE EVENT TRIGGER pathway_sql_drop ON sql_drop
    EXECUTE FUNCTION pathway._on_sql_drop();

-- not STRICT: a NULL argument is an error (22004), not a silent no-op
-- (the time options, for a view grouped by a window: docs/time.md)
CREATE FUNCTION pathway.create_view(name text, query text,
                                    cutoff interval DEFAULT NULL, delay interval DEFAULT NULL,
                                    keep_results boolean DEFAULT NULL, emit text DEFAULT NULL)
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_create_view';
COMMENT ON FUNCTION pathway.create_view(text, text, interval, interval, boolean, text) IS
    'create the table "name" holding the result of "query", and keep it current';

CREATE FUNCTION pathway.drop_view(name text) RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_drop_view';
COMMENT ON FUNCTION pathway.drop_view(text) IS 'stop maintaining a live view and drop its table';

CREATE FUNCTION pathway.sync(name text DEFAULT NULL, timeout interval DEFAULT '30s') RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_sync';
COMMENT ON FUNCTION pathway.sync(text, interval) IS
    'wait until the view (or every view) reflects every transaction committed before the call';

CREATE FUNCTION pathway._view_state(
    OUT relid oid, OUT state text, OUT frontier pg_lsn, OUT last_epoch timestamptz,
    OUT epochs bigint, OUT state_rows bigint, OUT state_bytes bigint, OUT rows_written bigint,
    OUT last_epoch_ms float8, OUT avg_epoch_ms float8, OUT max_epoch_ms float8,
    OUT build_rows_done bigint, OUT build_rows_total bigint, OUT db_epochs bigint,
    OUT held_rows bigint)
    RETURNS SETOF record LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_view_state';
CREATE FUNCTION pathway._op_state(
    OUT relid oid, OUT ordinal int, OUT operator text, OUT rows_in bigint, OUT rows_out bigint,
    OUT state_rows bigint, OUT state_bytes bigint)
    RETURNS SETOF record LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_op_state';
CREATE FUNCTION pathway._epoch_state(
    OUT epochs bigint, OUT last_epoch_ms float8, OUT avg_epoch_ms float8, OUT max_epoch_ms float8,
    OUT frontier pg_lsn, OUT pid int)
    RETURNS SETOF record LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_epoch_state';

CREATE VIEW pathway.views AS
SELECT c.relid::regclass::text AS name,
       c.query,
       (SELECT r.relowner FROM pg_catalog.pg_class r WHERE r.oid = c.relid)::regrole::text AS owner,
       CASE WHEN c.status = 'failed' THEN 'failed'
            ELSE coalesce(s.state, 'starting') END AS status,
       c.error,
       s.frontier,
       s.last_epoch,
       CASE WHEN s.frontier IS NULL THEN NULL
            ELSE greatest(pg_wal_lsn_diff(pg_current_wal_flush_lsn(), s.frontier), 0)::bigint
       END AS lag,
       s.state_rows,
       s.state_bytes,
       s.rows_written,
       s.build_rows_done,
       s.build_rows_total
  FROM pathway.catalog c
  LEFT JOIN pathway._view_state() s ON s.relid = c.relid
 -- a row whose table is gone without the drop trigger (see create_view) is not shown
 WHERE EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = c.relid);
GRANT SELECT ON pathway.views TO PUBLIC;

-- Per view (operator 'view') and per operator of its graph, in the style of
-- pg_stat_*: counters since the last pathway.stats_reset().
CREATE VIEW pathway.stats AS
SELECT c.relid::regclass::text AS view,
       0 AS ordinal,
       'view'::text AS operator,
       NULL::bigint AS rows_in,
       NULL::bigint AS rows_out,
       s.state_rows,
       s.state_bytes,
       s.epochs,
       s.last_epoch_ms,
       s.avg_epoch_ms,
       s.max_epoch_ms,
       s.rows_written,
       CASE WHEN s.state = 'running'
            THEN greatest(pg_wal_lsn_diff(pg_current_wal_flush_lsn(), s.frontier), 0)::bigint
       END AS backlog_bytes
  FROM pathway.catalog c JOIN pathway._view_state() s ON s.relid = c.relid
 WHERE EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = c.relid)
UNION ALL
SELECT o.relid::regclass::text, o.ordinal, o.operator, o.rows_in, o.rows_out,
       o.state_rows, o.state_bytes, NULL, NULL, NULL, NULL, NULL, NULL
  FROM pathway.catalog c JOIN pathway._op_state() o ON o.relid = c.relid
 WHERE EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = c.relid);
GRANT SELECT ON pathway.stats TO PUBLIC;

-- The engine worker of this database and the WAL its replication slot
-- keeps: the server cannot remove WAL from restart_lsn on, and a
-- transaction that runs long anywhere in the cluster holds restart_lsn back.
-- The oldest transaction holding an xid is shown to roles that may see it
-- (superusers, pg_read_all_stats, its own role), as in pg_stat_activity.
CREATE VIEW pathway.engine AS
SELECT e.pid,
       s.slot_name::text AS slot_name,
       coalesce(s.active, false) AS slot_active,
       s.restart_lsn,
       s.confirmed_flush_lsn,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint AS wal_retained_bytes,
       s.wal_status,
       o.pid AS oldest_xact_pid,
       o.backend_xid AS oldest_xid,
       age(o.backend_xid) AS oldest_xid_age,
       o.xact_start AS oldest_xact_start
  FROM (SELECT 'pathway_' || d.oid AS name FROM pg_database d
         WHERE d.datname = current_database()) n
  LEFT JOIN pathway._epoch_state() e ON true
  LEFT JOIN pg_replication_slots s ON s.slot_name = n.name
  LEFT JOIN LATERAL (SELECT a.pid, a.backend_xid, a.xact_start FROM pg_stat_activity a
                      WHERE a.backend_xid IS NOT NULL
                      ORDER BY age(a.backend_xid) DESC LIMIT 1) o ON true;
GRANT SELECT ON pathway.engine TO PUBLIC;

CREATE FUNCTION pathway.stats_reset() RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_stats_reset';
COMMENT ON FUNCTION pathway.stats_reset() IS 'zero the counters of pathway.stats in this database';
REVOKE ALL ON FUNCTION pathway.stats_reset() FROM PUBLIC;

-- A Prometheus label value: backslash, double quote and newline escaped.
CREATE FUNCTION pathway._prom_label(v text) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
SELECT replace(replace(replace(v, chr(92), chr(92) || chr(92)), '"', chr(92) || '"'), chr(10), chr(92) || 'n')
$$;

-- The same figures in Prometheus' text exposition format.
CREATE FUNCTION pathway.metrics() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
WITH lbl AS (
    SELECT s.*,
           format('database="%s",view="%s"',
                  pathway._prom_label(current_database()),
                  pathway._prom_label(s.view)) AS l,
           format(',operator="%s"', pathway._prom_label(s.operator)) AS ol
      FROM pathway.stats s
), e AS (SELECT * FROM pathway._epoch_state()),
m(name, type, help, line, ord) AS (
    SELECT 'pathway_epochs_total', 'counter', 'Epochs committed by the engine worker.',
           format('pathway_epochs_total{database="%s"} %s', pathway._prom_label(current_database()), e.epochs), 1 FROM e
    UNION ALL
    SELECT 'pathway_epoch_seconds_last', 'gauge', 'Duration of the last epoch.',
           format('pathway_epoch_seconds_last{database="%s"} %s', pathway._prom_label(current_database()), e.last_epoch_ms / 1000), 2 FROM e
    UNION ALL
    SELECT 'pathway_epoch_seconds_max', 'gauge', 'Longest epoch since the last reset.',
           format('pathway_epoch_seconds_max{database="%s"} %s', pathway._prom_label(current_database()), e.max_epoch_ms / 1000), 3 FROM e
    UNION ALL
    SELECT 'pathway_wal_retained_bytes', 'gauge', 'WAL the engine''s replication slot keeps from removal (from restart_lsn to the current WAL position).',
           format('pathway_wal_retained_bytes{database="%s"} %s', pathway._prom_label(current_database()), w.wal_retained_bytes), 12
      FROM pathway.engine w WHERE w.wal_retained_bytes IS NOT NULL
    UNION ALL
    SELECT 'pathway_view_rows_written_total', 'counter', 'Rows inserted, updated or deleted in the view''s table.',
           format('pathway_view_rows_written_total{%s} %s', l, rows_written), 4 FROM lbl WHERE ordinal = 0
    UNION ALL
    SELECT 'pathway_view_epochs_total', 'counter', 'Epochs that changed the view.',
           format('pathway_view_epochs_total{%s} %s', l, epochs), 5 FROM lbl WHERE ordinal = 0
    UNION ALL
    SELECT 'pathway_view_backlog_bytes', 'gauge', 'Bytes of flushed WAL not yet applied to the view.',
           format('pathway_view_backlog_bytes{%s} %s', l, coalesce(backlog_bytes, 0)), 6 FROM lbl WHERE ordinal = 0
    UNION ALL
    SELECT 'pathway_view_state_bytes', 'gauge', 'Engine memory held for the view.',
           format('pathway_view_state_bytes{%s} %s', l, state_bytes), 7 FROM lbl WHERE ordinal = 0
    UNION ALL
    SELECT 'pathway_operator_rows_in_total', 'counter', 'Rows an operator consumed.',
           format('pathway_operator_rows_in_total{%s%s} %s', l, ol, rows_in), 8 FROM lbl WHERE ordinal > 0
    UNION ALL
    SELECT 'pathway_operator_rows_out_total', 'counter', 'Rows an operator produced.',
           format('pathway_operator_rows_out_total{%s%s} %s', l, ol, rows_out), 9 FROM lbl WHERE ordinal > 0
    UNION ALL
    SELECT 'pathway_operator_state_rows', 'gauge', 'Rows (or groups) an operator holds.',
           format('pathway_operator_state_rows{%s%s} %s', l, ol, state_rows), 10 FROM lbl WHERE ordinal > 0
    UNION ALL
    SELECT 'pathway_operator_state_bytes', 'gauge', 'Memory an operator holds.',
           format('pathway_operator_state_bytes{%s%s} %s', l, ol, state_bytes), 11 FROM lbl WHERE ordinal > 0
)
SELECT coalesce(string_agg(block, '' ORDER BY ord), '') FROM (
    SELECT format(E'# HELP %s %s\n# TYPE %s %s\n', name, help, name, type)
           || string_agg(line || E'\n', '' ORDER BY line) AS block, min(ord) AS ord
      FROM m GROUP BY name, type, help
) b
$$;
COMMENT ON FUNCTION pathway.metrics() IS 'pathway.stats in Prometheus text exposition format';

-- The rows by which a live view differs from a fresh run of its query, both
-- ways (EXCEPT ALL): empty when the view is correct.  Run it after
-- pathway.sync() with no concurrent writes.  The stored analyzed query runs
-- (objects by OID) as the view's owner, with the settings the view was
-- created with; the caller needs SELECT on the view.
CREATE FUNCTION pathway.check_view(name text)
    RETURNS TABLE (side text, row_data jsonb)
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_check_view';
COMMENT ON FUNCTION pathway.check_view(text) IS
    'rows by which a live view differs from its query (empty when correct)';

-- The graph the engine keeps a view with (docs/sql.md, "Reading a plan"):
-- one line per operator, its inputs indented under it, numbered as
-- pathway.stats numbers them, with the state it holds now.  Planned as the
-- engine plans it (as the view's owner, with its captured settings); the
-- caller needs SELECT on the view.
CREATE FUNCTION pathway.explain(name text) RETURNS SETOF text
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_explain';
COMMENT ON FUNCTION pathway.explain(text) IS
    'the operators the engine keeps a live view with, as a tree, with the state each holds';

-- Privileges, owners and policies may change: the engine re-checks that
-- every view's owner may still compute it when such a command commits.
CREATE FUNCTION pathway._on_privileges() RETURNS event_trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_on_privileges';
CREATE EVENT TRIGGER pathway_privileges ON ddl_command_end
    WHEN TAG IN ('GRANT', 'REVOKE', 'ALTER TABLE', 'ALTER FUNCTION', 'ALTER PROCEDURE',
                 'ALTER ROUTINE', 'ALTER AGGREGATE', 'CREATE POLICY', 'ALTER POLICY',
                 'DROP POLICY', 'ALTER SCHEMA')
    EXECUTE FUNCTION pathway._on_privileges();

-- Checks the server's setup and asks the launcher for an engine worker once
-- this transaction commits.
CREATE FUNCTION pathway._extension_created() RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_extension_created';
SELECT pathway._extension_created();
REVOKE ALL ON FUNCTION pathway._extension_created() FROM PUBLIC;

-- ---------- Kafka ----------

CREATE FUNCTION pathway.create_kafka_source(name text, brokers text, topic text,
                                            format text DEFAULT 'json',
                                            columns text DEFAULT NULL,
                                            options jsonb DEFAULT '{}')
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_create_kafka_source';
COMMENT ON FUNCTION pathway.create_kafka_source(text, text, text, text, text, jsonb) IS
    'create the stream table "name" and keep appending the messages of a Kafka topic to it, exactly once';
-- It makes the server connect to any host: a superuser grants it to whom it should.
REVOKE EXECUTE ON FUNCTION pathway.create_kafka_source(text, text, text, text, text, jsonb) FROM PUBLIC;

CREATE FUNCTION pathway.drop_source(name text) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'pathway_drop_source';
COMMENT ON FUNCTION pathway.drop_source(text) IS 'stop consuming a source and drop its stream table';

CREATE FUNCTION pathway._source_state(
    OUT name text, OUT status text, OUT error text, OUT messages bigint,
    OUT dead_letters bigint, OUT lag bigint, OUT partitions int, OUT last_message timestamptz)
    RETURNS SETOF record LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_source_state';

-- librdkafka properties whose values are secrets: never shown.
CREATE FUNCTION pathway._mask_options(o jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
SELECT coalesce(jsonb_object_agg(k, CASE WHEN k ~ '(password|secret|\.key\.pem|^ssl\.key|sasl\.oauthbearer\.config|jaas)'
                                         THEN '"********"'::jsonb ELSE v END), '{}')
  FROM jsonb_each(o) AS e(k, v)
$$;

CREATE VIEW pathway.sources AS
SELECT k.name,
       'kafka'::text AS kind,
       k.relid::regclass AS "table",
       k.brokers,
       k.topic,
       k.format,
       pathway._mask_options(k.options) AS options,
       k.owner::regrole::text AS owner,
       coalesce(s.status, 'starting') AS status,
       s.error,
       (SELECT coalesce(jsonb_object_agg(o.partition::text, o.next_offset ORDER BY o.partition), '{}')
          FROM pathway.source_offsets o WHERE o.source = k.name) AS positions,
       s.lag,
       s.messages,
       s.dead_letters,
       s.partitions,
       s.last_message
  FROM pathway.kafka_sources k
  LEFT JOIN pathway._source_state() s ON s.name = k.name;
GRANT SELECT ON pathway.sources TO PUBLIC;

CREATE FUNCTION pathway.create_kafka_sink(view text, brokers text, topic text,
                                          format text DEFAULT 'json',
                                          options jsonb DEFAULT '{}')
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_create_kafka_sink';
COMMENT ON FUNCTION pathway.create_kafka_sink(text, text, text, text, jsonb) IS
    'publish every committed change of a live view to a Kafka topic (its current rows first)';
REVOKE EXECUTE ON FUNCTION pathway.create_kafka_sink(text, text, text, text, jsonb) FROM PUBLIC;

CREATE FUNCTION pathway.drop_sink(view text, topic text DEFAULT NULL) RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_drop_sink';
COMMENT ON FUNCTION pathway.drop_sink(text, text) IS
    'stop publishing a live view (to one topic, or to all)';

CREATE FUNCTION pathway._sink_state(
    OUT id bigint, OUT status text, OUT error text, OUT messages bigint, OUT failures bigint)
    RETURNS SETOF record LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_sink_state';

CREATE VIEW pathway.sinks AS
SELECT k.view::regclass AS view,
       'kafka'::text AS kind,
       k.brokers,
       k.topic,
       k.format,
       pathway._mask_options(k.options) AS options,
       k.owner::regrole::text AS owner,
       coalesce(s.status, 'starting') AS status,
       s.error,
       s.messages,
       (SELECT count(*) FROM pathway.sink_outbox o WHERE o.sink = k.id) AS pending
  FROM pathway.kafka_sinks k
  LEFT JOIN pathway._sink_state() s ON s.id = k.id;
GRANT SELECT ON pathway.sinks TO PUBLIC;

-- ---------------------------------------------------------------------
-- Vectors (float4[]) and documents: for nearest-neighbour live views and
-- plain queries alike (docs/ml.md).
-- ---------------------------------------------------------------------
CREATE FUNCTION pathway.l2_distance(a float4[], b float4[]) RETURNS float8
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_l2_distance';
COMMENT ON FUNCTION pathway.l2_distance(float4[], float4[]) IS
    'Euclidean distance between two vectors of the same length';
CREATE FUNCTION pathway.cosine_distance(a float4[], b float4[]) RETURNS float8
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_cosine_distance';
COMMENT ON FUNCTION pathway.cosine_distance(float4[], float4[]) IS
    '1 - cosine similarity of two vectors of the same length (NaN for a zero vector)';
CREATE FUNCTION pathway.inner_product(a float4[], b float4[]) RETURNS float8
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_inner_product';
COMMENT ON FUNCTION pathway.inner_product(float4[], float4[]) IS
    'inner (dot) product of two vectors of the same length';
CREATE FUNCTION pathway.l2_normalize(v float4[]) RETURNS float4[]
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_l2_normalize';
COMMENT ON FUNCTION pathway.l2_normalize(float4[]) IS
    'the vector scaled to length 1 (a zero vector stays zero)';
CREATE FUNCTION pathway.chunk(doc text, size int, overlap int DEFAULT 0,
                              OUT ordinal int, OUT chunk text) RETURNS SETOF record
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_chunk';
COMMENT ON FUNCTION pathway.chunk(text, int, int) IS
    'a document''s words in chunks of size words overlapping by overlap, with their ordinal';

-- ---------------------------------------------------------------------
-- Scalar subqueries that are not aggregates: planned as single_value()
-- (the first row's value, NULL over none) next to count(*); where the count
-- is above one, the expression reading it calls _several_rows(), which
-- raises PostgreSQL's error for a subquery returning several rows.
-- ---------------------------------------------------------------------
CREATE FUNCTION pathway._single_value_step(internal, anyelement) RETURNS internal
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_single_value_step';
CREATE FUNCTION pathway._single_value_final(internal, anyelement) RETURNS anyelement
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_single_value_final';
CREATE AGGREGATE pathway.single_value(anyelement) (
    SFUNC = pathway._single_value_step, STYPE = internal,
    FINALFUNC = pathway._single_value_final, FINALFUNC_EXTRA);
COMMENT ON AGGREGATE pathway.single_value(anyelement) IS
    'the value of the first row (NULL for none), for scalar subqueries';
CREATE FUNCTION pathway._several_rows(anyelement) RETURNS anyelement
    LANGUAGE c IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pathway_several_rows';

-- ---------- HTTP sources (docs/http.md) ----------
-- An HTTP source polls a URL and lands its records in a stream table.  The
-- options may hold secrets (headers such as Authorization): only the
-- extension reads them; pathway.sources shows every header value masked.
CREATE TABLE pathway.http_sources (
    name        text PRIMARY KEY,   -- the stream table's name as given
    relid       regclass NOT NULL UNIQUE,
    url         text,               -- NULL for a webhook source
    format      text NOT NULL CHECK (format IN ('json', 'ndjson', 'sse')),
    mode        text NOT NULL CHECK (mode IN ('poll', 'stream', 'webhook')),
    options     jsonb NOT NULL DEFAULT '{}',
    owner       regrole NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((mode = 'webhook') = (url IS NULL))
);
REVOKE ALL ON pathway.http_sources FROM PUBLIC;
GRANT SELECT (name, relid, url, format, mode, owner, created_at) ON pathway.http_sources TO PUBLIC;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE ON pathway.http_sources
    FOR EACH STATEMENT EXECUTE FUNCTION pathway._catalog_changed();

-- Where a source's next request starts, written in the epoch transaction
-- that landed the response it came from: responses landed so far, the
-- cursor sent with the next request, the next page's URL (Link: rel=next),
-- and the ETag of the last response with the URL it answered.  For a
-- stream: the batches landed, and (SSE) the id of the last event landed,
-- sent as Last-Event-ID.
CREATE TABLE pathway.http_source_state (
    source      text PRIMARY KEY REFERENCES pathway.http_sources ON DELETE CASCADE,
    polls       bigint NOT NULL DEFAULT 0,
    cursor      text,
    next_url    text,
    etag        text,
    etag_url    text
);
REVOKE ALL ON pathway.http_source_state FROM PUBLIC;

-- Dead letters belong to a Kafka or an HTTP source: the reference to
-- kafka_sources becomes a check by trigger, and they still go with their
-- source.  For an HTTP source "offset" is the response's number (polls) and
-- "partition" the record's index in it (-1: the whole body).
ALTER TABLE pathway.dead_letters DROP CONSTRAINT dead_letters_source_fkey;
CREATE FUNCTION pathway._dead_letters_of_dropped() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM pathway.dead_letters WHERE source = OLD.name;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION pathway._dead_letters_of_dropped() FROM PUBLIC;
CREATE TRIGGER dead_letters_go AFTER DELETE ON pathway.kafka_sources
    FOR EACH ROW EXECUTE FUNCTION pathway._dead_letters_of_dropped();
CREATE TRIGGER dead_letters_go AFTER DELETE ON pathway.http_sources
    FOR EACH ROW EXECUTE FUNCTION pathway._dead_letters_of_dropped();
DROP POLICY source_owner ON pathway.dead_letters;
CREATE POLICY source_owner ON pathway.dead_letters FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM pathway.kafka_sources k
                    WHERE k.name = dead_letters.source
                      AND pg_catalog.pg_has_role(k.owner, 'USAGE'))
           OR EXISTS (SELECT FROM pathway.http_sources h
                       WHERE h.name = dead_letters.source
                         AND pg_catalog.pg_has_role(h.owner, 'USAGE')));

-- DROP TABLE of a stream table deregisters its HTTP source.
CREATE FUNCTION pathway._on_sql_drop_http() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM pathway.http_sources s
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = s.relid;
END $$;
CREATE EVENT TRIGGER pathway_sql_drop_http ON sql_drop
    EXECUTE FUNCTION pathway._on_sql_drop_http();

CREATE FUNCTION pathway.create_http_source(name text, url text,
                                           format text DEFAULT 'json',
                                           columns text DEFAULT NULL,
                                           options jsonb DEFAULT '{}')
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_create_http_source';
COMMENT ON FUNCTION pathway.create_http_source(text, text, text, text, jsonb) IS
    'create the stream table "name" and keep landing the records an HTTP endpoint returns, exactly once per response';
-- It makes the server fetch URLs: a superuser grants it to whom it should.
REVOKE EXECUTE ON FUNCTION pathway.create_http_source(text, text, text, text, jsonb) FROM PUBLIC;

-- A webhook source (docs/http.md): the engine worker lands the bodies POSTed
-- to /sources/<name> on the listener (pathway.http_listen) in the stream
-- table, and answers 200 once the epoch that landed them committed.  The
-- options hold the bearer token: masked in pathway.sources.
CREATE FUNCTION pathway.create_webhook_source(name text,
                                              columns text DEFAULT NULL,
                                              format text DEFAULT 'json',
                                              options jsonb DEFAULT '{}')
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_create_webhook_source';
COMMENT ON FUNCTION pathway.create_webhook_source(text, text, text, jsonb) IS
    'create the stream table "name" and land the bodies POSTed to /sources/<name> on the listener, answered after commit';
-- It opens the server to requests from the network: a superuser grants it.
REVOKE EXECUTE ON FUNCTION pathway.create_webhook_source(text, text, text, jsonb) FROM PUBLIC;

-- The Idempotency-Key of every webhook request landed, with its answer,
-- written in the epoch transaction that landed its rows: a request that
-- comes again with the same key lands nothing and gets the same answer.
-- Kept 24 hours (the worker deletes older keys as it lands).
CREATE TABLE pathway.webhook_keys (
    source      text NOT NULL REFERENCES pathway.http_sources ON DELETE CASCADE,
    key         text NOT NULL,
    status      int NOT NULL,
    answer      text NOT NULL,
    landed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, key)
);
CREATE INDEX ON pathway.webhook_keys (landed_at);
REVOKE ALL ON pathway.webhook_keys FROM PUBLIC;

-- An HTTP source's options as pathway.sources shows them: every header
-- value and a webhook's token masked.
CREATE FUNCTION pathway._mask_http_options(o jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
SELECT CASE WHEN o ? 'token' THEN jsonb_set(m, '{token}', '"********"') ELSE m END
  FROM (SELECT CASE WHEN jsonb_typeof(o -> 'headers') = 'object'
                    THEN jsonb_set(o, '{headers}',
                                   (SELECT coalesce(jsonb_object_agg(k, '"********"'::jsonb), '{}')
                                      FROM jsonb_each(o -> 'headers') AS e(k, v)))
                    ELSE o END AS m) x
$$;

CREATE OR REPLACE VIEW pathway.sources AS
SELECT k.name,
       'kafka'::text AS kind,
       k.relid::regclass AS "table",
       k.brokers,
       k.topic,
       k.format,
       pathway._mask_options(k.options) AS options,
       k.owner::regrole::text AS owner,
       coalesce(s.status, 'starting') AS status,
       s.error,
       (SELECT coalesce(jsonb_object_agg(o.partition::text, o.next_offset ORDER BY o.partition), '{}')
          FROM pathway.source_offsets o WHERE o.source = k.name) AS positions,
       s.lag,
       s.messages,
       s.dead_letters,
       s.partitions,
       s.last_message,
       NULL::text AS url
  FROM pathway.kafka_sources k
  LEFT JOIN pathway._source_state() s ON s.name = k.name
UNION ALL
SELECT h.name,
       CASE h.mode WHEN 'webhook' THEN 'webhook' ELSE 'http' END,
       h.relid::regclass,
       NULL::text,
       NULL::text,
       h.format,
       pathway._mask_http_options(h.options),
       h.owner::regrole::text,
       coalesce(s.status, 'starting'),
       s.error,
       (SELECT jsonb_build_object('polls', st.polls, 'cursor', st.cursor, 'next_url', st.next_url)
          FROM pathway.http_source_state st WHERE st.source = h.name),
       NULL::bigint,
       s.messages,
       s.dead_letters,
       NULL::int,
       s.last_message,
       h.url
  FROM pathway.http_sources h
  LEFT JOIN pathway._source_state() s ON s.name = h.name;

-- One HTTP call (docs/http.md): the body of the answer as jsonb.  Volatile:
-- a plain query calls each time.  A live view may call it: there each
-- distinct request is made once (many at once per epoch) and memoized in
-- pathway.http_cache.  It makes the server fetch URLs: a superuser grants
-- it to whom it should.
CREATE FUNCTION pathway.http_request(method text, url text, body jsonb DEFAULT NULL,
                                     headers jsonb DEFAULT NULL) RETURNS jsonb
    VOLATILE LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_http_request';
CREATE FUNCTION pathway.http_get(url text) RETURNS jsonb
    VOLATILE LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_http_get';
REVOKE EXECUTE ON FUNCTION pathway.http_request(text, text, jsonb, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pathway.http_get(text) FROM PUBLIC;

-- The memo of http_request in live views: every distinct request a view
-- made (known by the SHA-256 of its method, URL, body and headers; the
-- headers themselves are not kept: they may hold a token) with its answer,
-- or the error of a failed call, so that a retraction, a rebuild, a
-- restart and check_view get the same answer without calling again.  Only
-- the extension writes it (as its owner); no role but superusers reads it.
CREATE TABLE pathway.http_cache (
    request_sha256 bytea PRIMARY KEY,
    method       text NOT NULL,
    url          text NOT NULL,
    body         jsonb,
    status       int,
    answer       jsonb,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (error IS NULL OR answer IS NULL)
);
REVOKE ALL ON pathway.http_cache FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Event time (docs/time.md): window functions that mean the same in a plain
-- query and in a live view.  Pure functions of their arguments.
-- ---------------------------------------------------------------------------

CREATE FUNCTION pathway.tumble(ts timestamptz, width interval,
                               origin timestamptz DEFAULT '2000-01-01 00:00:00+00')
    RETURNS timestamptz LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pathway_tumble_tz';
COMMENT ON FUNCTION pathway.tumble(timestamptz, interval, timestamptz) IS
    'the start of the tumbling window of the given width that holds ts (date_bin semantics, windows aligned on origin)';

CREATE FUNCTION pathway.tumble(ts timestamp, width interval,
                               origin timestamp DEFAULT '2000-01-01 00:00:00')
    RETURNS timestamp LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pathway_tumble';
COMMENT ON FUNCTION pathway.tumble(timestamp, interval, timestamp) IS
    'the start of the tumbling window of the given width that holds ts (date_bin semantics, windows aligned on origin)';

CREATE FUNCTION pathway.hop(ts timestamptz, width interval, step interval,
                            origin timestamptz DEFAULT '2000-01-01 00:00:00+00')
    RETURNS SETOF timestamptz LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE ROWS 2
    AS 'MODULE_PATHNAME', 'pathway_hop';
COMMENT ON FUNCTION pathway.hop(timestamptz, interval, interval, timestamptz) IS
    'the starts of every window of the given width, one starting each step from origin, that holds ts';

CREATE FUNCTION pathway.hop(ts timestamp, width interval, step interval,
                            origin timestamp DEFAULT '2000-01-01 00:00:00')
    RETURNS SETOF timestamp LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE ROWS 2
    AS 'MODULE_PATHNAME', 'pathway_hop';
COMMENT ON FUNCTION pathway.hop(timestamp, interval, interval, timestamp) IS
    'the starts of every window of the given width, one starting each step from origin, that holds ts';

CREATE FUNCTION pathway.session_start(ts timestamptz, gap interval)
    RETURNS timestamptz LANGUAGE c IMMUTABLE WINDOW PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pathway_session_start';
COMMENT ON FUNCTION pathway.session_start(timestamptz, interval) IS
    'window function: the first timestamp of the row''s session (a session ends when the next row is more than gap later); OVER (PARTITION BY ... ORDER BY ts)';

CREATE FUNCTION pathway.session_start(ts timestamp, gap interval)
    RETURNS timestamp LANGUAGE c IMMUTABLE WINDOW PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pathway_session_start';
COMMENT ON FUNCTION pathway.session_start(timestamp, interval) IS
    'window function: the first timestamp of the row''s session (a session ends when the next row is more than gap later); OVER (PARTITION BY ... ORDER BY ts)';

-- The time of each view with time options (docs/time.md): the largest event
-- time it accepted, in microseconds since 2000-01-01 (UTC for timestamptz),
-- written in the epoch's transaction with the view's rows.
CREATE TABLE pathway.view_times (
    relid   regclass PRIMARY KEY REFERENCES pathway.catalog ON DELETE CASCADE,
    type    regtype NOT NULL,        -- of the window: timestamp or timestamptz
    usecs   bigint NOT NULL
);
REVOKE ALL ON pathway.view_times FROM PUBLIC;
GRANT SELECT ON pathway.view_times TO PUBLIC;

-- pathway.views with the time options and the view's time (columns added at the end)
CREATE OR REPLACE VIEW pathway.views AS
SELECT c.relid::regclass::text AS name,
       c.query,
       (SELECT r.relowner FROM pg_catalog.pg_class r WHERE r.oid = c.relid)::regrole::text AS owner,
       CASE WHEN c.status = 'failed' THEN 'failed'
            ELSE coalesce(s.state, 'starting') END AS status,
       c.error,
       s.frontier,
       s.last_epoch,
       CASE WHEN s.frontier IS NULL THEN NULL
            ELSE greatest(pg_wal_lsn_diff(pg_current_wal_flush_lsn(), s.frontier), 0)::bigint
       END AS lag,
       s.state_rows,
       s.state_bytes,
       s.rows_written,
       s.build_rows_done,
       s.build_rows_total,
       CASE t.type WHEN 'timestamp'::regtype
            THEN (timestamp '2000-01-01' + t.usecs * interval '1 microsecond')::text
            ELSE (timestamptz '2000-01-01 00:00:00+00' + t.usecs * interval '1 microsecond')::text
       END AS view_time,
       c.cutoff,
       c.delay,
       c.keep_results,
       c.emit,
       -- rows ignored since the view was built: "late rows" in pathway.stats
       (SELECT sum(o.rows_in - o.rows_out) FROM pathway._op_state() o
         WHERE o.relid = c.relid AND o.operator LIKE '% late rows')::bigint AS late_rows,
       -- rows of a map waiting for the answers of their HTTP calls (docs/http.md)
       s.held_rows
  FROM pathway.catalog c
  LEFT JOIN pathway._view_state() s ON s.relid = c.relid
  LEFT JOIN pathway.view_times t ON t.relid = c.relid
 -- a row whose table is gone without the drop trigger (see create_view) is not shown
 WHERE EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = c.relid);

-- now() in a query; in a live view, compared with a column in WHERE, the
-- view's clock (docs/time.md: temporal filters).  PARALLEL RESTRICTED:
-- check_view gives it the view's clock in its own backend.
CREATE FUNCTION pathway.now() RETURNS timestamptz
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'pathway_now';
COMMENT ON FUNCTION pathway.now() IS
    'now(); in the WHERE of a live view, the view''s clock: rows enter and leave as time passes';

-- Iteration with aggregates in the loop (docs/recursive.md): a live view
-- of 'rounds' applications of 'step' to 'initial'.  The step reads the
-- previous round as "prev".  The view's query is the rounds written out
-- as WITH queries, so it is an ordinary query: PostgreSQL computes the
-- same answer (pathway.check_view), and each round's graph is maintained
-- like any other.
-- ---------------------------------------------------------------------
CREATE FUNCTION pathway.create_iterate_view(name text, initial text, step text, rounds integer)
    RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    q text;
    body text;
    head text;
    i integer;
BEGIN
    IF rounds IS NULL OR rounds < 1 OR rounds > 100 THEN
        RAISE EXCEPTION 'rounds must be between 1 and 100, not %', coalesce(rounds::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Each round is a copy of the step''s graph; choose the rounds the answer needs (docs/recursive.md).';
    END IF;
    IF initial IS NULL OR step IS NULL THEN
        RAISE EXCEPTION 'initial and step must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    initial := pg_catalog.rtrim(initial, E' \t\r\n;');
    step := pg_catalog.rtrim(step, E' \t\r\n;');
    -- a step with its own WITH list gets "prev" first in it
    IF step OPERATOR(pg_catalog.~*) '^\s*with\s+recursive\s' THEN
        head := 'WITH RECURSIVE';
        body := pg_catalog.regexp_replace(step, '^\s*with\s+recursive\s+', '', 'i');
    ELSIF step OPERATOR(pg_catalog.~*) '^\s*with\s' THEN
        head := 'WITH';
        body := pg_catalog.regexp_replace(step, '^\s*with\s+', '', 'i');
    END IF;
    q := 'WITH pathway_round_0 AS (' || E'\n' || initial || E'\n)';
    FOR i IN 1..rounds LOOP
        IF head IS NULL THEN
            q := q || pg_catalog.format(E',\npathway_round_%s AS (WITH prev AS (SELECT * FROM pathway_round_%s)\n%s\n)',
                                        i, i - 1, step);
        ELSE
            q := q || pg_catalog.format(E',\npathway_round_%s AS (%s prev AS (SELECT * FROM pathway_round_%s),\n%s\n)',
                                        i, head, i - 1, body);
        END IF;
    END LOOP;
    q := q || pg_catalog.format(E'\nSELECT * FROM pathway_round_%s', rounds);
    PERFORM pathway.create_view(name, q);
END
$fn$;
COMMENT ON FUNCTION pathway.create_iterate_view(text, text, text, integer) IS
    'create a live view of a fixed number of rounds of a step (which reads the previous round as prev) over an initial query';

-- pathway.embed (docs/ml.md, "Embeddings"): the memo of every (model,
-- input) asked for, and of every failed call (vec NULL, error set), so that
-- a retraction, a rebuild, a restart and check_view get the same answer
-- without asking again.  Only the extension writes it (as its owner); no
-- role but superusers reads it (the inputs are the documents of every role).
CREATE TABLE pathway.embedding_cache (
    model        text NOT NULL,
    input_sha256 bytea NOT NULL,
    input        text NOT NULL,
    vec          float4[],
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, input_sha256),
    CHECK ((vec IS NULL) <> (error IS NULL))
);
REVOKE ALL ON pathway.embedding_cache FROM PUBLIC;

CREATE FUNCTION pathway.embed(input text, model text DEFAULT NULL) RETURNS float4[]
    LANGUAGE c STABLE PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'pathway_embed';
COMMENT ON FUNCTION pathway.embed(text, text) IS
    'the input''s embedding from pathway.embedding_url, memoized per (model, input)';
REVOKE EXECUTE ON FUNCTION pathway.embed(text, text) FROM PUBLIC;

-- A failed call of a live view's is a dead letter under the view's name
-- (partition -1, payload the input): its owner sees it.
DROP POLICY source_owner ON pathway.dead_letters;
CREATE POLICY source_owner ON pathway.dead_letters FOR ALL TO PUBLIC
    USING (EXISTS (SELECT FROM pathway.kafka_sources k
                    WHERE k.name = dead_letters.source
                      AND pg_catalog.pg_has_role(k.owner, 'USAGE'))
           OR EXISTS (SELECT FROM pathway.http_sources h
                       WHERE h.name = dead_letters.source
                         AND pg_catalog.pg_has_role(h.owner, 'USAGE'))
           OR EXISTS (SELECT FROM pathway.catalog c
                       WHERE c.relid::oid = pg_catalog.to_regclass(dead_letters.source)::oid
                         AND pg_catalog.pg_has_role(c.owner, 'USAGE')));

-- ---------- HTTP sinks (docs/http.md, "HTTP sinks") ----------
-- A live view's committed changes POSTed to a URL, through the same outbox
-- as Kafka sinks: a sink's id comes from the same sequence as a Kafka
-- sink's, so pathway.sink_outbox.sink names one sink of either kind.  For
-- an HTTP sink the outbox's "key" is the frontier of the epoch the change
-- committed in (the batch it goes out with).  The options may hold
-- secrets (headers): only the extension reads them; pathway.sinks masks
-- every header value.
CREATE TABLE pathway.http_sinks (
    id          bigint PRIMARY KEY DEFAULT nextval('pathway.kafka_sinks_id_seq'),
    view        regclass NOT NULL,
    url         text NOT NULL,
    options     jsonb NOT NULL DEFAULT '{}',
    owner       regrole NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    snapshot_done boolean NOT NULL DEFAULT false,   -- the view's rows went out
    UNIQUE (view, url)
);
REVOKE ALL ON pathway.http_sinks FROM PUBLIC;
GRANT SELECT (id, view, url, owner, created_at) ON pathway.http_sinks TO PUBLIC;
CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE ON pathway.http_sinks
    FOR EACH STATEMENT EXECUTE FUNCTION pathway._catalog_changed();

-- The outbox belongs to a sink of either kind: the reference to
-- kafka_sinks becomes a trigger, and a dropped sink's rows still go with it.
ALTER TABLE pathway.sink_outbox DROP CONSTRAINT sink_outbox_sink_fkey;
CREATE FUNCTION pathway._outbox_of_dropped() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM pathway.sink_outbox WHERE sink = OLD.id;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION pathway._outbox_of_dropped() FROM PUBLIC;
CREATE TRIGGER outbox_go AFTER DELETE ON pathway.kafka_sinks
    FOR EACH ROW EXECUTE FUNCTION pathway._outbox_of_dropped();
CREATE TRIGGER outbox_go AFTER DELETE ON pathway.http_sinks
    FOR EACH ROW EXECUTE FUNCTION pathway._outbox_of_dropped();

-- DROP TABLE of a view's table (directly or by CASCADE) drops its HTTP sinks.
CREATE FUNCTION pathway._on_sql_drop_http_sink() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM pathway.http_sinks s
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = s.view;
END $$;
CREATE EVENT TRIGGER pathway_sql_drop_http_sink ON sql_drop
    EXECUTE FUNCTION pathway._on_sql_drop_http_sink();

CREATE FUNCTION pathway.create_http_sink(view text, url text, options jsonb DEFAULT '{}')
    RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_create_http_sink';
COMMENT ON FUNCTION pathway.create_http_sink(text, text, jsonb) IS
    'POST every committed change of a live view to a URL (its current rows first), at least once, in order';
-- It makes the server send data to URLs: a superuser grants it to whom it should.
REVOKE EXECUTE ON FUNCTION pathway.create_http_sink(text, text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION pathway.drop_sink(text, text) IS
    'stop publishing a live view (to one Kafka topic or HTTP sink URL, or to all its sinks)';

-- pathway.sinks: both kinds; pending = outbox rows waiting, pending_epochs
-- = the epochs they belong to (each change carries its epoch's frontier).
CREATE OR REPLACE VIEW pathway.sinks AS
SELECT k.view::regclass AS view,
       'kafka'::text AS kind,
       k.brokers,
       k.topic,
       k.format,
       pathway._mask_options(k.options) AS options,
       k.owner::regrole::text AS owner,
       coalesce(s.status, 'starting') AS status,
       s.error,
       s.messages,
       (SELECT count(*) FROM pathway.sink_outbox o WHERE o.sink = k.id) AS pending,
       NULL::text AS url,
       (SELECT count(DISTINCT (o.payload::jsonb ->> 'frontier'))
          FROM pathway.sink_outbox o WHERE o.sink = k.id) AS pending_epochs,
       s.failures
  FROM pathway.kafka_sinks k
  LEFT JOIN pathway._sink_state() s ON s.id = k.id
UNION ALL
SELECT h.view::regclass,
       'http'::text,
       NULL::text,
       NULL::text,
       'json'::text,
       pathway._mask_http_options(h.options),
       h.owner::regrole::text,
       coalesce(s.status, 'starting'),
       s.error,
       s.messages,
       (SELECT count(*) FROM pathway.sink_outbox o WHERE o.sink = h.id),
       h.url,
       (SELECT count(DISTINCT o.key) FROM pathway.sink_outbox o WHERE o.sink = h.id),
       s.failures
  FROM pathway.http_sinks h
  LEFT JOIN pathway._sink_state() s ON s.id = h.id;

-- ---------------------------------------------------------------------------
-- pathway_http (docs/security.md): the role a superuser grants to let a role
-- make the server send or receive HTTP through the extension: HTTP sources
-- (poll, stream, webhook), HTTP sinks, and http_request / http_get in plain
-- queries and live views.  A role of the whole cluster: the first CREATE
-- EXTENSION creates it (NOLOGIN, no other right), DROP EXTENSION leaves it.
-- Granting EXECUTE on one of these functions instead still works.
-- ---------------------------------------------------------------------------
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pathway_http') THEN
        CREATE ROLE pathway_http NOLOGIN;
    END IF;
END
$do$;
GRANT EXECUTE ON FUNCTION pathway.create_http_source(text, text, text, text, jsonb),
                          pathway.create_webhook_source(text, text, text, jsonb),
                          pathway.create_http_sink(text, text, jsonb),
                          pathway.http_request(text, text, jsonb, jsonb),
                          pathway.http_get(text)
    TO pathway_http;
