# pathway: PGXS build, plus the developer targets README.md gives.
#
#   make deps    install the Debian packages the project needs (idempotent)
#   make         build the extension (warnings are errors)
#   make demo    deps + build + throwaway cluster + a live view updating
#   make test    deps + build + the whole pgTAP suite on a throwaway cluster
#   make bench   deps + build + every benchmark in bench/ (BENCH_QUICK=1: small, short)

EXTENSION = pathway
MODULE_big = pathway
DATA = $(wildcard sql/pathway--*.sql)
PGFILEDESC = "pathway - incremental live views inside PostgreSQL"

SRCS = $(wildcard engine/*.c plan/*.c meta/*.c connectors/*.c bgworker/*.c extension/*.c)
OBJS = $(SRCS:.c=.o)

PG_CONFIG ?= $(shell command -v pg_config >/dev/null 2>&1 && pg_config --version | grep -q ' 15' && echo pg_config || echo /usr/lib/postgresql/15/bin/pg_config)
PG_CPPFLAGS = -I$(srcdir) -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Wno-cast-function-type
SHLIB_LINK = -lrdkafka -lcurl

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

# PGXS tracks no header dependencies: rebuild everything when one changes.
$(OBJS) $(OBJS:.o=.bc): $(wildcard */*.h) pathway.h

.PHONY: deps demo test bench check-deps
deps:
	@bash test/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash test/demo.sh

test: deps
	@$(MAKE) --no-print-directory all
	@bash test/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh

# The Kafka test fixture (test/kafka/kafka_mock.c): a plain program, not part
# of the extension, built with it so that the tests find it.
all: test/kafka/kafka_mock
EXTRA_CLEAN += test/kafka/kafka_mock
test/kafka/kafka_mock: test/kafka/kafka_mock.c
	gcc -O2 -Wall -Wextra -Werror -o $@ $< -lrdkafka

# The query fuzzer, long, on a throwaway cluster of its own: FUZZ_QUERIES
# random queries (default 500) with a seed from the time, printed so that
# FUZZ_SEED=... reruns it (test/fuzz/run.sh lists the other settings).
# make test runs a fixed-seed slice of it (test/shell/fuzz_slice.sh).
.PHONY: fuzz
fuzz: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) -s --no-print-directory install
	@FUZZ_OWN_CLUSTER=1 FUZZ_QUERIES=$${FUZZ_QUERIES:-500} bash test/fuzz/run.sh
