-- pathway 0.1.0: live views over ordinary tables
\echo Use "CREATE EXTENSION pathway" to load this file. \quit

GRANT USAGE ON SCHEMA pathway TO PUBLIC;

-- The live views of this database.  Written by create_view/drop_view (and
-- the drop trigger below) and by the engine worker (status, error).
CREATE TABLE pathway.catalog (
    relid       oid PRIMARY KEY,
    query       text NOT NULL,      -- as the user wrote it
    tree        text NOT NULL,      -- the analyzed query (objects by OID)
    owner       oid NOT NULL,
    settings    text[] NOT NULL,    -- name=value of the creator's settings that expressions read
    status      text NOT NULL DEFAULT 'starting',
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now()
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

-- A live view's table is written by the engine only.
CREATE FUNCTION pathway._maintained_table() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_maintained_table';

-- DROP TABLE of a view's table (directly or by CASCADE) deregisters it.
CREATE FUNCTION pathway._on_sql_drop() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    DELETE FROM pathway.catalog c
     USING pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = c.relid;
END $$;
CREATE EVENT TRIGGER pathway_sql_drop ON sql_drop
    EXECUTE FUNCTION pathway._on_sql_drop();

CREATE FUNCTION pathway.create_view(name text, query text) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'pathway_create_view';
COMMENT ON FUNCTION pathway.create_view(text, text) IS
    'create the table "name" holding the result of "query", and keep it current';

CREATE FUNCTION pathway.drop_view(name text) RETURNS void
    LANGUAGE c STRICT AS 'MODULE_PATHNAME', 'pathway_drop_view';
COMMENT ON FUNCTION pathway.drop_view(text) IS 'stop maintaining a live view and drop its table';

CREATE FUNCTION pathway.sync(name text DEFAULT NULL, timeout interval DEFAULT '30s') RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_sync';
COMMENT ON FUNCTION pathway.sync(text, interval) IS
    'wait until the view (or every view) reflects every transaction committed before the call';

CREATE FUNCTION pathway._view_state(
    OUT relid oid, OUT state text, OUT frontier pg_lsn, OUT last_epoch timestamptz,
    OUT epochs bigint, OUT state_rows bigint, OUT state_bytes bigint, OUT rows_written bigint)
    RETURNS SETOF record LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_view_state';

CREATE VIEW pathway.views AS
SELECT c.relid::regclass::text AS name,
       c.query,
       c.owner::regrole::text AS owner,
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
       s.rows_written
  FROM pathway.catalog c
  LEFT JOIN pathway._view_state() s ON s.relid = c.relid;
GRANT SELECT ON pathway.views TO PUBLIC;

-- Checks the server's setup and asks the launcher for an engine worker once
-- this transaction commits.
CREATE FUNCTION pathway._extension_created() RETURNS void
    LANGUAGE c AS 'MODULE_PATHNAME', 'pathway_extension_created';
SELECT pathway._extension_created();
