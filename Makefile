# aeron-bypass build, test and benchmark entry points.
#
#   make run    build and start the media driver on the auto-probed backend
#   make test   format and static checks, unit, integration (root) and race tests
#   make bench  benchmarks with allocation counts

GO          ?= go
BIN         := bin/aeron-bypass
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Build with the DPDK backend when libdpdk is installed.
TAGS        ?= $(shell pkg-config --exists libdpdk 2>/dev/null && echo dpdk)
GOFLAGS_TAGS = $(if $(TAGS),-tags '$(TAGS)')
VERSION     ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# The Java Aeron peers used by the interop tests (fetched from Maven Central).
AERON_JAVA_VERSION ?= 1.51.0
JAVA_DIR    := $(CURDIR)/.cache/java
AERON_ALL_JAR ?= $(JAVA_DIR)/aeron-all-$(AERON_JAVA_VERSION).jar
# Only the tests need it in their environment: the driver under make run
# would log it as an AERON_* variable it does not know.
unit race bench: export AERON_ALL_JAR := $(AERON_ALL_JAR)
# Packages whose tests do not busy-spin; the race detector runs on these.
RACE_PKGS   ?= $(shell $(GO) list ./... | grep -v -e /test/ -e /cmd/)
TEST_TIMEOUT ?= 20m

.PHONY: all build run test unit race lint fmt vet staticcheck bench generate check-generate java-deps clean

all: build

build:
	$(GO) build $(GOFLAGS_TAGS) -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/aeron-bypass

run: build
	./$(BIN)

test: lint java-deps unit race

unit:
	$(GO) test $(GOFLAGS_TAGS) -count=1 -timeout $(TEST_TIMEOUT) ./...
ifneq ($(TAGS),)
	# The build without libdpdk: DPDK's probe must say "not built in".
	$(GO) test -count=1 ./backend/dpdk/... ./dpdk/...
endif

race:
	$(GO) test $(GOFLAGS_TAGS) -race -count=1 -timeout $(TEST_TIMEOUT) -short $(RACE_PKGS)

lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(GOFLAGS_TAGS) ./...
ifneq ($(TAGS),)
	$(GO) vet ./...
endif

staticcheck:
	$(STATICCHECK) $(GOFLAGS_TAGS) ./...

bench:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchmem -timeout 30m ./...

generate:
	$(GO) generate ./...

# Rebuilds the XDP object with clang in a temporary directory and compares
# it with the committed one (also part of the unit tests).
check-generate:
	CHECK_GENERATE=1 $(GO) test -count=1 -run '^TestGeneratedObjectIsCurrent$$' ./bpf/

java-deps: $(AERON_ALL_JAR)

$(AERON_ALL_JAR):
	mkdir -p $(JAVA_DIR)
	mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
		-Dartifact=io.aeron:aeron-all:$(AERON_JAVA_VERSION) -DoutputDirectory=$(JAVA_DIR)

clean:
	rm -rf bin .cache
	$(GO) clean -testcache
