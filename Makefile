# CPOR Claims — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/cpor
# SQLite's query-planner stability guarantee: without it SQLite re-plans a
# statement each time new values are bound to it (the planner may use bound
# values with the claims table's partial indexes), and a prepared claim read
# cost 70 µs instead of 10 µs. Every target builds with it; the server warns
# at start-up when built without it.
export CGO_CFLAGS := $(or $(CGO_CFLAGS),-O2 -g) -DSQLITE_ENABLE_QPSG -DSQLITE_DEFAULT_MEMSTATUS=0

.PHONY: help run build test test-short generate check-generated lint bench bench-go clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

generate: ## Regenerate templ code (go tool templ generate)
	$(GO) tool templ generate

build: generate ## Build bin/cpor
	$(GO) build -o $(BIN) ./cmd/cpor

run: build ## Build and serve on 127.0.0.1:8080 in dev mode with demo data (data/cpor.db)
	CPOR_DEV=1 ./$(BIN) serve

test: check-generated ## Run every test, browser tests included
	npm ci --prefix handlers/browser --ignore-scripts --no-audit --no-fund
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

test-short: ## Run the tests without the browser suite
	$(GO) test -count=1 -short ./...

check-generated: ## Fail if the committed *_templ.go files are stale
	@$(GO) tool templ generate >/dev/null
	@git diff --exit-code --stat -- '*_templ.go' || (echo "templ output is stale: run 'make generate' and commit" && exit 1)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed" && exit 1)

lint: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)

bench: build ## Seed (or reuse) a 1M-claim database and measure the server under load
	./scripts/bench.sh

bench-go: ## Go benchmarks of the hot pieces (engine apply, deadlines, list rendering, an email)
	$(GO) test ./models/ -run XXX -bench . -benchtime 2000x
	$(GO) test ./views/claims/ ./views/emails/ -run XXX -bench . -benchmem

clean: ## Remove build output
	rm -rf bin test-output
