# sipdialog — the commands of the README. The real build is CMake; this file
# only names the goals and installs what they need.

JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local

BUILD      = build
BUILD_TEST = build-test
BUILD_FUZZ = build-fuzz
BUILD_BENCH = build-bench

.PHONY: all deps build demo test bench fuzz install clean format docs

all: build

build:
	@scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPD_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The main job.
demo: build
	@scripts/demo.sh $(BUILD)/sipdialog

# Everything under ASan and UBSan, through ctest, with a short fuzz smoke.
test:
	@scripts/deps.sh test
	cmake -S . -B $(BUILD_TEST) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	      -DSIPD_SANITIZE=ON -DSIPD_FUZZ=ON -DSIPD_TESTS=ON >/dev/null
	cmake --build $(BUILD_TEST) -j $(JOBS)
	cd $(BUILD_TEST) && ctest --output-on-failure -j $(JOBS)

bench:
	@scripts/deps.sh bench
	cmake -S . -B $(BUILD_BENCH) -DCMAKE_BUILD_TYPE=Release -DSIPD_BENCH=ON -DSIPD_TESTS=OFF >/dev/null
	cmake --build $(BUILD_BENCH) -j $(JOBS)
	bench/run.sh $(BUILD_BENCH)

# Longer fuzzing: FUZZ_SECONDS per target (default 300).
fuzz:
	@scripts/deps.sh fuzz
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	      -DSIPD_SANITIZE=ON -DSIPD_FUZZ=ON -DSIPD_TESTS=OFF >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	fuzz/run.sh $(BUILD_FUZZ)/fuzz $${FUZZ_SECONDS:-300}

# The API reference from the public headers, in build-docs/html.
docs:
	@scripts/deps.sh docs
	mkdir -p build-docs
	doxygen docs/Doxyfile
	@echo "docs: build-docs/html/index.html"

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i include/sipdialog/*.h src/*/*.c src/*/*.h tools/*.c

clean:
	rm -rf $(BUILD) $(BUILD_TEST) $(BUILD_FUZZ) $(BUILD_BENCH) build-docs
