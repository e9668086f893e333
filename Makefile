# schemac — see README.md. `make` sets up and builds everything and regenerates
# generated/; `make test` runs every suite against a throwaway PostgreSQL 15.
# SAN=1 builds into build/san with -fsanitize=address,undefined.

SCHEMA   ?= schema/semantik.yaml
GEN_OUT  ?= generated
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

CC       ?= cc
OPT      ?= -O2
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CFLAGS_BASE = -std=c11 $(OPT) -g $(WARN) -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L

ifeq ($(SAN),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD    := build
SANFLAGS :=
endif

# pkg-config runs once, lazily: `make` may have just installed the packages.
lazy = $(eval $1 := $(shell $2))$($1)
PKG_CFLAGS = $(call lazy,PKG_CFLAGS,pkg-config --cflags libpq yaml-0.1 jansson cmocka)
PKG_LIBS   = $(call lazy,PKG_LIBS,pkg-config --libs libpq yaml-0.1 jansson)
CMOCKA_LIBS = $(call lazy,CMOCKA_LIBS,pkg-config --libs cmocka)
RT_LIBS    = $(call lazy,RT_LIBS,pkg-config --libs libpq jansson) -lpthread

CFLAGS   = $(CFLAGS_BASE) $(SANFLAGS) $(PKG_CFLAGS) -Iruntime -Igenerator -I$(GEN_OUT)
LDFLAGS  = $(SANFLAGS)
LIBS     = $(PKG_LIBS) -lpthread

GEN_LIB_SRCS  := $(filter-out generator/main.c,$(wildcard generator/*.c))
RT_SRCS       := $(wildcard runtime/*.c)
# The installed headers: every runtime header but the *internal.h ones.
RT_PUBLIC_HDRS := $(sort $(filter-out runtime/%internal.h,$(wildcard runtime/*.h)))
GENERATED_SRCS = $(wildcard $(GEN_OUT)/*.c)
TEST_SRCS      = $(wildcard tests/generator/test_*.c tests/runtime/test_*.c tests/generated/test_*.c \
                   tests/storm/test_*.c tests/install/test_*.c)
TEST_BINS      = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS)) \
                 $(patsubst $(GEN_OUT)/tests/%.c,$(BUILD)/gentests/%,$(wildcard $(GEN_OUT)/tests/test_*.c))
EXAMPLE_BINS   = $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
BENCH_SRCS     = $(wildcard bench/bench_*.c)
BENCH_BINS     = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

GEN_LIB_OBJS  = $(patsubst %.c,$(BUILD)/obj/%.o,$(GEN_LIB_SRCS))
RT_OBJS       = $(patsubst %.c,$(BUILD)/obj/%.o,$(RT_SRCS))
RT_PIC_OBJS   = $(patsubst %.c,$(BUILD)/pic/%.o,$(RT_SRCS))
GENERATED_OBJS = $(patsubst %.c,$(BUILD)/obj/%.o,$(GENERATED_SRCS))
# Test support the generator writes next to its tests (factories).
FACTORY_SRCS  = $(wildcard $(GEN_OUT)/tests/*_factories.c)
FACTORY_OBJS  = $(patsubst %.c,$(BUILD)/obj/%.o,$(FACTORY_SRCS))

# Built-in templates: mk/embed.sh compiles templates/*.tmpl into libschemacgen.a
# (render.h: render_builtin[]). The directory is a prerequisite too, so adding or
# removing a template regenerates the file.
TEMPLATE_SRCS  = $(sort $(wildcard templates/*.tmpl))
BUILTIN_C     := $(BUILD)/gen/templates_builtin.c
BUILTIN_OBJ   := $(BUILD)/obj/gen/templates_builtin.o
GEN_LIB_OBJS  += $(BUILTIN_OBJ)

.SECONDARY:
.PHONY: all deps build generate test test-storm test-scale run-scale run-replica run-citus run-tiers pedantic check run-tests install \
        uninstall clean fuzz bench demo demo-bouncer erd erd-golden
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory generate

deps:
	@sh mk/deps.sh

build: $(BUILD)/schemac $(BUILD)/libschemac.a $(BUILD)/libschemac.so

# Rewrites only files whose bytes change, so make stays incremental. The
# second example (examples/bookmarks.yaml, issue 15) is generated into its
# own folder, committed like generated/.
EXAMPLE_SCHEMA = examples/bookmarks.yaml
EXAMPLE_OUT    = examples/bookmarks
generate: $(BUILD)/schemac
	$(BUILD)/schemac generate --schema $(SCHEMA) --out $(GEN_OUT)
	$(BUILD)/schemac generate --schema $(EXAMPLE_SCHEMA) --out $(EXAMPLE_OUT)

test: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory generate
	@$(MAKE) --no-print-directory pedantic
	@$(MAKE) --no-print-directory run-tests
	@$(MAKE) --no-print-directory run-tiers

# Service authors compile the generated layer with their own warnings: it
# must stay clean under -Wpedantic -Wconversion too.
pedantic:
	@for f in $(GENERATED_SRCS) $(FACTORY_SRCS); do \
	    $(CC) -std=c11 -Wall -Wextra -Wpedantic -Wconversion -Werror -fsyntax-only \
	        -D_DEFAULT_SOURCE $(PKG_CFLAGS) -Iruntime -I$(GEN_OUT) "$$f" || exit 1; done
	@for f in $(wildcard $(EXAMPLE_OUT)/*.c $(EXAMPLE_OUT)/tests/*_factories.c); do \
	    $(CC) -std=c11 -Wall -Wextra -Wpedantic -Wconversion -Werror -fsyntax-only \
	        -D_DEFAULT_SOURCE $(PKG_CFLAGS) -Iruntime -I$(EXAMPLE_OUT) "$$f" || exit 1; done
	@echo "generated/ and $(EXAMPLE_OUT)/ compile clean under -Wpedantic -Wconversion"

# The fault suites in full: a 30 s kill storm and three fast restarts
# (tests/storm), with the frozen-backend, dirty-session, bad-argument and
# restart suites they build on. `make test` runs the same with a 2 s storm.
STORM_SECONDS ?= 30
STORM_BINS = $(BUILD)/tests/storm/test_storm $(BUILD)/tests/runtime/test_deadline \
             $(BUILD)/tests/runtime/test_session $(BUILD)/tests/runtime/test_badargs \
             $(BUILD)/tests/runtime/test_restart
test-storm: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory $(STORM_BINS)
	@SC_STORM_SECONDS=$(STORM_SECONDS) tests/pg/with-pg tests/run-suites $(STORM_BINS)

# The PgBouncer tier (issue 17): the generated suites and the runtime suites,
# then the demo, through PgBouncer 1.18 (tests/pg/with-pgbouncer) in
# transaction mode with DB_POOLER=transaction, then in session mode; ends with
# one "N passed, N failed" line for both. `make test` runs it too; without
# pgbouncer installed it prints a "skipped" line. SCALE_ALL=1 adds the suites
# of tests/generated.
SCALE_BINS = $(patsubst $(GEN_OUT)/tests/%.c,$(BUILD)/gentests/%,$(wildcard $(GEN_OUT)/tests/test_*.c)) \
             $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/runtime/test_*.c))
ifeq ($(SCALE_ALL),1)
SCALE_BINS += $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/generated/test_*.c))
endif
SCALE_DEMOS = $(BUILD)/examples/semantik_demo $(BUILD)/examples/latency_histogram
test-scale: deps
	@$(MAKE) --no-print-directory build generate
	@$(MAKE) --no-print-directory run-tiers

# The three tiers beyond one server, one "N passed, N failed" line for all.
run-tiers:
	@tests/run-tiers "replica=$(MAKE) --no-print-directory run-replica" \
	    "citus=$(MAKE) --no-print-directory run-citus" \
	    "pgbouncer=$(MAKE) --no-print-directory run-scale"

# The Citus tier (issue 17 #3): tests/citus/schema.yaml generated into
# build/citus, migrated onto a coordinator with two workers
# (tests/pg/with-citus), tests/citus/test_citus.c, then Semantik's migrations
# and demo on the same coordinator (tests/run-citus). Prints a "skipped"
# line when Citus is not installed (CI installs it).
CITUS_GEN = $(BUILD)/citus/gen
$(CITUS_GEN)/.stamp: tests/citus/schema.yaml $(BUILD)/schemac
	@rm -rf $(CITUS_GEN) && mkdir -p $(CITUS_GEN)
	@$(BUILD)/schemac generate --schema tests/citus/schema.yaml --out $(CITUS_GEN) >/dev/null
	@$(BUILD)/schemac migrate new --schema tests/citus/schema.yaml --out $(CITUS_GEN) -m citus >/dev/null
	@touch $@
$(BUILD)/tests/citus/%: tests/citus/%.c $(CITUS_GEN)/.stamp $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(CITUS_GEN) -o $@ $< $(CITUS_GEN)/ct_*.c \
	    $(BUILD)/libschemac.a $(LIBS) $(CMOCKA_LIBS)
# test_citus first (it checks the fresh distribution), the fault test last
# (it stops a worker); the generated and runtime suites of the PgBouncer tier
# (SCALE_BINS) in between, each in a database the test kit makes on every node.
CITUS_BINS = $(BUILD)/tests/citus/test_citus $(BUILD)/tests/citus/test_citus_kit
CITUS_FAULT_BIN = $(BUILD)/tests/citus/test_citus_fault
# Semantik's own distribution, checked on the database the demo migrated.
CITUS_SEMANTIK_BIN = $(BUILD)/tests/citus/semantik_routing
$(CITUS_SEMANTIK_BIN): tests/citus/semantik_routing.c $(GENERATED_OBJS) $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(GENERATED_OBJS) $(BUILD)/libschemac.a $(LIBS) $(CMOCKA_LIBS)
run-citus: $(CITUS_BINS) $(CITUS_FAULT_BIN) $(CITUS_SEMANTIK_BIN) $(SCALE_BINS) \
           $(BUILD)/examples/semantik_demo $(BUILD)/schemac
	@tests/run-citus $(BUILD)/schemac $(CITUS_GEN) $(BUILD)/examples/semantik_demo \
	    $(CITUS_BINS) -- $(SCALE_BINS) -- $(CITUS_SEMANTIK_BIN) -- $(CITUS_FAULT_BIN)

# The replica tier (issue 17 #1): the test cluster and a streaming standby
# of it (tests/pg/with-standby, pg_basebackup -R); test_failover promotes the
# standby and stops the primary, so it runs last, in a cluster of its own.
REPLICA_BINS = $(BUILD)/tests/replica/test_replica
FAILOVER_BIN = $(BUILD)/tests/replica/test_failover
run-replica: $(REPLICA_BINS) $(FAILOVER_BIN)
	@tests/run-replica $(REPLICA_BINS) -- $(FAILOVER_BIN)

run-scale: $(SCALE_BINS) $(SCALE_DEMOS) $(BUILD)/schemac
	@tests/run-scale $(BUILD)/schemac $(SCALE_DEMOS) -- $(SCALE_BINS)

# The examples are built with the tests so that they never rot.
run-tests: $(TEST_BINS) $(EXAMPLE_BINS) $(BUILD)/schemac
	@SC_TEST_SCHEMAC=$(BUILD)/schemac tests/pg/with-pg tests/run-suites $(TEST_BINS)

# A throwaway database migrated to head, and the example service on it.
demo: deps
	@$(MAKE) --no-print-directory build generate
	@$(MAKE) --no-print-directory $(EXAMPLE_BINS)
	@tests/pg/with-pg sh -c '$(BUILD)/schemac migrate up && $(BUILD)/examples/semantik_demo && $(BUILD)/examples/latency_histogram && $(BUILD)/examples/event_loop'

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(GENERATED_OBJS) $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The schema as a diagram (shown in the README), drawn by Graphviz.
erd: deps
	@$(MAKE) --no-print-directory $(BUILD)/schemac
	$(BUILD)/schemac erd --schema $(SCHEMA) --format svg --out docs/semantik.svg

# Rewrites the golden files of tests/generator/test_erd.c after a deliberate
# change of the diagrams (or of schema/semantik.yaml): review the diff.
ERD_CASES = tests/generator/erd/small.yaml schema/semantik.yaml
erd-golden: $(BUILD)/schemac
	@for y in $(ERD_CASES); do \
	    g=tests/generator/erd/$$(basename $$y .yaml); \
	    $(BUILD)/schemac erd --schema $$y --format dot --out $$g.dot || exit 1; \
	    $(BUILD)/schemac erd --schema $$y --format mermaid --out $$g.mmd || exit 1; \
	    echo "wrote $$g.dot $$g.mmd"; done

# The same behind PgBouncer (POOL_MODE=transaction, the default, or session):
# migrated on the server itself (the runner refuses transaction pooling), the
# example programs through PgBouncer with DB_POOLER as the mode needs.
POOL_MODE ?= transaction
demo-bouncer: deps
	@$(MAKE) --no-print-directory build generate
	@$(MAKE) --no-print-directory $(EXAMPLE_BINS)
	@tests/pg/with-pgbouncer $(POOL_MODE) sh -c 'env -u DB_POOLER DATABASE_URL="$$SC_TEST_DIRECT_URL" \
	    $(BUILD)/schemac migrate up && $(BUILD)/examples/semantik_demo && $(BUILD)/examples/latency_histogram'

# Timings need durable commits like production: fsync stays on.
bench: deps
	@$(MAKE) --no-print-directory build generate
	@$(MAKE) --no-print-directory $(BENCH_BINS)
	@WITH_PG_FSYNC=on tests/pg/with-pg sh -c 'for b in "$$@"; do "$$b" || exit 1; done' bench $(BENCH_BINS)
	@bash bench/generation.sh $(BUILD)/schemac

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(GENERATED_OBJS) $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(BUILD)/libschemac.a: $(RT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The shared runtime: libschemac.so.MAJOR.MINOR.PATCH (the version of
# runtime/schemac.h) with SONAME libschemac.so.MAJOR and the two usual links.
# It exports what the public headers declare and nothing else (see
# mk/symbols.sh): internal helpers stay free to change in a patch release.
sc_version = $(shell sed -n 's/^\#define SC_VERSION_$1 \([0-9]*\)$$/\1/p' runtime/schemac.h)
SO_MAJOR  := $(call sc_version,MAJOR)
SO_VERSION := $(SO_MAJOR).$(call sc_version,MINOR).$(call sc_version,PATCH)
SO_NAME   := libschemac.so.$(SO_MAJOR)
SO_FILE   := libschemac.so.$(SO_VERSION)

$(BUILD)/libschemac.map: mk/symbols.sh $(RT_PUBLIC_HDRS)
	@mkdir -p $(dir $@)
	sh mk/symbols.sh "$(CC)" "$(CFLAGS_BASE) $(PKG_CFLAGS) -Iruntime" $(RT_PUBLIC_HDRS) >$@.tmp
	mv $@.tmp $@

$(BUILD)/$(SO_FILE): $(RT_PIC_OBJS) $(BUILD)/libschemac.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SO_NAME) -Wl,--version-script=$(BUILD)/libschemac.map \
	    -Wl,--no-undefined -o $@ $(RT_PIC_OBJS) $(RT_LIBS)

$(BUILD)/$(SO_NAME): $(BUILD)/$(SO_FILE)
	ln -sfn $(SO_FILE) $@

$(BUILD)/libschemac.so: $(BUILD)/$(SO_NAME)
	ln -sfn $(SO_NAME) $@

$(BUILD)/libschemacgen.a: $(GEN_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILTIN_C): mk/embed.sh $(TEMPLATE_SRCS) $(wildcard templates)
	@mkdir -p $(dir $@)
	sh mk/embed.sh $(TEMPLATE_SRCS) >$@.tmp && mv $@.tmp $@

$(BUILTIN_OBJ): $(BUILTIN_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/schemac: $(BUILD)/obj/generator/main.o $(BUILD)/libschemacgen.a $(BUILD)/libschemac.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/generator/%: $(BUILD)/obj/tests/generator/%.o $(BUILD)/libschemacgen.a $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/runtime/%: $(BUILD)/obj/tests/runtime/%.o $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/storm/%: $(BUILD)/obj/tests/storm/%.o $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/install/%: $(BUILD)/obj/tests/install/%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(BUILD)/gentests/%: $(BUILD)/obj/$(GEN_OUT)/tests/%.o $(GENERATED_OBJS) $(FACTORY_OBJS) $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/replica/%: $(BUILD)/obj/tests/replica/%.o $(GENERATED_OBJS) $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/generated/%: $(BUILD)/obj/tests/generated/%.o $(GENERATED_OBJS) $(FACTORY_OBJS) $(BUILD)/libschemac.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

# The YAML front end under libFuzzer (clang), for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_DIR      = build/fuzz
# The whole generator library is linked, and the runtime (the target reaches
# only the front end, but generate.c, the views and the migration lint need
# their symbols resolved).
fuzz: $(BUILTIN_C)
	@sh mk/deps.sh clang libclang-rt-14-dev
	@mkdir -p $(FUZZ_DIR)/corpus
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_DEFAULT_SOURCE \
	    -D_POSIX_C_SOURCE=200809L -Igenerator -Iruntime $(PKG_CFLAGS) -o $(FUZZ_DIR)/fuzz_schema \
	    tests/fuzz/fuzz_schema.c $(GEN_LIB_SRCS) $(RT_SRCS) $(BUILTIN_C) \
	    $$(pkg-config --libs yaml-0.1 jansson libpq) -lpthread
	@for f in tests/invalid/*/schema.yaml; do \
	    cp "$$f" "$(FUZZ_DIR)/corpus/$$(basename $$(dirname $$f)).yaml"; done
	@cp $(SCHEMA) $(FUZZ_DIR)/corpus/schema.yaml
	@$(FUZZ_DIR)/fuzz_schema -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus >$(FUZZ_DIR)/log 2>&1; \
	    rc=$$?; grep -v '^"' $(FUZZ_DIR)/log | tail -n 12; exit $$rc

# make install / uninstall (PREFIX, DESTDIR, and BINDIR, LIBDIR, INCLUDEDIR,
# PKGCONFIGDIR, MANDIR, BASHCOMPDIR): mk/install.sh installs INSTALL_ITEMS
# and records them in INSTALL_MANIFEST, which is all uninstall reads, so it
# removes exactly what install wrote. Headers go to include/schemac/ (names
# like sc_query.h are ours, not the system's); man pages and the bash
# completion are installed when the sources have them.
INSTALL_MANIFEST = $(PREFIX)/share/schemac/install-manifest
MAN_PAGES   = $(sort $(wildcard docs/man/*.1 docs/man/*.5))
COMPLETION  = $(wildcard completion/schemac.bash)
INSTALL_ITEMS = \
    "0755 $(BUILD)/schemac $(BINDIR)/schemac" \
    "0644 $(BUILD)/$(SO_FILE) $(LIBDIR)/$(SO_FILE)" \
    "link $(SO_FILE) $(LIBDIR)/$(SO_NAME)" \
    "link $(SO_NAME) $(LIBDIR)/libschemac.so" \
    "0644 $(BUILD)/libschemac.a $(LIBDIR)/libschemac.a" \
    "0644 $(BUILD)/libschemac.pc $(PKGCONFIGDIR)/libschemac.pc" \
    $(foreach h,$(RT_PUBLIC_HDRS),"0644 $(h) $(INCLUDEDIR)/schemac/$(notdir $(h))") \
    $(foreach m,$(MAN_PAGES),"0644 $(m) $(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))") \
    $(foreach c,$(COMPLETION),"0644 $(c) $(BASHCOMPDIR)/schemac")

# Paths below the prefix are written relative to it, as pkg-config files
# usually are.
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$1)

install: build
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_path,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_path,$(INCLUDEDIR))|' -e 's|@VERSION@|$(SO_VERSION)|' \
	    runtime/libschemac.pc.in >$(BUILD)/libschemac.pc
	@echo "installing into $(DESTDIR)$(PREFIX):"
	@printf '%s\n' $(INSTALL_ITEMS) | sh mk/install.sh install "$(DESTDIR)" $(INSTALL_MANIFEST)

uninstall:
	@sh mk/install.sh uninstall "$(DESTDIR)" $(INSTALL_MANIFEST)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
