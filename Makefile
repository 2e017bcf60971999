# crq - change requests as code, in git.
#
#   make            build build/crq, build/libcrq.a and build/libcrq.so
#   make test       install missing build dependencies (root) or name them,
#                   build, run unit, schema-suite and end-to-end tests
#   make check      clean sanitizer build (ASan + UBSan), then all tests
#   make demo       build, then walk one change through crq in a temp repo
#   make fuzz-history  many random sessions and mutants for crq verify
#   make bench      crq against stock git on the same machine, in one run:
#                   a 10,000-change store, then the scale benchmarks
#                   (100,000 changes, a 1,000,000-commit store; a few
#                   minutes more; COMMITS=, CHANGES= make them smaller)
#   make install    PREFIX=/usr/local DESTDIR= (LIBDIR, INCLUDEDIR, DATADIR,
#                   MANDIR, ... below)
#   make uninstall, make clean

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/crq
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
CC ?= cc
CFLAGS ?= -O2 -g
BUILD ?= build
WERROR ?=

PKGS := libgit2 yaml-0.1 libcrypto libpcre2-8 libical libcurl zlib
# libcrq's version and soname (libcrq.so.SOVERSION)
VERSION := $(shell sed -n 's/^\#define CRQ_VERSION "\(.*\)"/\1/p' include/crq/error.h)
SOVERSION := 0
DEBS := build-essential pkg-config git libgit2-dev libyaml-dev libssl-dev \
	libpcre2-dev libcmocka-dev python3 python3-jsonschema python3-yaml \
	json-schema-test-suite openssh-client libical-dev tzdata python3-icalendar \
	libcurl4-openssl-dev zlib1g-dev scdoc
# what only the tests need: a real browser for the HTML files crq writes,
# strace to see which files a command opens (t44), the shells and man
# for completion and pages (t54), Debian's packaging tools to build and
# lint crq's own packages (t55)
TEST_DEBS := chromium python3-html5lib fonts-dejavu-core strace zsh fish \
	groff-base man-db dpkg-dev debhelper lintian

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wwrite-strings -Wformat=2 -Wno-format-nonliteral
# libcurl and libical (with ICU) are not linked: lib/dynload.c loads them
# at first use, as loading them costs a small command more than its own
# work; their headers are used all the same
LAZY_PKGS := libical libcurl
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) \
	2>/dev/null) -lm -pthread
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
.DEFAULT_GOAL := all

# a missing -dev package shows as pkg-config's own error when the first
# object is built (not when this file is read: make test installs them
# first)
$(BUILD)/pkgs.ok:
	@mkdir -p $(dir $@)
	@pkg-config --print-errors --exists $(PKGS) || { echo \
		"crq: pkg-config cannot find the libraries above; make deps installs them" >&2; \
		exit 1; }
	@touch $@

$(BUILD)/pkgs-test.ok:
	@mkdir -p $(dir $@)
	@pkg-config --print-errors --exists cmocka || { echo \
		"crq: pkg-config cannot find cmocka; make test-deps installs it" >&2; \
		exit 1; }
	@touch $@

# cmd/ sees the public headers only (include/); lib/ and the tests also
# their internal ones
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(WERROR) $(CPPFLAGS) \
	$(CFLAGS) $(PKG_CFLAGS) -Iinclude
ALL_CFLAGS = $(BASE_CFLAGS) -Ilib

