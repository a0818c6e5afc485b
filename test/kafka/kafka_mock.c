/*
 * kafka_mock.c
 *	  A Kafka cluster for the tests: librdkafka's mock cluster in a process
 *	  of its own, driven by one-line commands on stdin.
 *
 * Usage: kafka_mock [--max-seconds S] [--debug CONTEXTS] [BROKERS]
 *
 * Starts BROKERS (default 3) mock brokers, numbered 1..BROKERS, each
 * listening on an ephemeral TCP port of 127.0.0.1, and prints the bootstrap
 * list ("127.0.0.1:PORT,...") as the first line of stdout.  Any Kafka client
 * (kcat, the extension's worker) can then produce and consume through it.
 * Faults can only be injected by the process that owns the cluster, hence
 * the commands.  Each command line gets exactly one reply line, "ok" or
 * "error: REASON":
 *
 *	topic NAME PARTITIONS [REPLICATION]	create a topic (replication defaults
 *										to min(3, BROKERS), as the mock's
 *										automatic creation does)
 *	partitions NAME N					always an error: the mock of
 *										librdkafka 2.0 cannot add partitions
 *										to an existing topic
 *	down ID|all, up ID|all				close a broker's listener and
 *										connections / listen again on the
 *										same port (no leader change either
 *										way)
 *	leader NAME PARTITION ID			move a partition's leader (-1: none)
 *	rtt ID|all MS						delay a broker's responses
 *	errors API COUNT ERROR				fail the next COUNT requests of API
 *										(Produce, Fetch, Metadata, ... or
 *										its number) with ERROR (a name such as
 *										NOT_LEADER_FOR_PARTITION or
 *										_TRANSPORT, or a number)
 *	errors API clear					forget the errors pushed for API
 *	quit								destroy the cluster, reply, exit 0
 *
 * End of stdin, SIGTERM, SIGINT and SIGHUP end it like "quit" (without the
 * reply), and so does --max-seconds (default 600): a fixture nobody stops
 * still goes away.  librdkafka's own log goes to stderr.
 *
 * The main thread only reads commands; the mock brokers run in librdkafka's
 * threads, which are started with the termination signals blocked so that
 * those signals always reach the main thread's poll().
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define KAFKA_MOCK_LINE_MAX	4096
#define KAFKA_MOCK_MAX_ARGS	8

/* Kafka protocol request types a test may want to fail, by name */
typedef struct KafkaApiName
{
	const char *name;
	int16_t		key;
} KafkaApiName;

static const KafkaApiName kafka_api_names[] = {
	{"Produce", 0},
	{"Fetch", 1},
	{"ListOffsets", 2},
	{"Metadata", 3},
	{"OffsetCommit", 8},
	{"OffsetFetch", 9},
	{"FindCoordinator", 10},
	{"JoinGroup", 11},
	{"Heartbeat", 12},
	{"LeaveGroup", 13},
	{"SyncGroup", 14},
	{"DescribeGroups", 15},
	{"ListGroups", 16},
	{"ApiVersions", 18},
	{"InitProducerId", 22},
	{"OffsetForLeaderEpoch", 23},
	{"AddPartitionsToTxn", 24},
	{"AddOffsetsToTxn", 25},
	{"EndTxn", 26},
	{"TxnOffsetCommit", 28},
};

static volatile sig_atomic_t stop_signal = 0;

static rd_kafka_mock_cluster_t *mcluster = NULL;
static int	broker_count = 3;

/* the reply to the command being run, written by kafka_mock_error() */
static char reply[512];

static void
kafka_mock_on_signal(int signo)
{
	stop_signal = signo;
}

/*
 * librdkafka's log, to stderr in its default format, less the notice that
 * the cluster's own client has no bootstrap.servers (it needs none).
 */
static void
kafka_mock_log(const rd_kafka_t *rk, int level, const char *fac,
			   const char *buf)
{
	struct timespec ts;

	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers") != NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "%%%d|%ld.%03ld|%s|%s| %s\n", level, (long) ts.tv_sec,
			ts.tv_nsec / 1000000, fac, rd_kafka_name(rk), buf);
}

static void
kafka_mock_usage(FILE *out)
{
	fprintf(out,
			"usage: kafka_mock [--max-seconds S] [--debug CONTEXTS] [BROKERS]\n"
			"  Starts a librdkafka mock cluster of BROKERS (default 3) brokers on\n"
			"  127.0.0.1, prints its bootstrap list, then reads commands on stdin:\n"
			"  topic, partitions, down, up, leader, rtt, errors, quit.\n");
}

