# kinflow: one Makefile. `make run` and `make test` install what is missing first.
PKGS     := lua5.4 sqlite3 libpq jansson libsodium pwquality
PREFIX   ?= /usr/local
CC       ?= cc
WARN     := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
OPT      ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(WARN) $(OPT) -D_FORTIFY_SOURCE=2 -DKF_SHARE_DIR='"$(PREFIX)/share/kinflow"' \
             $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)
LIBS     = $(PKG_LIBS) -lm -pthread -ldl

B        ?= build
.DEFAULT_GOAL := all
ENGINE_SRC := engine/util.c engine/store.c engine/store_sqlite.c engine/store_sqlite_wal.c engine/store_find.c engine/store_pg.c engine/store_log.c engine/store_json.c engine/sha256.c engine/store_script.c engine/store_people.c engine/store_practice.c engine/store_backup.c engine/store_copy.c engine/store_gauges.c engine/luahost.c engine/sharing.c engine/runtime.c engine/runtime_team.c engine/runtime_timers.c engine/runtime_rules.c engine/consent.c \
              engine/scenario.c engine/plugin.c engine/access.c engine/report.c engine/people.c engine/decision.c engine/family.c engine/verbs.c engine/api.c engine/cli.c engine/cli_analysis.c engine/cli_family.c engine/cli_args.c \
              engine/records.c engine/api_records.c engine/cli_records.c engine/cli_import.c \
              engine/migrate.c engine/cli_migrate.c engine/api_versions.c engine/cli_backup.c engine/cli_copy.c
# The engine's Lua half, in load order: each file adds to one engine table, E.
ENGINE_LUA := $(addprefix engine/lua/,sandbox.lua util.lua load.lua define.lua plugins.lua \
              check.lua case.lua fire.lua forms.lua family.lua scenario.lua diagram.lua impact.lua \
              console.lua script.lua migrate.lua)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(B)/%.o) $(B)/embed.o
