# Salespulse build.
#
#   make            build everything (release flags, warnings are errors)
#   make test       install missing packages, build with ASan + UBSan, lint, run unit
#                   then integration tests, validate docker-compose.yml and deploy/k8s
#   make run        install, build, start the local stack and every service
#   make up|down|status   local stack under .run/ (see deploy/local/)
#   make bench | lint | format | clean
#
# Generated protobuf-c code goes to build/gen/; objects and binaries to
# build/release/ (default) or build/asan/ (SANITIZE=1), so both coexist.

.DEFAULT_GOAL := all
# Keep intermediate objects (test and bench .o files) between runs.
.SECONDARY:
SHELL := /bin/bash

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build/asan
else
BUILD ?= build/release
endif
GEN := build/gen

PKGS := libczmq libzmq libsodium libprotobuf-c hiredis libpq jansson libmicrohttpd
# Recursive (=) so pkg-config runs only when a rule needs it, after `deps`.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

CC ?= cc
CFLAGS_BASE := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
    -Wall -Wextra -Werror -Wstrict-prototypes -Wwrite-strings \
    -Wshadow -Wformat=2 -Wno-format-nonliteral -g -MMD -MP
ifeq ($(SANITIZE),1)
OPT_FLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=all
LD_SAN := -fsanitize=address,undefined
else
OPT_FLAGS := -O2
LD_SAN :=
endif
# common/ is layered (contract, seams, service, consumer); headers are
# included by name, so every layer is on the include path.
COMMON_LAYERS := contract seams service consumer
INCLUDES := $(addprefix -Icommon/,$(COMMON_LAYERS)) -I$(GEN)
CFLAGS_ALL = $(CFLAGS_BASE) $(OPT_FLAGS) $(INCLUDES) $(PKG_CFLAGS) $(SERVICE_PKG_CFLAGS) $(CFLAGS)
# Generated code is not ours to fix: keep warnings on, but not -Werror.
CFLAGS_GEN = $(filter-out -Werror -Wshadow,$(CFLAGS_ALL))
LDLIBS_ALL = $(LD_SAN) $(PKG_LIBS) -lm -lpthread $(LDFLAGS)

# ---------------------------------------------------------------- sources
PROTOS := $(wildcard proto/*.proto)
GEN_C := $(PROTOS:proto/%.proto=$(GEN)/%.pb-c.c)
# The default funnel, compiled into funnel-tracker from its one source.
FUNNEL_DEFAULT_H := $(GEN)/funnel_default_json.h
GEN_H := $(GEN_C:.c=.h) $(FUNNEL_DEFAULT_H)
COMMON_SRC := $(wildcard $(addsuffix /*.c,$(addprefix common/,$(COMMON_LAYERS))))
LIB := $(BUILD)/lib/libsalespulse.a
LIB_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_C:$(GEN)/%.c=$(BUILD)/obj/gen/%.o)

SERVICES := activity-ingest funnel-tracker kpi-evaluator churn-alerting incentive-calculator
TOOLS := salesctl
PROGRAMS := $(foreach s,$(SERVICES),$(if $(wildcard services/$(s)/*.c),$(BUILD)/bin/$(s))) \
    $(foreach t,$(TOOLS),$(if $(wildcard tools/$(t)/*.c),$(BUILD)/bin/$(t)))
# Programs only tests and benchmarks run (e.g. counting-consumer, the
# consumer framework's reference handler), one per tests/programs/<name>/.
TEST_PROGRAM_DIRS := $(patsubst %/,%,$(dir $(wildcard tests/programs/*/*.c)))
TEST_PROGRAMS := $(sort $(foreach d,$(TEST_PROGRAM_DIRS),$(BUILD)/bin/$(notdir $(d))))

UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
HARNESS_SRC := $(wildcard tests/integration/harness/*.c)
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/obj/%.o)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard bench/support/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all lib programs deps test check unit integration compose-check compose-cluster-check k8s-check run up \
    down status bench lint format clean
all: lib programs
lib: $(LIB)
programs: $(PROGRAMS) $(TEST_PROGRAMS)

# ---------------------------------------------------------------- protobuf
$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: proto/%.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) $<

# deploy/funnels/default.json as one C string literal, line by line.
$(FUNNEL_DEFAULT_H): deploy/funnels/default.json
	@mkdir -p $(GEN)
	{ echo '/* Generated from $< by the Makefile: do not edit. */'; \
	  echo '#define FUNNEL_DEFAULT_JSON \'; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n" \\/' $<; \
	  echo '    ""'; } > $@.tmp && mv $@.tmp $@

# ---------------------------------------------------------------- objects
$(BUILD)/obj/gen/%.o: $(GEN)/%.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_GEN) -c $< -o $@

