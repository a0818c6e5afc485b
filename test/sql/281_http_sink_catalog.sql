-- HTTP sinks, the SQL face: create_http_sink registers a sink of a live
-- view (pathway.http_sinks, pathway.sinks with kind 'http', its header
-- values masked, nothing pending); a second sink to the same URL is
-- refused, another URL is not; its options are checked; the ids of HTTP
-- and Kafka sinks come from one sequence (the outbox names either);
-- drop_sink(view, url) drops one, drop_sink of an unknown URL is an error.
-- One transaction, rolled back (the worker never sees the sinks).
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;
SELECT plan(12);

CREATE TABLE t280 (id int PRIMARY KEY, v text);
INSERT INTO t280 VALUES (1, 'a');
SELECT pathway.create_view('t280_v', 'SELECT id, v FROM t280');

SELECT lives_ok($$SELECT pathway.create_http_sink('t280_v', 'http://127.0.0.1:9/hook',
                  '{"headers": {"Authorization": "Bearer t280-secret"}, "batch": "change", "timeout": "2s"}')$$,
                'create_http_sink registers a sink');
SELECT is((SELECT kind || ' ' || url || ' ' || format || ' ' || status || ' ' || pending || ' ' || pending_epochs
             FROM pathway.sinks WHERE view = 't280_v'::regclass),
          'http http://127.0.0.1:9/hook json starting 0 0',
          'pathway.sinks shows it: kind http, its URL, nothing pending yet');
SELECT is((SELECT options FROM pathway.sinks WHERE view = 't280_v'::regclass),
          '{"batch": "change", "headers": {"Authorization": "********"}, "timeout": "2s"}'::jsonb,
          'the header value is masked, the other options shown');
SELECT is((SELECT options -> 'headers' ->> 'Authorization' FROM pathway.http_sinks
            WHERE view = 't280_v'::regclass),
          'Bearer t280-secret', 'the catalog keeps the value (readable by superusers only)');
SELECT throws_ok($$SELECT pathway.create_http_sink('t280_v', 'http://127.0.0.1:9/hook')$$,
                 '42710', 'live view "t280_v" already has an HTTP sink to this URL',
                 'a second sink to the same URL is refused');
SELECT lives_ok($$SELECT pathway.create_http_sink('t280_v', 'http://127.0.0.1:9/other')$$,
                'a sink to another URL is not');
SELECT throws_ok($$SELECT pathway.create_http_sink('t280_v', 'http://127.0.0.1:9/x', '{"timeout": "10ms"}')$$,
                 '22023', 'invalid options for an HTTP sink of "t280_v": invalid value for option "timeout"',
                 'a timeout under 100 ms is refused');
SELECT throws_ok($$SELECT pathway.create_http_sink('t280_v', 'http://127.0.0.1:9/x', '[1]')$$,
                 '22023', 'invalid options for an HTTP sink of "t280_v": options must be a JSON object',
                 'options that are not an object are refused');
SELECT is((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
             JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = 'pathway.http_sinks'::regclass AND a.attname = 'id'),
          $$nextval('pathway.kafka_sinks_id_seq'::regclass)$$,
          'HTTP sink ids come from the Kafka sinks'' sequence');
SELECT lives_ok($$SELECT pathway.drop_sink('t280_v', 'http://127.0.0.1:9/other')$$,
                'drop_sink(view, url) drops one HTTP sink');
SELECT is((SELECT array_agg(url) FROM pathway.sinks WHERE view = 't280_v'::regclass),
          ARRAY['http://127.0.0.1:9/hook'], 'the other stays');
SELECT throws_ok($$SELECT pathway.drop_sink('t280_v', 'http://127.0.0.1:9/nope')$$,
                 '42704', 'live view "t280_v" has no sink to http://127.0.0.1:9/nope',
                 'drop_sink of a URL without a sink is an error');

SELECT * FROM finish();
ROLLBACK;