UNIT_SRC   := $(wildcard tests/unit/*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
BIN        ?= kinflow

# C plugins: every folder of plugins/ or tests/plugins/ with .c files builds FOLDER/NAME.so,
# exporting only its entry point. Never sanitized: they load into either build. A folder's
# PKGS file names the pkg-config packages it links besides jansson (the console's libmicrohttpd).
PLUGIN_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard plugins/*/*.c tests/plugins/*/*.c))))
PLUGIN_SO   := $(foreach d,$(PLUGIN_DIRS),$(d)/$(notdir $(d)).so)
define PLUGIN_RULE
$(1)/$(notdir $(1)).so: $(wildcard $(1)/*.c $(1)/*.h $(1)/PKGS) engine/kf_plugin.h
	$$(CC) $$(WARN) -O2 -g -fPIC -shared -fvisibility=hidden -Iengine $$(PKG_CFLAGS) -o $$@ $(wildcard $(1)/*.c) $$(shell pkg-config --cflags --libs jansson $$(shell cat $(1)/PKGS 2>/dev/null))
endef
$(foreach d,$(PLUGIN_DIRS),$(eval $(call PLUGIN_RULE,$(d))))

.PHONY: all run test test-pg asan asan-pg clean install deps bench bench-deps soak fuzz
all: $(BIN) $(UNIT_BIN) $(PLUGIN_SO)

deps:
	@scripts/install-deps.sh

$(BIN): $(ENGINE_OBJ) $(B)/engine/main.o
	$(CC) $(ALL_LDFLAGS) $(OPT) $(CFLAGS) -o $@.tmp $(filter %.o,$^) $(LIBS) && mv -f $@.tmp $@

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iengine -c -o $@ $<

# The engine's Lua half, compiled in as C strings (no file loading at run time).
$(B)/embed.c: $(ENGINE_LUA) scripts/embed.sh
	@mkdir -p $(B)
	scripts/embed.sh $(ENGINE_LUA) > $@

$(B)/embed.o: $(B)/embed.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The access policy's test links the policy alone.
$(B)/tests/test_access: tests/unit/test_access.c $(B)/engine/access.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iengine -o $@ $(filter %.c %.o,$^) $(LIBS)

# The plugin loader's test links the loader and what it stands on, nothing above it.
$(B)/tests/test_plugin: tests/unit/test_plugin.c $(B)/engine/util.o $(B)/engine/store.o $(B)/engine/store_sqlite.o $(B)/engine/store_sqlite_wal.o $(B)/engine/store_pg.o $(B)/engine/store_log.o $(B)/engine/store_json.o $(B)/engine/sha256.o $(B)/engine/plugin.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iengine -o $@ $(filter %.c %.o,$^) $(LIBS)

$(B)/tests/%: tests/unit/%.c $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iengine -o $@ $(filter %.c %.o,$^) $(LIBS)

run: deps all
	scripts/run.sh

# Benchmarks (BENCH.md): the engine beside raw SQLite, the console beside bare libmicrohttpd.
BENCH_BIN := $(B)/bench/bench $(B)/bench/bare_server $(B)/bench/reference
bench-deps:
	@scripts/install-deps.sh wrk curl

$(B)/bench/bench: bench/bench.c bench/reference.c bench/reference.h $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iengine -o $@ $(filter %.c %.o,$^) $(LIBS)

$(B)/bench/reference: bench/reference_main.c bench/reference.c bench/reference.h $(ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iengine -o $@ $(filter %.c %.o,$^) $(LIBS)

$(B)/bench/bare_server: bench/bare_server.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags libmicrohttpd 2>/dev/null) -o $@ $< \
	  $(shell pkg-config --libs libmicrohttpd 2>/dev/null) $(LIBS)

# The PostgreSQL phase starts a throwaway cluster in BENCH_PG_DIR and stops it; should the
# bench die before, the cluster is stopped here (an empty folder is removed).
bench: bench-deps all $(BENCH_BIN)
	@pg=$$(mktemp -d "$${TMPDIR:-/tmp}/kinflow-bench-pg.XXXXXX") || exit 1; \
	KINFLOW_BIN=$(CURDIR)/$(BIN) BARE_BIN=$(CURDIR)/$(B)/bench/bare_server \
	  REFERENCE_BIN=$(CURDIR)/$(B)/bench/reference BENCH_PG_DIR="$$pg" $(B)/bench/bench; rc=$$?; \
	if [ -f "$$pg/.kinflow-pg-cluster" ]; then scripts/pg-cluster.sh stop "$$pg"; else rm -rf "$$pg"; fi; \
	exit $$rc

# Every suite on SQLite and again on PostgreSQL (a throwaway cluster), the two side by side.
test: deps all
	KINFLOW_BIN=$(CURDIR)/$(BIN) UNIT_DIR=$(CURDIR)/$(B)/tests STORE="sqlite postgresql" tests/run.sh

# The CLI, HTTP and scenario suites (and unit tests named test_pg*) on a throwaway PostgreSQL
# cluster of their own (scripts/pg-cluster.sh; postgresql-15 is installed when missing).
test-pg: deps all
	KINFLOW_BIN=$(CURDIR)/$(BIN) UNIT_DIR=$(CURDIR)/$(B)/tests STORE=postgresql tests/run.sh

# AddressSanitizer + UndefinedBehaviorSanitizer build, and the whole suite under it (both stores).
asan: deps
	$(MAKE) B=build/asan BIN=kinflow-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  KINFLOW_BIN=$(CURDIR)/kinflow-asan UNIT_DIR=$(CURDIR)/build/asan/tests KINFLOW_SANITIZED=1 \
	  STORE="sqlite postgresql" tests/run.sh

# The same, the sanitized build on PostgreSQL (as test-pg).
asan-pg: deps
	$(MAKE) B=build/asan BIN=kinflow-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  KINFLOW_BIN=$(CURDIR)/kinflow-asan UNIT_DIR=$(CURDIR)/build/asan/tests KINFLOW_SANITIZED=1 STORE=postgresql tests/run.sh

# kill -9 at random moments during thousands of commands (tests/cli/crash.sh, longer).
soak: deps all
	KINFLOW_BIN=$(CURDIR)/$(BIN) KINFLOW_CRASH_ITER=$${KINFLOW_CRASH_ITER:-3000} bash tests/cli/crash.sh

# libFuzzer harnesses (tests/fuzz/NAME.c) built with clang over the engine's sources under
# ASan + UBSan into build/fuzz/, each run FUZZ_SECONDS on its seeds (tests/fuzz/run.sh).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all -DKF_SHARE_DIR='"$(PREFIX)/share/kinflow"' -Iengine
FUZZ_OBJ     := $(ENGINE_SRC:%.c=build/fuzz/%.o) build/fuzz/embed.o
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/*.c))
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/engine/%.o: engine/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<

build/fuzz/embed.o: build/embed.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(LIBS)

fuzz: deps
	@scripts/install-deps.sh clang libclang-rt-14-dev
	$(MAKE) B=build build/embed.c $(PLUGIN_SO)
	$(MAKE) FUZZ_CC=$(FUZZ_CC) $(FUZZ_BIN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/kinflow
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kinflow
	cp -r plugins workflows $(DESTDIR)$(PREFIX)/share/kinflow/

clean:
	rm -rf build $(BIN) kinflow-asan tests/out $(PLUGIN_SO)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
