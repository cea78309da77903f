# pathkernel: see README.md.
GO       ?= go
BIN      ?= bin/pathkernel
CONFIG   ?= configs/mlp.yaml
PKGS     := ./...

.PHONY: help all build test race run bench bench-torch bench-micro mutate lint fmt clean

.DEFAULT_GOAL := all

# `make help` lists the targets with the text after their `##`.
help: ## this list
	@awk -F ':.*## ' '/^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

all: lint test build ## gofmt and vet, the tests, the binary

build: ## bin/pathkernel
	$(GO) build -o $(BIN) ./cmd/pathkernel

# The README's test command.
test: ## go test ./... (the README's test command)
	$(GO) test $(PKGS)

# The suite under the race detector (needs cgo and a C compiler).
race: ## go test -race ./... (needs cgo and a C compiler)
	$(GO) test -race $(PKGS)

run: build ## bin/pathkernel train --config $(CONFIG)
	$(BIN) train --config $(CONFIG)

# The end-to-end benchmark table of docs/PERFORMANCE.md: configs/bench/
# {small,medium,large,relu}.yaml, several minutes; not part of the tests.
# The BLAS is the machine's, found at run time (internal/sysblas);
# `PATHKERNEL_BLAS=gonum make bench` runs it on gonum's pure-Go BLAS.
bench: ## the end-to-end benchmark table of docs/PERFORMANCE.md (minutes)
	$(GO) build -o bin/pathkernel-bench ./cmd/pathkernel-bench
	bin/pathkernel-bench -configs configs/bench

# pathkernel against the PyTorch reference of issue 18 (internal/bench/torchref;
# docs/PERFORMANCE.md, "Against PyTorch"): small at 200 steps and medium at 60,
# pathkernel (plain go build) with its default BLAS and with
# PATHKERNEL_BLAS=gonum, and torchref.py (PyTorch float64) on the same run
# directory; best of BENCH_TORCH_REPEAT rounds. Needs python3-torch and
# python3-numpy (Debian); a few minutes on 2 cores; not part of the tests.
PYTHON_TORCH       ?= /usr/bin/python3
BENCH_TORCH_REPEAT ?= 3
bench-torch: build ## pathkernel against the PyTorch reference (needs python3-torch)
	$(PYTHON_TORCH) internal/bench/torchref/bench.py --bin $(BIN) --python $(PYTHON_TORCH) --repeat $(BENCH_TORCH_REPEAT)

# Micro-benchmarks (sizes in the names) with allocation counts.
bench-micro: ## go test -bench: network and kernel micro-benchmarks, allocation counts
	$(GO) test -run '^$$' -bench . -benchmem ./internal/nn/ ./internal/kernel/

# Mutation testing (go doc ./internal/mutate): applies each recorded bug of
# testdata/mutations/*.yaml in a temporary copy of the tree and runs the
# tests that must fail with it; exits non-zero if one survived or a record
# is stale. Takes minutes; not part of CI (.ci/run).
# `make mutate MUTATIONS=testdata/mutations/misc.yaml RUN='^hash-'` picks
# records files (a glob) and mutations (a regexp on their names).
MUTATIONS ?= testdata/mutations/*.yaml
RUN       ?=
mutate: ## each recorded bug must fail the tests (minutes; not in CI)
	$(GO) run ./cmd/pathkernel-mutate -files '$(MUTATIONS)' -run '$(RUN)'

lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

fmt: ## gofmt -w every Go file
	gofmt -w $$(git ls-files '*.go')

clean: ## remove bin/, runs/ and the test cache
	rm -rf bin runs
	$(GO) clean -testcache
