# firebreak — the two commands a newcomer needs: `make demo` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
DATA_DIR ?= firebreak-data

# ccache keys on paths relative to the checkout, so a fresh clone in another folder (as
# CI makes) reuses what an earlier build on the same machine compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build test test-plain test-sanitized demo console bench golden fuzz clean

all: build

# Checks every package each time (a second or so) and installs only what is missing.
deps:
	./scripts/install-deps.sh

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake -S . -B $(BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The whole suite, built in its own directory with AddressSanitizer (leaks included) and
# UndefinedBehaviorSanitizer, where any report fails the test that caused it; asserts
# are on. `make test-plain` runs the same suite on the build `make demo` and `make bench`
# use. One build, not both, keeps a cold `make test` on two cores near 13 minutes.
test: test-sanitized

test-plain: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

SAN_BUILD_DIR ?= build-sanitized
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test-sanitized: deps
	@test -f $(SAN_BUILD_DIR)/build.ninja || cmake -S . -B $(SAN_BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DFIREBREAK_SANITIZE=ON \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
	cmake --build $(SAN_BUILD_DIR) -j $(JOBS)
	cd $(SAN_BUILD_DIR) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) --timeout 300

demo: build
	mkdir -p $(DATA_DIR)
	rm -f $(DATA_DIR)/demo.sqlite $(DATA_DIR)/demo.sqlite-wal $(DATA_DIR)/demo.sqlite-shm
	$(BUILD_DIR)/firebreak demo --data-dir $(DATA_DIR)

console: build
	mkdir -p $(DATA_DIR)
	$(BUILD_DIR)/firebreak console --data-dir $(DATA_DIR)

# Builds and runs every benchmark program in bench/; fails at the end if any missed its target.
# Ends with one table of every target, gathered from the programs' "summary" lines.
bench: build
	@missed=""; rm -f $(BUILD_DIR)/bench-summary.tsv; \
	for b in $(BUILD_DIR)/bench/*_bench; do echo "== $$b"; \
	  $$b > $(BUILD_DIR)/bench-output.txt 2>&1 || missed="$$missed $$(basename $$b)"; \
	  grep -v '^summary' $(BUILD_DIR)/bench-output.txt; \
	  grep '^summary' $(BUILD_DIR)/bench-output.txt | cut -f2- >> $(BUILD_DIR)/bench-summary.tsv; \
	done; \
	echo "== every target ($$(nproc) cores, $$(uname -r))"; \
	awk -F'\t' '{ printf "  %-55s %-42s %-10s %s\n", $$1, $$2, $$3, $$4 }' $(BUILD_DIR)/bench-summary.tsv; \
	if [ -n "$$missed" ]; then echo "targets missed by:$$missed"; exit 1; fi

# Rewrites the postmortem golden files (tests/postmortem/golden/) from the bundled example,
# then checks them; review `git diff` before committing. The first run fails by design.
golden: build
	-FIREBREAK_UPDATE_GOLDEN=1 $(BUILD_DIR)/tests/postmortem_tests '[golden]' > /dev/null
	$(BUILD_DIR)/tests/postmortem_tests '[golden]'

# Builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan in their own build
# directory and runs each for FUZZ_SECONDS, one at a time, from its seeds in
# fuzz/corpus/<target>/ (only read) with the words of fuzz/dict/<target>.dict. Inputs
# it discovers go to $(FUZZ_BUILD_DIR)/corpus/<target>/, crashing ones to
# $(FUZZ_BUILD_DIR)/crashes/<target>/, each run's output to $(FUZZ_BUILD_DIR)/logs/<target>.log.
# Fails if any target crashed.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= command_parser slack_envelope matrix_sync transcript config
FUZZ_FLAGS ?= -timeout=30 -rss_limit_mb=2048

fuzz: deps
	./scripts/install-fuzz-deps.sh
	@test -f $(FUZZ_BUILD_DIR)/build.ninja || cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DFIREBREAK_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzzers
	@crashed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD_DIR)/crashes/$$t $(FUZZ_BUILD_DIR)/corpus/$$t $(FUZZ_BUILD_DIR)/logs; \
	  echo "== $$t: $(FUZZ_SECONDS) s (log: $(FUZZ_BUILD_DIR)/logs/$$t.log)"; \
	  if nice -n 10 $(FUZZ_BUILD_DIR)/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	      $(FUZZ_FLAGS) -dict=fuzz/dict/$$t.dict -artifact_prefix=$(FUZZ_BUILD_DIR)/crashes/$$t/ \
	      $(FUZZ_BUILD_DIR)/corpus/$$t fuzz/corpus/$$t < /dev/null > $(FUZZ_BUILD_DIR)/logs/$$t.log 2>&1; then \
	    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' $(FUZZ_BUILD_DIR)/logs/$$t.log; \
	  else \
	    crashed="$$crashed $$t"; \
	    grep -E -A12 '^==[0-9]+==ERROR|runtime error|^fuzz: |deadly signal|Test unit written' \
	      $(FUZZ_BUILD_DIR)/logs/$$t.log | head -40; \
	  fi; \
	done; \
	if [ -n "$$crashed" ]; then \
	  echo "crashed:$$crashed (inputs in $(FUZZ_BUILD_DIR)/crashes/; keep each, once fixed, in fuzz/regressions/<target>/)"; \
	  exit 1; \
	fi

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR)