LIB_SRC := $(sort $(wildcard lib/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ = $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS = $(BUILD)/tests/schema-suite
FUZZ_TARGETS := yaml json change commit sshsig
REPLAY_BIN = $(FUZZ_TARGETS:%=$(BUILD)/tests/replay_%)
FUZZ_SECONDS ?= 60

SUITE ?= /usr/share/json-schema-test-suite/tests/draft7

.PHONY: man all deps test-deps screenshots test test-only check fuzz fuzz-history demo bench install \
	uninstall clean

all: $(BUILD)/crq $(BUILD)/libcrq.a $(BUILD)/libcrq.so

deps:
	@sh tests/deps.sh $(DEBS)

# and the workflow linter t56 runs over the CI recipes, from the npm
# registry (tests/npm-deps.sh: node and npm from Debian when missing)
test-deps:
	@sh tests/deps.sh $(DEBS) $(TEST_DEBS)
	@sh tests/npm-deps.sh build/npm

HEADERS = $(wildcard include/*.h include/crq/*.h lib/*.h)
PUBLIC_HEADERS := include/crq.h $(sort $(wildcard include/crq/*.h))

# lib/ is position independent: one set of objects makes both the
# static and the shared library (without semantic interposition, so that
# calls inside lib/ are inlined as in a -fPIE build)
PIC := -fPIC -fno-semantic-interposition
$(BUILD)/lib/%.o: lib/%.c $(HEADERS) | $(BUILD)/pkgs.ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PIC) -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c $(HEADERS) cmd/cmd.h | $(BUILD)/pkgs.ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -c -o $@ $<

# the installed crq finds its schemas in DATADIR, compiled in; the file
# changes (and main.o is rebuilt) only when DATADIR does
$(BUILD)/datadir.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define CRQ_DATADIR_DEFAULT "%s"\n' '$(DATADIR)' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/cmd/main.o: cmd/main.c $(HEADERS) cmd/cmd.h $(BUILD)/datadir.h \
		| $(BUILD)/pkgs.ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -include $(BUILD)/datadir.h -c -o $@ $<

# and so does libcrq, for programs that open a store with no datadir
$(BUILD)/lib/store.o: lib/store.c $(HEADERS) $(BUILD)/datadir.h \
		| $(BUILD)/pkgs.ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PIC) -include $(BUILD)/datadir.h -c -o $@ $<

FORCE:

$(BUILD)/libcrq.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# the shared library, with its soname and the links a build and ld.so
# look for; it exports what the public headers name, nothing of lib/'s
# internals
$(BUILD)/libcrq.map: $(PUBLIC_HEADERS)
	@mkdir -p $(dir $@)
	@{ echo '{'; echo '  global:'; \
		grep -ohE '\bcrq_[a-z0-9_]+\b' $(PUBLIC_HEADERS) | sort -u | \
		sed 's/.*/    &;/'; echo '  local: *;'; echo '};'; } >$@

$(BUILD)/libcrq.so.$(VERSION): $(LIB_OBJ) $(BUILD)/libcrq.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libcrq.so.$(SOVERSION) \
		-Wl,--version-script=$(BUILD)/libcrq.map -Wl,--no-undefined \
		-o $@ $(LIB_OBJ) $(PKG_LIBS) -ldl $(LDLIBS)

$(BUILD)/libcrq.so: $(BUILD)/libcrq.so.$(VERSION)
	ln -sf libcrq.so.$(VERSION) $(BUILD)/libcrq.so.$(SOVERSION)
	ln -sf libcrq.so.$(SOVERSION) $@

# crq.pc for the prefix being built: the libraries libcrq itself links
# are private (a static link needs them, a shared one does not)
$(BUILD)/crq.pc: crq.pc.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
		-e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@REQUIRES@|$(filter-out $(LAZY_PKGS),$(PKGS))|g' \
		crq.pc.in >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# cmd/tls.c's mbedTLS functions stand in for the library's (they defer
# libgit2's CA bundle parse to its first TLS connection): the dynamic
# linker sees them only when the executable exports them
TLS_SYMS := mbedtls_x509_crt_parse_file mbedtls_x509_crt_parse_path \
	mbedtls_x509_crt_free mbedtls_ssl_setup
TLS_LDFLAGS = $(TLS_SYMS:%=-Wl,--export-dynamic-symbol=%)

$(BUILD)/crq: $(CMD_OBJ) $(BUILD)/libcrq.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(TLS_LDFLAGS) -o $@ $(CMD_OBJ) \
		$(BUILD)/libcrq.a $(PKG_LIBS) $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/testutil.h \
		$(BUILD)/libcrq.a | $(BUILD)/pkgs-test.ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libcrq.a \
		$(PKG_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libcrq.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcrq.a $(PKG_LIBS)

# fuzz targets replaying their saved corpus (tests/fuzz/corpus/NAME)
$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
		tests/fuzz/fuzz.h $(BUILD)/libcrq.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ tests/fuzz/fuzz_$*.c \
		tests/fuzz/replay.c $(BUILD)/libcrq.a $(PKG_LIBS)

test: test-deps
	@$(MAKE) --no-print-directory test-only

test-only: $(BUILD)/crq $(UNIT_BIN) $(TOOLS) $(REPLAY_BIN)
	@sh tests/run.sh $(BUILD) $(SUITE)

# A sanitizer report exits 99, which no test expects, even where the
# test expects crq to refuse (exit 1).  Full malloc stacks let the leak
# suppressions for libgit2's own leaks (tests/lsan.supp) match.
check: test-deps
	rm -rf $(BUILD)/asan
	@ASAN_OPTIONS=exitcode=99:detect_leaks=1:fast_unwind_on_malloc=0 \
	LSAN_OPTIONS=exitcode=99:suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:exitcode=99 \
	$(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		test-only

# libFuzzer (clang) on every parser of untrusted bytes, FUZZ_SECONDS each;
# new inputs land in $(BUILD)/fuzz/corpus_NAME: copy the interesting
# ones to tests/fuzz/corpus/NAME so that make test replays them.
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz CC=clang \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
		$(BUILD)/fuzz/libcrq.a
	@for t in $(FUZZ_TARGETS); do \
		clang -std=c11 -D_GNU_SOURCE -pthread -O1 -g \
			-fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
			-Iinclude -Ilib -Itests/fuzz -o $(BUILD)/fuzz/fuzz_$$t \
			tests/fuzz/fuzz_$$t.c $(BUILD)/fuzz/libcrq.a \
			$(PKG_LIBS) || exit 1; \
		mkdir -p $(BUILD)/fuzz/corpus_$$t; \
		echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
		CRQ_DATADIR=$(CURDIR) $(BUILD)/fuzz/fuzz_$$t \
			-max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-print_final_stats=1 $(BUILD)/fuzz/corpus_$$t \
			tests/fuzz/corpus/$$t || exit 1; \
	done

# the model-based history test at length: HISTORY_SEEDS random legal
# sessions, HISTORY_MUTANTS mutants of each (make test runs 3 x 70)
HISTORY_SEEDS ?= 40
HISTORY_MUTANTS ?= 200
fuzz-history: deps
	@$(MAKE) --no-print-directory all
	python3 tests/history/model.py $(BUILD)/crq $(HISTORY_SEEDS) \
		$(HISTORY_MUTANTS) $${HISTORY_FIRST:-100}

# the README's screenshots (doc/img), taken by the test that checks them
screenshots: all test-deps
	CRQ_SCREENSHOTS=$(CURDIR)/doc/img CRQ=$(BUILD)/crq sh tests/e2e/t43-evidence-readme.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh $(BUILD)/crq

bench: deps
	@$(MAKE) --no-print-directory all
	@sh tests/bench.sh $(BUILD)/crq
	@sh tests/bench-scale.sh $(BUILD)/crq

# the man pages: crq(1) and crq-CMD(1) from crq's own help, with the
# file formats' pages (doc/man/*.scd), through scdoc
man: $(BUILD)/crq
	@CRQ_DATADIR=$(CURDIR) sh doc/man/gen.sh $(BUILD)/crq $(BUILD)/man

install: $(BUILD)/crq $(BUILD)/libcrq.a $(BUILD)/libcrq.so $(BUILD)/crq.pc man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/schemas \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/crq \
		$(DESTDIR)$(DATADIR)/examples/templates \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(FISHCOMPDIR)
	install -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(BUILD)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 completion/crq.bash $(DESTDIR)$(BASHCOMPDIR)/crq
	install -m 644 completion/_crq $(DESTDIR)$(ZSHCOMPDIR)/_crq
	install -m 644 completion/crq.fish $(DESTDIR)$(FISHCOMPDIR)/crq.fish
	install -m 755 $(BUILD)/crq $(DESTDIR)$(BINDIR)/crq
	install -m 644 schemas/*.json $(DESTDIR)$(DATADIR)/schemas/
	install -m 644 examples/policy.yaml $(DESTDIR)$(DATADIR)/examples/
	install -m 644 examples/templates/*.yaml \
		$(DESTDIR)$(DATADIR)/examples/templates/
	install -m 644 examples/list-changes.c $(DESTDIR)$(DATADIR)/examples/
	install -m 644 include/crq.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(filter include/crq/%,$(PUBLIC_HEADERS)) \
		$(DESTDIR)$(INCLUDEDIR)/crq/
	install -m 644 $(BUILD)/libcrq.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/libcrq.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libcrq.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libcrq.so.$(SOVERSION)
	ln -sf libcrq.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libcrq.so
	install -m 644 $(BUILD)/crq.pc $(DESTDIR)$(PKGCONFIGDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/crq
	rm -f $(DESTDIR)$(MANDIR)/man1/crq.1 $(DESTDIR)$(MANDIR)/man1/crq-*.1 \
		$(DESTDIR)$(MANDIR)/man5/crq-*.5
	rm -f $(DESTDIR)$(BASHCOMPDIR)/crq $(DESTDIR)$(ZSHCOMPDIR)/_crq \
		$(DESTDIR)$(FISHCOMPDIR)/crq.fish
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(INCLUDEDIR)/crq.h $(DESTDIR)$(LIBDIR)/libcrq.a \
		$(DESTDIR)$(LIBDIR)/libcrq.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libcrq.so.$(SOVERSION) \
		$(DESTDIR)$(LIBDIR)/libcrq.so $(DESTDIR)$(PKGCONFIGDIR)/crq.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/crq

clean:
	rm -rf $(BUILD)
