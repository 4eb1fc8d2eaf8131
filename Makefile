# driftwarden: the single entry point for building, checking and testing.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/driftwarden
DEMO    := examples/demo/driftwarden.yaml

.PHONY: all build test test-race lint fmt vet policy-test demo scan bench docker clean

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

policy-test: build ## the built-in policy library's Rego tests
	$(BIN) policy test

demo: ## run the daemon on the bundled demo data
	$(GO) run ./cmd/driftwarden run --config $(DEMO)

scan: ## one cycle on the demo data, printed
	$(GO) run ./cmd/driftwarden scan --config $(DEMO)

bench: ## the performance benchmarks (one core), figures printed
	$(GO) test -run '^$$' -bench . -benchtime 1x -cpu 1 ./collectors/tfstate/ ./drift/ ./evaluator/

docker:
	docker build -t driftwarden:$(VERSION) --build-arg VERSION=$(VERSION) .

clean:
	rm -rf bin/ examples/demo/*.db*
