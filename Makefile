# Dragons: the serverless app for AWS and the local cloud that runs it.
GO        ?= go
FUNCTIONS := $(notdir $(patsubst %/main.go,%,$(wildcard handlers/*/main.go)))
BUILD_DIR := build

.PHONY: run test unit lint lint-template build bench deploy fuzz clean

## run: start the local cloud with the dragons app (edge :4566, API :3000)
run:
	$(GO) run ./cmd/dragons up

## test: everything CI checks (vet, formatting, unit + integration tests, template lint)
test: lint unit lint-template

unit:
	$(GO) test -count=1 -timeout 14m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint-template:
	@if [ -f template.yaml ]; then cfn-lint template.yaml && echo "cfn-lint: template.yaml ok"; fi

## build: one arm64 bootstrap per function for provided.al2023
build:
	@for fn in $(FUNCTIONS); do \
		echo "build $$fn"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
			-o $(BUILD_DIR)/$$fn/bootstrap ./handlers/$$fn || exit 1; \
	done

## bench: benchmarks that print ratios against baselines measured in the same run
bench:
	./scripts/bench.sh

## fuzz: a short fuzzing pass over every fuzz target
fuzz:
	./scripts/fuzz.sh

## deploy: build and deploy to AWS with SAM
deploy:
	sam build && sam deploy

clean:
	rm -rf $(BUILD_DIR) .aws-sam
