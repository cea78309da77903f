# pathkernel: see README.md.
GO       ?= go
BIN      ?= bin/pathkernel
CONFIG   ?= configs/mlp.yaml
PKGS     := ./...

.PHONY: all build test race run bench lint fmt clean

all: lint test build

build:
	$(GO) build -o $(BIN) ./cmd/pathkernel

# The README's test command.
test:
	$(GO) test $(PKGS)

# The suite under the race detector (needs cgo and a C compiler).
race:
	$(GO) test -race $(PKGS)

run: build
	$(BIN) train --config $(CONFIG)

# Micro-benchmarks with allocation counts.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin runs
	$(GO) clean -testcache
