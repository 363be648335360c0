# firebreak — the two commands a newcomer needs: `make demo` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
DATA_DIR ?= firebreak-data

.PHONY: all deps configure build test demo console bench golden clean

all: build

# Checks every package each time (a second or so) and installs only what is missing.
deps:
	./scripts/install-deps.sh

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake -S . -B $(BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

demo: build
	mkdir -p $(DATA_DIR)
	rm -f $(DATA_DIR)/demo.sqlite $(DATA_DIR)/demo.sqlite-wal $(DATA_DIR)/demo.sqlite-shm
	$(BUILD_DIR)/firebreak demo --data-dir $(DATA_DIR)

console: build
	mkdir -p $(DATA_DIR)
	$(BUILD_DIR)/firebreak console --data-dir $(DATA_DIR)

# Builds and runs every benchmark program in bench/; fails at the end if any missed its target.
bench: build
	@missed=""; for b in $(BUILD_DIR)/bench/*_bench; do echo "== $$b"; $$b || missed="$$missed $$(basename $$b)"; done; \
	  if [ -n "$$missed" ]; then echo "targets missed by:$$missed"; exit 1; fi

# Rewrites the postmortem golden files (tests/postmortem/golden/) from the bundled example,
# then checks them; review `git diff` before committing. The first run fails by design.
golden: build
	-FIREBREAK_UPDATE_GOLDEN=1 $(BUILD_DIR)/tests/postmortem_tests '[golden]' > /dev/null
	$(BUILD_DIR)/tests/postmortem_tests '[golden]'

clean:
	rm -rf $(BUILD_DIR)
