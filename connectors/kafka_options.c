/*
 * kafka_options.c
 *	  The options of Kafka sources and sinks: the formats, the properties
 *	  pathway sets itself, the allowlist of librdkafka properties a role
 *	  that is not superuser may set, and their application to a
 *	  librdkafka configuration.
 *
 * Every check here runs before any librdkafka call that could act on an
 * option: in the creating backend (kafka_options_check, from the SQL
 * functions), and in the worker against the owner's current rights
 * (kafka_options_refused).  Messages name properties, never values (a
 * value may be a secret).
 */
#include "postgres.h"

#include <librdkafka/rdkafka.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "connectors/kafka_options.h"
#include "connectors/kafka_source.h"

KafkaFormat
kafka_format_from_name(const char *name)
{
	if (strcmp(name, "json") == 0)
		return KAFKA_JSON;
	if (strcmp(name, "csv") == 0)
		return KAFKA_CSV;
	if (strcmp(name, "text") == 0)
		return KAFKA_TEXT;
	if (strcmp(name, "bytes") == 0)
		return KAFKA_BYTES;
	return -1;
}

/*
 * The properties the worker sets itself (bootstrap.servers comes from the
 * brokers argument); the user's options cannot change them.
 */
static const char *const fixed_properties[] = {
	"enable.auto.commit", "enable.auto.offset.store", "enable.partition.eof",
	"log.queue", "bootstrap.servers", "metadata.broker.list", "enable.idempotence",
	NULL
};

/*
 * The librdkafka properties a role that is not superuser may set: each one
 * holds a number, a flag, a name or inline content, never the name of a
 * command, a library, a file or a directory.  Anything else (unknown names
 * included) needs a superuser: plugin.library.paths loads a library,
 * sasl.kerberos.kinit.cmd runs a shell command, ssl.*.location and
 * sasl.kerberos.keytab read server files, offset.store.path writes them,
 * ssl.engine.* and ssl.providers load OpenSSL modules, debug floods the
 * log, test.mock.num.brokers opens listening sockets, and so on.
 * docs/kafka.md lists the same names (test/shell/kafka_privileges.sh
 * checks it).
 */
static const char *const safe_properties[] = {
	"acks",
	"allow.auto.create.topics",
	"api.version.fallback.ms",
	"api.version.request",
	"api.version.request.timeout.ms",
	"auto.offset.reset",
	"batch.num.messages",
	"batch.size",
	"broker.address.family",
	"broker.address.ttl",
	"broker.version.fallback",
	"check.crcs",
	"client.id",
	"client.rack",
	"compression.codec",
	"compression.level",
	"compression.type",
	"connections.max.idle.ms",
	"delivery.timeout.ms",
	"enable.ssl.certificate.verification",
	"fetch.error.backoff.ms",
	"fetch.max.bytes",
	"fetch.message.max.bytes",
	"fetch.min.bytes",
	"fetch.wait.max.ms",
	"isolation.level",
	"linger.ms",
	"log.connection.close",
	"max.in.flight",
	"max.in.flight.requests.per.connection",
	"max.partition.fetch.bytes",
	"message.copy.max.bytes",
	"message.max.bytes",
	"message.send.max.retries",
	"message.timeout.ms",
	"metadata.max.age.ms",
	"partitioner",
	"queue.buffering.backpressure.threshold",
	"queue.buffering.max.kbytes",
	"queue.buffering.max.messages",
	"queue.buffering.max.ms",
	"queued.max.messages.kbytes",
	"queued.min.messages",
	"receive.message.max.bytes",
	"reconnect.backoff.max.ms",
	"reconnect.backoff.ms",
	"request.required.acks",
	"request.timeout.ms",
	"retries",
	"retry.backoff.ms",
	"sasl.mechanism",
	"sasl.mechanisms",
	"sasl.password",
	"sasl.username",
	"security.protocol",
	"socket.connection.setup.timeout.ms",
	"socket.keepalive.enable",
	"socket.max.fails",
	"socket.nagle.disable",
	"socket.receive.buffer.bytes",
	"socket.send.buffer.bytes",
	"socket.timeout.ms",
	"ssl.ca.pem",
	"ssl.certificate.pem",
	"ssl.cipher.suites",
	"ssl.curves.list",
	"ssl.endpoint.identification.algorithm",
	"ssl.key.password",
	"ssl.key.pem",
	"ssl.sigalgs.list",
	"sticky.partitioning.linger.ms",
	"topic.metadata.propagation.max.ms",
	"topic.metadata.refresh.fast.interval.ms",
	"topic.metadata.refresh.interval.ms",
	"topic.metadata.refresh.sparse",
};

