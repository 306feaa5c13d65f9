# make test: vet and test every module of the workspace (go.work).
# Each module is tested from its own directory, so `./...` covers exactly that module.

GO      ?= go
MODULES := $(shell $(GO) list -m -f '{{.Dir}}')
TESTFLAGS ?= -count=1 -timeout 20m

.PHONY: test vet bench

test: vet
	@set -e; for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && $(GO) test $(TESTFLAGS) ./...); \
	done

vet:
	@set -e; for m in $(MODULES); do \
		echo "== go vet $$m"; \
		(cd $$m && $(GO) vet ./...); \
	done

# bench runs every benchmark of the core module once at its named sizes.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
