# driftwarden: the single entry point for building, checking and testing.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/driftwarden
DEMO    := examples/demo/driftwarden.yaml

.PHONY: all build test test-race lint fmt vet policy-test rules-test dashboards-e2e demo scan bench docker clean

all: lint test build

build: ## static binary in bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/driftwarden

test: ## the whole test suite (the README's command)
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

lint: fmt vet

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

policy-test: build ## the built-in policy library's Rego tests, with coverage
	$(BIN) policy test --coverage --min-coverage 90

policy-lint: build ## the built-in policy library's METADATA, controls and tests
	$(BIN) policy lint

.PHONY: policy-lint docs
docs: ## regenerate the policy catalogue (docs/policies.md)
	$(GO) run ./cmd/driftwarden policy list --output markdown > docs/policies.md

rules-test: ## promtool checks and unit tests of the Prometheus rules (Debian package prometheus)
	promtool check rules dashboards/rules/*.rules.yml
	promtool test rules dashboards/rules/tests/*.yml

dashboards-e2e: ## dashboards and rules against a real Prometheus scraping the demo daemon
	DRIFTWARDEN_E2E_PROMETHEUS=1 $(GO) test -count=1 -run 'TestPrometheusEndToEnd|TestPromtool' ./dashboards/

demo: ## run the daemon on the bundled demo data
	$(GO) run ./cmd/driftwarden run --config $(DEMO)

scan: ## one cycle on the demo data, printed
	$(GO) run ./cmd/driftwarden scan --config $(DEMO)

bench: ## the performance benchmarks (one core), figures printed
	$(GO) test -run '^$$' -bench . -benchtime 1x -cpu 1 ./collectors/tfstate/ ./drift/ ./evaluator/
	$(GO) test -run '^$$' -bench 'DecompressOnly|Ingest$$|IngestRatio' -benchtime 40x -count 3 -cpu 1 ./collectors/cloudtrail/

REPORT_HTML ?= bin/demo-report.html
REPORT_PNG  ?= bin/demo-report.png
report-png: build ## demo scan, HTML audit report, rendered to a PNG by headless Chromium
	@command -v chromium >/dev/null || { echo "installing chromium (Debian package)"; apt-get update && apt-get install -y chromium; }
	$(BIN) scan --config $(DEMO) >/dev/null
	$(BIN) report --config $(DEMO) --period 30d --format html --output $(REPORT_HTML)
	$(BIN) report verify $(REPORT_HTML)
	profile=$$(mktemp -d) && chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --user-data-dir=$$profile \
		--screenshot=$(abspath $(REPORT_PNG)) --window-size=1280,2000 file://$(abspath $(REPORT_HTML)); \
		rc=$$?; rm -rf $$profile; exit $$rc
	@echo "look at $(REPORT_PNG)"

docker:
	docker build -t driftwarden:$(VERSION) --build-arg VERSION=$(VERSION) .

clean:
	rm -rf bin/ examples/demo/*.db*