$(BUILD)/obj/tests/integration/%.o: INCLUDES += -Itests/integration/harness

$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# ---------------------------------------------------------------- services
# Every service folder gets its rules from one template (SERVICE_template):
#   - its binary, from every .c of the folder and the library;
#   - its LOGIC objects, every .c but main.c: its unit tests
#     (tests/unit/<service>/) and its integration tests link them;
#   - its FACE objects: what tools (salesctl) and benchmarks may link of
#     it, i.e. its definitions, key names, queries and rendering. Never
#     its handler, notifier or actor: a tool links faces only, so a face
#     file that comes to need one of those fails the tool's link. Each
#     service lists its face files below, <service>_FACE (file names
#     without .c; empty when tools need nothing of it); the Makefile
#     stops when a listed file does not exist.
#   - <service>_TESTS: the prefix of its integration tests
#     (tests/integration/test_<prefix>_*.c), which also link its logic.
# docs/architecture.md, "Faces", says what belongs in a face.
activity-ingest_FACE := ingest_copy ingest_digest
funnel-tracker_FACE := funnel_definition funnel_definition_use funnel_steps funnel_keys \
    funnel_report funnel_median funnel_query funnel_render funnel_notice funnel_notice_store \
    funnel_catalog
funnel-tracker_TESTS := funnel
kpi-evaluator_TESTS := kpi
kpi-evaluator_FACE := kpi_catalog kpi_keys kpi_customers kpi_targets kpi_targets_use \
    kpi_scorecard kpi_close kpi_forecast kpi_pace kpi_reference kpi_query kpi_evaluate \
    kpi_warning kpi_warning_store
churn-alerting_TESTS := churn
incentive-calculator_TESTS := incentive
churn-alerting_FACE := churn_model churn_rules churn_customer churn_score churn_keys \
    churn_tiers churn_reference churn_population churn_query churn_lifecycle churn_history \
    churn_alert churn_alert_store churn_alert_store_write churn_array_text
incentive-calculator_FACE := incentive_plan incentive_plan_use incentive_plan_terms incentive_rates \
    incentive_keys incentive_record incentive_credit incentive_draw incentive_ledger \
    incentive_ledger_periods \
    incentive_ledger_statement incentive_statement incentive_statement_terms \
    incentive_statement_rollup incentive_statement_overlay incentive_statement_true_up \
    incentive_statement_closed incentive_statement_text incentive_statement_lines \
    incentive_statement_write \
    incentive_contest incentive_query \
    incentive_query_contest incentive_query_marks incentive_query_team \
    incentive_close incentive_outbox
# Libraries (pkg-config names) only one service uses: compiled into its
# objects and linked into its binary, its unit and its integration tests,
# never into the library, tools or benchmarks (a face must not need them).
# churn-alerting's forwarder to Alertmanager posts with libcurl.
churn-alerting_PKGS := libcurl

