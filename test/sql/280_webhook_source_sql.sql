-- The SQL face of webhook sources: create_webhook_source's checks (format,
-- options, the token's form, a name that is part of a URL, reserved
-- columns), the registration (mode webhook, no URL) and pathway.sources
-- (kind webhook, the token masked), not executable by PUBLIC, and
-- drop_source.  In one transaction, rolled back.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pathway;

SELECT plan(14);

SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'id int', format => 'xml')$$,
  '22023', 'unknown format "xml"', 'an unknown format is refused');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'id int', options => '{"interval": "1s"}')$$,
  '22023', 'invalid options for webhook source "t280_a": unknown option "interval" for a webhook source',
  'a poll source''s option is not a webhook''s');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'id int', options => '{"token": "short"}')$$,
  '22023', 'invalid options for webhook source "t280_a": option "token" must be a string of 16 to 256 visible ASCII characters',
  'a short token is refused, without its value');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'id int', options => '{"token": "has a space in it, 123"}')$$,
  '22023', 'invalid options for webhook source "t280_a": option "token" must be a string of 16 to 256 visible ASCII characters',
  'a token with a space is refused');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'id int', options => '{"max_body_bytes": 0}')$$,
  '22023', 'invalid options for webhook source "t280_a": invalid value for option "max_body_bytes"',
  'max_body_bytes must be positive');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'id int', format => 'ndjson', options => '{"records": "a.b"}')$$,
  '22023', 'option "records" needs format json', 'records needs json');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280/a', 'id int')$$,
  '22023', NULL, 'a name with a slash is refused (it is part of the URL)');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'http_poll int')$$,
  '42701', 'column name "http_poll" is reserved for the record''s metadata', 'the metadata columns are reserved');
SELECT throws_ok($$SELECT pathway.create_webhook_source('t280_a', 'id int', options => '{"key": "nope"}')$$,
  '42703', 'key column "nope" is not among the columns', 'a key must be a column');

SELECT pathway.create_webhook_source('t280_w', 'id int, v text',
  options => '{"token": "0123456789abcdef-secret", "max_body_bytes": 1000, "key": "id"}');
SELECT is((SELECT format('%s|%s|%s', mode, url IS NULL, format) FROM pathway.http_sources WHERE name = 't280_w'),
  'webhook|t|json', 'registered as a webhook source without a URL');
SELECT is((SELECT format('%s|%s|%s', kind, options->>'token', options->>'max_body_bytes') FROM pathway.sources WHERE name = 't280_w'),
  'webhook|********|1000', 'pathway.sources: kind webhook, the token masked');
SELECT is((SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = 't280_w'::regclass AND i.indisprimary),
  'id', 'with a key, the key is the stream table''s primary key');
SELECT ok(NOT has_function_privilege('public', 'pathway.create_webhook_source(text, text, text, jsonb)', 'EXECUTE'),
  'create_webhook_source is not executable by PUBLIC');
SELECT pathway.drop_source('t280_w');
SELECT is((SELECT count(*)::int FROM pathway.http_sources WHERE name = 't280_w')
          + (SELECT count(*)::int FROM pg_class WHERE relname = 't280_w'), 0, 'drop_source drops it and its table');

SELECT * FROM finish();
ROLLBACK;
