# webserv: `make` builds the release binary at ./webserv; `make test` runs every test against it.
SWIFT ?= swift
RELEASE_BIN := .build/release/webserv

.PHONY: all deps test precompress check-precompressed install layers audit audit-selftest asan valgrind bench bench-reuseport bench-instr soak fuzz fuzz-replay browser-test run clean

# Phony on purpose: swift build is incremental and knows better than make what is out of date.
all:
	$(SWIFT) build -c release --product webserv
	cp $(RELEASE_BIN) ./webserv.new && mv -f ./webserv.new ./webserv  # a rename works while ./webserv runs

# curl for the integration tests; php-cgi and python3 for CGI.
deps:
	scripts/install-deps.sh

# Integration tests drive the release ./webserv: a debug build is 10-50x slower on big bodies.
test:
	$(MAKE) deps
	$(MAKE) layers
	$(MAKE) check-precompressed
	$(MAKE) audit-selftest
	$(MAKE) all
	$(SWIFT) test
	$(MAKE) audit
	$(MAKE) fuzz-replay

# The demo site's precompressed files (gzip_static): gzip -9 -n makes the same bytes from the same input.
PRECOMPRESSED := www/style.css.gz

precompress:
	for f in $(PRECOMPRESSED); do gzip -9 -n -c "$${f%.gz}" > "$$f"; done

# Each .gz committed beside a demo file must decompress to that file, so the two cannot drift apart.
check-precompressed:
	@for f in $$(find www -path www/uploads -prune -o -name '*.gz' -print); do \
	  gzip -dc "$$f" | cmp -s - "$${f%.gz}" || { echo "$$f does not match $${f%.gz}: run make precompress" >&2; exit 1; }; \
	done; echo "check-precompressed: every www/**/*.gz matches its original"

# The folders of Sources/Server layer without a cycle (ARCHITECTURE.md): each uses only those below it.
layers:
	python3 scripts/layers.py

# strace over real traffic: every read/write on a descriptor select() reported ready (the brief's rule).
audit: all
	scripts/select-audit.sh

# The auditor itself (scripts/select_audit.py) on small strace logs it must pass or flag (Tests/Audit/).
audit-selftest:
	PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s Tests/Audit

# The integration suite against an AddressSanitizer build (.build-asan/): any ASan report or leak fails.
asan:
	SWIFT=$(SWIFT) scripts/asan-tests.sh

# The release build under valgrind through a mixed workload: no definite leak, no memory error.
valgrind: all
	scripts/valgrind-leaks.sh

# webserv against nginx, lighttpd and h2o on the same docroot, then one instance against two sharing the port
# with reuseport (minutes; never part of `make test`).
bench:
	bench/run.sh
	bench/reuseport.sh

# Only the second part: one webserv instance against two with reuseport (about 2 minutes).
bench-reuseport:
	bench/reuseport.sh

# Instructions (callgrind) and syscalls (strace) per request of webserv, lighttpd and h2o: figures that do not
# move from run to run, unlike req/s on a shared machine (about 6 minutes; bench/instr-table.sh).
bench-instr: all
	WEBSERV_BIN=./webserv bench/instr-table.sh

# siege -b 5 min, a million mixed requests with RSS sampled, slowhttptest -H/-B/-X with a probe (~15 minutes;
# never part of `make test`). SOAK_ARGS=--quick checks the harness in about two.
soak:
	bench/soak.sh $(SOAK_ARGS)

# Headless Chromium through the demo site on a copy of conf/ and www/ (never part of `make test`: Chromium is
# large). Installs chromium, chromium-driver and python3-selenium when missing; builds nothing.
browser-test:
	@test -x "$${WEBSERV_BIN:-./webserv}" || { echo "browser-test: no ./webserv: run \`make\` first" >&2; exit 1; }
	scripts/browser-test.sh

# The binary, conf/ and the demo site under PREFIX (default /usr/local), staged under DESTDIR; needs a built
# ./webserv and never calls systemctl (scripts/install.sh lists the layout).
PREFIX ?= /usr/local
install:
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh

run: all
	./webserv conf/default.conf

clean:
	$(SWIFT) package clean
	rm -f ./webserv

# libFuzzer over the parsers, FUZZ_SECONDS per target (default 60); a crash fails and keeps its input.
fuzz:
	Tests/Fuzz/run.sh $(or $(FUZZ_SECONDS),60)

# Builds every fuzz target and runs its seeds and saved regressions once: the targets keep compiling and
# every input that once crashed stays fixed.
fuzz-replay:
	FUZZ_REPLAY=1 Tests/Fuzz/run.sh 0