define SERVICE_template
$(1)_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard services/$(1)/*.c))
$(1)_LOGIC_OBJ := $$(filter-out %/main.o,$$($(1)_OBJ))
$(1)_FACE_OBJ := $(patsubst %,$(BUILD)/obj/services/$(1)/%.o,$($(1)_FACE))
# Recursive, so pkg-config runs only when a rule needs it (after `deps`).
$(1)_PKG_CFLAGS = $$(if $$($(1)_PKGS),$$(shell pkg-config --cflags $$($(1)_PKGS)))
$(1)_PKG_LIBS = $$(if $$($(1)_PKGS),$$(shell pkg-config --libs $$($(1)_PKGS)))
$(BUILD)/obj/services/$(1)/%.o: SERVICE_PKG_CFLAGS = $$($(1)_PKG_CFLAGS)
$(foreach f,$($(1)_FACE),$(if $(wildcard services/$(1)/$(f).c),,$(error $(1)_FACE: no services/$(1)/$(f).c)))

ifneq ($$($(1)_OBJ),)
$(BUILD)/bin/$(1): $$($(1)_OBJ) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$(filter-out %.a,$$^) $(LIB) -o $$@ $$($(1)_PKG_LIBS) $$(LDLIBS_ALL)
endif

$(BUILD)/obj/tests/unit/$(1)/%.o: INCLUDES += -Iservices/$(1)
$(BUILD)/tests/unit/$(1)/%: $(BUILD)/obj/tests/unit/$(1)/%.o $$($(1)_LOGIC_OBJ) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$^ -o $$@ $$($(1)_PKG_LIBS) $$(LDLIBS_ALL) -lcmocka

ifneq ($($(1)_TESTS),)
$(BUILD)/obj/tests/integration/test_$($(1)_TESTS)_%.o: INCLUDES += -Iservices/$(1)
$(BUILD)/tests/integration/test_$($(1)_TESTS)_%: \
    $(BUILD)/obj/tests/integration/test_$($(1)_TESTS)_%.o $(HARNESS_OBJ) $$($(1)_LOGIC_OBJ) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$(filter-out %.a,$$^) $(LIB) -o $$@ $$($(1)_PKG_LIBS) $$(LDLIBS_ALL) \
	    -lcmocka
endif
endef
$(foreach s,$(SERVICES),$(eval $(call SERVICE_template,$(s))))

# Every service's face, for the benchmarks.
FACE_OBJ := $(foreach s,$(SERVICES),$($(s)_FACE_OBJ))

# ---------------------------------------------------------------- tools
# A tool is one binary from all the .c files of tools/<tool>/, the
# library, and the faces of the services in <tool>_SERVICES (whose
# headers it includes as "<service>/<file>.h"): never a service's logic.
# Programs only tests and benchmarks run (tests/programs/<name>/) use the
# same template, without services unless <name>_SERVICES says (churn-replay
# replays the retail data through churn-alerting's pure face).
salesctl_SERVICES := funnel-tracker kpi-evaluator churn-alerting incentive-calculator
churn-replay_SERVICES := churn-alerting

define PROGRAM_template
ifneq ($($(notdir $(1))_SERVICES),)
$(BUILD)/obj/$(1)/%.o: INCLUDES += -Iservices
endif
$(BUILD)/bin/$(notdir $(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(1)/*.c)) \
    $(foreach s,$($(notdir $(1))_SERVICES),$($(s)_FACE_OBJ)) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$(filter-out %.a,$$^) $(LIB) -o $$@ $$(LDLIBS_ALL)
endef
$(foreach t,$(TOOLS),$(if $(wildcard tools/$(t)/*.c),$(eval $(call PROGRAM_template,tools/$(t)))))
$(foreach d,$(sort $(TEST_PROGRAM_DIRS)),$(eval $(call PROGRAM_template,$(d))))

# ---------------------------------------------------------------- tests and benchmarks
$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(HARNESS_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL) -lcmocka

# Benchmarks start their own servers with the integration-test harness
# and may measure what the services' faces hold (every service's face,
# never its logic); bench/support/ holds what they share.
$(BUILD)/obj/bench/%.o: INCLUDES += -Itests/integration/harness -Iservices -Ibench/support
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_SUPPORT_OBJ) $(HARNESS_OBJ) $(FACE_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

-include $(shell find build -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- packages
deps:
	@deploy/local/install-deps.sh

# ---------------------------------------------------------------- tests
test: deps
	@$(MAKE) --no-print-directory SANITIZE=1 check

check: all $(TEST_PROGRAMS) $(UNIT_BIN) $(INTEG_BIN) $(BENCH_BIN) compose-check compose-cluster-check k8s-check lint
	@tests/run-tests.sh $(BUILD) $(UNIT_BIN) -- $(INTEG_BIN)

unit: all $(UNIT_BIN)
	@tests/run-tests.sh $(BUILD) $(UNIT_BIN) --

integration: all $(TEST_PROGRAMS) $(INTEG_BIN)
	@tests/run-tests.sh $(BUILD) -- $(INTEG_BIN)

# docker-compose.yml alone and with its Redis Cluster and PostgreSQL
# replica variants (deploy/docker/README.md).
compose-check:
	docker-compose -f docker-compose.yml config -q
	docker-compose -f docker-compose.yml -f docker-compose.cluster.yml config -q
	docker-compose -f docker-compose.yml -f docker-compose.replica.yml config -q
	docker-compose -f docker-compose.yml -f docker-compose.cluster.yml -f docker-compose.replica.yml config -q

# The variants' secrets step, Redis Cluster and standby run for real on
# this machine's servers (tests/compose-cluster-check.py).
compose-cluster-check: all
	python3 tests/compose-cluster-check.py $(BUILD)/bin

# deploy/k8s against the code, the built services' --help and
# docker-compose.yml (no cluster needed; deploy/k8s/README.md).
k8s-check: all
	python3 tests/k8s-check.py $(BUILD)/bin

# ---------------------------------------------------------------- local stack
run: deps
	@$(MAKE) --no-print-directory all
	@deploy/local/run.sh $(BUILD)

up: all
	@deploy/local/stack.sh up $(BUILD)

down:
	@deploy/local/stack.sh down

status:
	@deploy/local/stack.sh status

# ---------------------------------------------------------------- quality
bench: all $(TEST_PROGRAMS) $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

lint: $(GEN_H)
	@tests/lint.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
