# dmplan — the two commands a newcomer needs are `make run` and `make test`.
# Everything they need is installed here; nothing else is assumed but Go,
# Node.js and npm.

GO          ?= go
BIN         := $(CURDIR)/.bin
DMPLAN      := $(BIN)/dmplan
HARNESS     := backend/cloudflare/harness
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
EXAMPLES    := examples
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: all build run test test-go lint vet staticcheck lint-workflows harness bench bench-gateway fuzz test-cloudflare clean

all: build

# CGO_ENABLED=0: a static binary, as `CGO_ENABLED=0 go install` gives. SQLite
# is pure Go; cgo would only link libc for net's DNS resolver, and dynamic
# loading costs every command a few milliseconds at start-up.
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o $(DMPLAN) ./cmd/dmplan

# make run: validate, plan and apply examples/ against a fresh embedded local
# backend, then plan again to show that nothing is left to do. The admin seed
# reads ADMIN_EMAIL and ADMIN_PASSWORD; demo values are used when unset.
run: export ADMIN_EMAIL ?= admin@example.com
run: export ADMIN_PASSWORD ?= demo-password-change-me
run: build
	@rm -rf $(EXAMPLES)/.dmplan
	@echo "==> dmplan validate $(EXAMPLES)"
	@$(DMPLAN) validate $(EXAMPLES)
	@echo
	@echo "==> dmplan plan $(EXAMPLES)"
	@$(DMPLAN) plan $(EXAMPLES); status=$$?; [ $$status -eq 0 ] || [ $$status -eq 2 ] || exit $$status
	@echo
	@echo "==> dmplan apply -auto-approve $(EXAMPLES)"
	@$(DMPLAN) apply -auto-approve $(EXAMPLES)
	@echo
	@echo "==> dmplan plan $(EXAMPLES)   (again: nothing left to do)"
	@$(DMPLAN) plan -detailed-exitcode $(EXAMPLES)
	@echo
	@echo "==> dmplan history $(EXAMPLES)"
	@$(DMPLAN) history $(EXAMPLES)
	@echo
	@echo "The local D1 and KV files are in $(EXAMPLES)/.dmplan/ (plain SQLite)."

# make test: install what the tests need (npm packages for the workerd
# harness, staticcheck), then vet, lint and run every test.
test: harness lint test-go

test-go:
	$(GO) test -count=1 -timeout 15m ./...

harness: $(HARNESS)/node_modules/.installed

$(HARNESS)/node_modules/.installed: $(HARNESS)/package.json $(HARNESS)/package-lock.json
	cd $(HARNESS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: vet staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

# The live Cloudflare suite is behind a build tag; vet it too, so it keeps
# compiling although it only runs with an account (make test-cloudflare).
vet:
	$(GO) vet ./...
	$(GO) vet -tags cloudflare_live ./backend/cloudflare

# make lint-workflows: actionlint (its Go API, so nothing to install) over
# the example GitHub workflows in examples/github; make test runs it too,
# with the test that runs their dmplan steps against the harness.
lint-workflows:
	$(GO) test -count=1 -run 'TestExampleWorkflowsLint' ./cmd/dmplan

$(STATICCHECK):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

# make bench: every benchmark beside its hand-written baseline.
bench: harness
	$(GO) test -run='^$$' -bench=. -benchmem -count=3 ./...

# make bench-gateway: saves per second and requests per runtime operation
# with 8 concurrent clients, REST API versus the gateway Worker, both on the
# local workerd; prints the production ceiling each implies. Not part of
# make test.
BENCH_DURATION ?= 20s
bench-gateway: harness
	$(GO) run ./internal/gwbench -clients 8 -duration $(BENCH_DURATION)

# make fuzz: fuzz the HCL loader for a while, each target FUZZTIME (their
# seed corpora run in make test): no input may panic, and loading a file in
# pieces must give what loading it whole gives.
FUZZTIME ?= 60s
FUZZ_TARGETS := FuzzLoad FuzzSplit FuzzLoadPieces
fuzz:
	@for f in $(FUZZ_TARGETS); do \
		echo "==> $$f"; \
		$(GO) test ./hclspec -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) || exit 1; \
	done

# make test-cloudflare: the conformance suite against a real account.
# Needs CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID and DMPLAN_TEST_D1_DATABASE
# (a scratch database whose contents the suite may change).
test-cloudflare:
	@test -n "$$CLOUDFLARE_API_TOKEN" -a -n "$$CLOUDFLARE_ACCOUNT_ID" -a -n "$$DMPLAN_TEST_D1_DATABASE" || \
	  { echo "set CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID and DMPLAN_TEST_D1_DATABASE"; exit 1; }
	$(GO) test -count=1 -tags cloudflare_live -run Live ./backend/cloudflare/

clean:
	rm -rf $(BIN) $(EXAMPLES)/.dmplan