static int
kafka_mock_error(const char *fmt,...)
{
	va_list		ap;
	int			len;

	len = snprintf(reply, sizeof(reply), "error: ");
	va_start(ap, fmt);
	vsnprintf(reply + len, sizeof(reply) - len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Parse a whole decimal integer within [min, max]. */
static int
kafka_mock_parse_int(const char *s, long min, long max, long *result)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*result = v;
	return 0;
}

/* A broker id, or -1 for "all". */
static int
kafka_mock_parse_broker(const char *s, int32_t *id)
{
	long		v;

	if (strcmp(s, "all") == 0)
	{
		*id = -1;
		return 0;
	}
	if (kafka_mock_parse_int(s, 1, broker_count, &v) != 0)
		return kafka_mock_error("no broker \"%s\" (brokers are 1..%d or \"all\")",
								s, broker_count);
	*id = (int32_t) v;
	return 0;
}

static int
kafka_mock_parse_api(const char *s, int16_t *key)
{
	long		v;
	size_t		i;

	for (i = 0; i < sizeof(kafka_api_names) / sizeof(kafka_api_names[0]); i++)
	{
		if (strcasecmp(s, kafka_api_names[i].name) == 0)
		{
			*key = kafka_api_names[i].key;
			return 0;
		}
	}
	if (kafka_mock_parse_int(s, 0, 100, &v) == 0)
	{
		*key = (int16_t) v;
		return 0;
	}
	return kafka_mock_error("unknown request type \"%s\"", s);
}

/* An error code by its name (with or without RD_KAFKA_RESP_ERR_) or number. */
static int
kafka_mock_parse_err(const char *s, rd_kafka_resp_err_t *err)
{
	const struct rd_kafka_err_desc *descs;
	size_t		ndescs;
	size_t		i;
	long		v;

	if (strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
		s += 18;
	rd_kafka_get_err_descs(&descs, &ndescs);
	for (i = 0; i < ndescs; i++)
	{
		if (descs[i].name != NULL && strcasecmp(s, descs[i].name) == 0)
		{
			*err = descs[i].code;
			return 0;
		}
	}
	if (kafka_mock_parse_int(s, INT_MIN, INT_MAX, &v) == 0)
	{
		*err = (rd_kafka_resp_err_t) v;
		return 0;
	}
	return kafka_mock_error("unknown error code \"%s\"", s);
}

static int
kafka_mock_check(rd_kafka_resp_err_t err, const char *what)
{
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return kafka_mock_error("%s: %s", what, rd_kafka_err2str(err));
	return 0;
}

/*
 * Apply down/up/rtt to one broker, or to all of them for id -1.  "All" is a
 * single call on purpose: the mock thread can miss the wake-up of a request
 * made right after the previous one returned, which then waits for its
 * one-second poll timeout.
 */
static int
kafka_mock_broker_cmd(const char *cmd, int32_t id, int rtt_ms)
{
	rd_kafka_resp_err_t err;

	if (strcmp(cmd, "down") == 0)
		err = rd_kafka_mock_broker_set_down(mcluster, id);
	else if (strcmp(cmd, "up") == 0)
		err = rd_kafka_mock_broker_set_up(mcluster, id);
	else
		err = rd_kafka_mock_broker_set_rtt(mcluster, id, rtt_ms);
	return kafka_mock_check(err, cmd);
}

static int
kafka_mock_cmd_topic(int argc, char **argv)
{
	long		partitions;
	long		replication = broker_count < 3 ? broker_count : 3;

	if (argc < 3 || argc > 4)
		return kafka_mock_error("usage: topic NAME PARTITIONS [REPLICATION]");
	if (kafka_mock_parse_int(argv[2], 1, 100000, &partitions) != 0)
		return kafka_mock_error("bad partition count \"%s\"", argv[2]);
	if (argc == 4 &&
		kafka_mock_parse_int(argv[3], 1, broker_count, &replication) != 0)
		return kafka_mock_error("bad replication factor \"%s\" (1..%d)",
								argv[3], broker_count);
	return kafka_mock_check(rd_kafka_mock_topic_create(mcluster, argv[1],
													   (int) partitions,
													   (int) replication),
							"topic");
}

static int
kafka_mock_cmd_errors(int argc, char **argv)
{
	int16_t		key;
	long		count;
	long		i;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_resp_err_t *errs;

	if (argc == 3 && strcmp(argv[2], "clear") == 0)
	{
		if (kafka_mock_parse_api(argv[1], &key) != 0)
			return -1;
		rd_kafka_mock_clear_request_errors(mcluster, key);
		return 0;
	}
	if (argc != 4)
		return kafka_mock_error("usage: errors API COUNT ERROR | errors API clear");
	if (kafka_mock_parse_api(argv[1], &key) != 0)
		return -1;
	if (kafka_mock_parse_int(argv[2], 1, 100000, &count) != 0)
		return kafka_mock_error("bad count \"%s\" (1..100000)", argv[2]);
	if (kafka_mock_parse_err(argv[3], &err) != 0)
		return -1;

	errs = malloc(sizeof(*errs) * count);
	if (errs == NULL)
		return kafka_mock_error("out of memory");
	for (i = 0; i < count; i++)
		errs[i] = err;
	rd_kafka_mock_push_request_errors_array(mcluster, key, (size_t) count, errs);
	free(errs);
	return 0;
}

/*
 * Run one command line.  Returns 1 for "quit", 0 when done (reply says "ok"
 * or "error: ..."), with the reply set.
 */
static int
kafka_mock_run(char *line)
{
	char	   *argv[KAFKA_MOCK_MAX_ARGS + 1];
	int			argc = 0;
	char	   *save = NULL;
	char	   *tok;
	int32_t		id;
	long		v;
	long		partition;

	strcpy(reply, "ok");
	for (tok = strtok_r(line, " \t\r", &save); tok != NULL;
		 tok = strtok_r(NULL, " \t\r", &save))
	{
		if (argc == KAFKA_MOCK_MAX_ARGS)
		{
			kafka_mock_error("too many arguments");
			return 0;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;

	if (argc == 0)
		kafka_mock_error("empty command");
	else if (strcmp(argv[0], "quit") == 0)
		return 1;
	else if (strcmp(argv[0], "topic") == 0)
		kafka_mock_cmd_topic(argc, argv);
	else if (strcmp(argv[0], "partitions") == 0)
	{
		/*
		 * librdkafka 2.0.2's mock sizes a topic's partition array once, at
		 * creation, and offers no call (nor CreatePartitions request) that
		 * grows it.
		 */
		kafka_mock_error("not supported by the mock");
	}
	else if (strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0)
	{
		if (argc != 2)
			kafka_mock_error("usage: %s ID|all", argv[0]);
		else if (kafka_mock_parse_broker(argv[1], &id) == 0)
			kafka_mock_broker_cmd(argv[0], id, 0);
	}
	else if (strcmp(argv[0], "rtt") == 0)
	{
		if (argc != 3)
			kafka_mock_error("usage: rtt ID|all MS");
		else if (kafka_mock_parse_int(argv[2], 0, 3600000, &v) != 0)
			kafka_mock_error("bad delay \"%s\"", argv[2]);
		else if (kafka_mock_parse_broker(argv[1], &id) == 0)
			kafka_mock_broker_cmd("rtt", id, (int) v);
	}
	else if (strcmp(argv[0], "leader") == 0)
	{
		if (argc != 4)
			kafka_mock_error("usage: leader NAME PARTITION ID");
		else if (kafka_mock_parse_int(argv[2], 0, 100000, &partition) != 0)
			kafka_mock_error("bad partition \"%s\"", argv[2]);
		else if (kafka_mock_parse_int(argv[3], -1, broker_count, &v) != 0 || v == 0)
			kafka_mock_error("no broker \"%s\" (brokers are 1..%d, or -1)",
							 argv[3], broker_count);
		else
			kafka_mock_check(rd_kafka_mock_partition_set_leader(mcluster, argv[1],
																(int32_t) partition,
																(int32_t) v),
							 "leader");
	}
	else if (strcmp(argv[0], "errors") == 0)
		kafka_mock_cmd_errors(argc, argv);
	else
		kafka_mock_error("unknown command \"%s\"", argv[0]);
	return 0;
}

static int
kafka_mock_reply(const char *text)
{
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
	{
		fprintf(stderr, "kafka_mock: cannot write to stdout: %s\n",
				strerror(errno));
		return -1;
	}
	return 0;
}

static double
kafka_mock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"max-seconds", required_argument, NULL, 's'},
		{"debug", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	long		max_seconds = 600;
	const char *debug = NULL;
	long		v;
	int			c;
	char		errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	sigset_t	termsigs;
	sigset_t	oldmask;
	struct sigaction sa;
	char		buf[KAFKA_MOCK_LINE_MAX];
	size_t		used = 0;
	int			discarding = 0;
	int			quit = 0;
	double		deadline;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1)
	{
		switch (c)
		{
			case 's':
				if (kafka_mock_parse_int(optarg, 1, 86400, &max_seconds) != 0)
				{
					fprintf(stderr, "kafka_mock: bad --max-seconds \"%s\"\n", optarg);
					return 2;
				}
				break;
			case 'd':
				debug = optarg;
				break;
			case 'h':
				kafka_mock_usage(stdout);
				return 0;
			default:
				kafka_mock_usage(stderr);
				return 2;
		}
	}
	if (optind < argc - 1)
	{
		kafka_mock_usage(stderr);
		return 2;
	}
	if (optind == argc - 1)
	{
		if (kafka_mock_parse_int(argv[optind], 1, 100, &v) != 0)
		{
			fprintf(stderr, "kafka_mock: bad broker count \"%s\" (1..100)\n",
					argv[optind]);
			return 2;
		}
		broker_count = (int) v;
	}

	/*
	 * librdkafka's threads inherit the signal mask: block the termination
	 * signals while they start, so the main thread alone receives them.
	 */
	sigemptyset(&termsigs);
	sigaddset(&termsigs, SIGTERM);
	sigaddset(&termsigs, SIGINT);
	sigaddset(&termsigs, SIGHUP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kafka_mock_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &termsigs, &oldmask);

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, kafka_mock_log);
	if (rd_kafka_conf_set(conf, "client.id", "kafka_mock", errstr,
						  sizeof(errstr)) != RD_KAFKA_CONF_OK ||
		(debug != NULL &&
		 rd_kafka_conf_set(conf, "debug", debug, errstr,
						   sizeof(errstr)) != RD_KAFKA_CONF_OK))
	{
		fprintf(stderr, "kafka_mock: %s\n", errstr);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		fprintf(stderr, "kafka_mock: cannot create a client: %s\n", errstr);
		return 1;
	}
	mcluster = rd_kafka_mock_cluster_new(rk, broker_count);
	if (mcluster == NULL)
	{
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);

	if (kafka_mock_reply(rd_kafka_mock_cluster_bootstraps(mcluster)) != 0)
		stop_signal = SIGPIPE;

	deadline = kafka_mock_now() + max_seconds;
	while (!quit && !stop_signal)
	{
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		double		left = deadline - kafka_mock_now();
		ssize_t		n;
		char	   *nl;

		if (left <= 0)
		{
			fprintf(stderr, "kafka_mock: --max-seconds %ld reached, exiting\n",
					max_seconds);
			break;
		}
		/* wake up at least every second to check the deadline */
		if (poll(&pfd, 1, left > 1 ? 1000 : (int) (left * 1000) + 1) <= 0)
			continue;

		n = read(STDIN_FILENO, buf + used, sizeof(buf) - used);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
		{
			if (n < 0)
				fprintf(stderr, "kafka_mock: cannot read stdin: %s\n",
						strerror(errno));
			break;
		}
		used += n;

		/* run each complete line */
		while (!quit && (nl = memchr(buf, '\n', used)) != NULL)
		{
			size_t		len = nl - buf;

			*nl = '\0';
			if (discarding)
				discarding = 0; /* the end of an overlong line */
			else if ((quit = kafka_mock_run(buf)) == 0 &&
					 kafka_mock_reply(reply) != 0)
				stop_signal = SIGPIPE;
			memmove(buf, nl + 1, used - len - 1);
			used -= len + 1;
		}
		if (used == sizeof(buf))
		{
			/* a line longer than the buffer: refuse it once, drop the rest */
			if (!discarding && kafka_mock_reply("error: line too long") != 0)
				stop_signal = SIGPIPE;
			discarding = 1;
			used = 0;
		}
	}

	if (stop_signal && stop_signal != SIGPIPE)
		fprintf(stderr, "kafka_mock: signal %d, exiting\n", (int) stop_signal);
	rd_kafka_mock_cluster_destroy(mcluster);
	rd_kafka_destroy(rk);
	if (quit)
		kafka_mock_reply("ok");
	return 0;
}