/*
 * The SASL mechanisms such a role may use: GSSAPI runs a command
 * (sasl.kerberos.kinit.cmd, by default kinit with the server's keytab),
 * OAUTHBEARER fetches tokens from URLs or runs without verification.
 */
static const char *const safe_mechanisms[] = {
	"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", NULL
};

/* May a role that is not superuser set this property? */
bool
kafka_property_is_safe(const char *key)
{
	int			i;

	for (i = 0; i < lengthof(safe_properties); i++)
		if (strcmp(key, safe_properties[i]) == 0)
			return true;
	return false;
}

/* The option's value as text (NULL if it is not a string, number or boolean). */
static char *
option_value(JsonbValue *v)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (v->type == jbvBool)
		return v->val.boolean ? "true" : "false";
	return NULL;
}

/*
 * The options' properties one by one: *key and *value of the next, true;
 * false at the end or, with a message in err (naming the property, never
 * a value), when options is not an object of strings, numbers and
 * booleans (*bad set).  Start with *it = NULL.
 */
static bool
next_option(Jsonb *options, JsonbIterator **it, char **key, char **value, bool *bad,
			char *err, size_t errlen)
{
	JsonbValue	v;
	JsonbIteratorToken tok;

	*bad = false;
	if (*it == NULL)
	{
		if (!JB_ROOT_IS_OBJECT(options))
		{
			snprintf(err, errlen, "options must be a JSON object");
			*bad = true;
			return false;
		}
		*it = JsonbIteratorInit(&options->root);
	}
	while ((tok = JsonbIteratorNext(it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			*key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		*value = option_value(&v);
		if (*value == NULL)
		{
			snprintf(err, errlen, "option \"%s\" must be a string, a number or a boolean", *key);
			*bad = true;
			return false;
		}
		return true;
	}
	return false;
}

/*
 * Check options (a jsonb object of librdkafka properties; keys starting
 * with "pathway." are ours) without calling librdkafka: the shape, the
 * properties pathway sets itself, pathway's own options and, unless
 * superuser, that every property is a safe one (and SASL, if used, a safe
 * mechanism).  Returns KAFKA_OPTIONS_OK, or the kind of refusal with a
 * message in err that names properties, never values (a value may be a
 * secret).
 */
KafkaOptionsCheck
kafka_options_validate(Jsonb *options, bool superuser, char *err, size_t errlen)
{
	JsonbIterator *it = NULL;
	char	   *key = NULL;
	char	   *value;
	bool		bad;
	char	   *protocol = NULL;
	bool		mechanism_given = false;

	if (options == NULL)
		return KAFKA_OPTIONS_OK;
	while (next_option(options, &it, &key, &value, &bad, err, errlen))
	{
		const char *const *f;

		for (f = fixed_properties; *f; f++)
			if (strcmp(key, *f) == 0)
			{
				snprintf(err, errlen, "option \"%s\" is set by pathway and cannot be changed", key);
				return KAFKA_OPTIONS_INVALID;
			}
		if (strncmp(key, "pathway.", 8) == 0)
		{
			if (strcmp(key, "pathway.max_message_bytes") == 0)
			{
				char	   *end;
				long long	n = strtoll(value, &end, 10);

				if (*end != '\0' || n < 1)
				{
					snprintf(err, errlen, "option \"%s\" must be a positive integer", key);
					return KAFKA_OPTIONS_INVALID;
				}
				continue;
			}
			snprintf(err, errlen, "unknown option \"%s\"", key);
			return KAFKA_OPTIONS_INVALID;
		}
		if (superuser)
			continue;
		if (!kafka_property_is_safe(key))
		{
			snprintf(err, errlen, "permission denied to set librdkafka property \"%s\"", key);
			return KAFKA_OPTIONS_SUPERUSER;
		}
		if (strcmp(key, "security.protocol") == 0)
			protocol = value;
		if (strcmp(key, "sasl.mechanisms") == 0 || strcmp(key, "sasl.mechanism") == 0)
		{
			for (f = safe_mechanisms; *f; f++)
				if (strcmp(value, *f) == 0)
					break;
			if (*f == NULL)
			{
				snprintf(err, errlen, "permission denied to use this SASL mechanism (\"%s\")", key);
				return KAFKA_OPTIONS_SUPERUSER;
			}
			mechanism_given = true;
		}
	}
	if (bad)
		return KAFKA_OPTIONS_INVALID;
	/* librdkafka's default mechanism is GSSAPI */
	if (!superuser && protocol && pg_strncasecmp(protocol, "sasl", 4) == 0 && !mechanism_given)
	{
		snprintf(err, errlen, "permission denied to use SASL without \"sasl.mechanisms\"");
		return KAFKA_OPTIONS_SUPERUSER;
	}
	return KAFKA_OPTIONS_OK;
}

/*
 * Apply options to conf: the caller has checked them with
 * kafka_options_validate.  librdkafka checks the values.  With
 * load_plugins false, plugin.library.paths is skipped (librdkafka loads
 * the libraries as soon as it is set).  Returns false with a message in err
 * (never a value).
 */
bool
kafka_conf_apply(rd_kafka_conf_t *conf, Jsonb *options, struct KafkaSource *s,
				 bool load_plugins, char *err, size_t errlen)
{
	JsonbIterator *it = NULL;
	char	   *key = NULL;
	char	   *value;
	bool		bad;

	if (options == NULL)
		return true;
	while (next_option(options, &it, &key, &value, &bad, err, errlen))
	{
		char		rderr[256];

		if (strncmp(key, "pathway.", 8) == 0)
		{
			if (strcmp(key, "pathway.max_message_bytes") == 0 && s)
				s->max_message_bytes = strtoll(value, NULL, 10);
			continue;
		}
		if (strcmp(key, "plugin.library.paths") == 0 && !load_plugins)
			continue;
		if (strcmp(key, "auto.offset.reset") == 0 && s)
			s->from_latest = (strcmp(value, "latest") == 0 || strcmp(value, "end") == 0 ||
							  strcmp(value, "largest") == 0);
		if (rd_kafka_conf_set(conf, key, value, rderr, sizeof(rderr)) != RD_KAFKA_CONF_OK)
		{
			/* rderr may quote the value: say only which property */
			snprintf(err, errlen, "invalid librdkafka property \"%s\"", key);
			return false;
		}
	}
	return !bad;
}

/*
 * For create_kafka_source and create_kafka_sink, in the caller's backend:
 * are these options acceptable for a role with (or without) superuser?
 * Nothing reaches librdkafka before kafka_options_validate said yes, and
 * libraries are never loaded here (the worker loads them).
 */
KafkaOptionsCheck
kafka_options_check(Jsonb *options, bool superuser, char *err, size_t errlen)
{
	KafkaOptionsCheck r = kafka_options_validate(options, superuser, err, errlen);
	rd_kafka_conf_t *conf;

	if (r != KAFKA_OPTIONS_OK)
		return r;
	conf = rd_kafka_conf_new();
	if (!kafka_conf_apply(conf, options, NULL, false, err, errlen))
		r = KAFKA_OPTIONS_INVALID;
	rd_kafka_conf_destroy(conf);
	return r;
}

/*
 * In the worker, before a source or sink starts (and while it runs): the
 * options need a superuser and its owner is no longer one?  Then err says
 * so and the caller fails it.  needs_superuser is set either way.
 */
bool
kafka_options_refused(Jsonb *options, Oid owner, const char *what, bool *needs_superuser,
					  char *err, size_t errlen)
{
	char		why[256];
	char	   *name;

	*needs_superuser = (kafka_options_validate(options, false, why, sizeof(why)) == KAFKA_OPTIONS_SUPERUSER);
	if (!*needs_superuser || superuser_arg(owner))
		return false;
	name = GetUserNameFromId(owner, true);
	snprintf(err, errlen, "%s: its owner %s%s%s is not superuser: %s",
			 what, name ? "\"" : "", name ? name : "(dropped)", name ? "\"" : "", why);
	return true;
}
