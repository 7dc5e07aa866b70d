# webserv: `make` builds the release binary at ./webserv; `make test` runs every test against it.
SWIFT ?= swift
RELEASE_BIN := .build/release/webserv

.PHONY: all deps test run clean

# Phony on purpose: swift build is incremental and knows better than make what is out of date.
all:
	$(SWIFT) build -c release --product webserv
	cp $(RELEASE_BIN) ./webserv

# curl for the integration tests; php-cgi and python3 for CGI.
deps:
	scripts/install-deps.sh

# Integration tests drive the release ./webserv: a debug build is 10-50x slower on big bodies.
test:
	$(MAKE) deps
	$(MAKE) all
	$(SWIFT) test

run: all
	./webserv conf/default.conf

clean:
	$(SWIFT) package clean
	rm -f ./webserv

# Later issues add here: bench (bench/ workloads), fuzz (parser fuzzing), audit (select/syscall audit).
