# git-reftable build. GNU make only.
#
#   make                 library and build/git-reftable
#   make check           every unit and integration test, one summary line
#   make check-sanitize  the same, built with ASan and UBSan
#   make demo            the maintenance job on a generated demo repository
#   make deps            install the Debian packages the project needs (the
#                        one target that runs apt-get; nothing else calls it)
#   make install         PREFIX=/usr/local DESTDIR= (program, man page, the
#                        library: archive, headers, pkg-config file, and the
#                        example policies under share/doc/git-reftable)

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
SANITIZE ?=

# Packages a fresh Debian machine needs: libraries, the build tools,
# dpkg-dev/xz-utils for tests/provide-git.sh (apt-get source unpacks with them),
# groff-base/man-db to check and show the man page, jq to read --json in tests,
# prometheus for promtool, which checks our metrics in tests.
DEBIAN_PACKAGES = gcc make pkg-config zlib1g-dev libdeflate-dev libgit2-dev \
	libinih-dev libcmocka-dev binutils dpkg-dev xz-utils util-linux time bc \
	valgrind groff-base man-db jq prometheus

PKG_CONFIG ?= pkg-config
ZLIB_CFLAGS = $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
ZLIB_LIBS = $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null)
LIBDEFLATE_CFLAGS = $(shell $(PKG_CONFIG) --cflags libdeflate 2>/dev/null)
LIBDEFLATE_LIBS = $(shell $(PKG_CONFIG) --libs libdeflate 2>/dev/null)
INIH_CFLAGS = $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS = $(shell $(PKG_CONFIG) --libs inih 2>/dev/null)
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
LIBGIT2_CFLAGS = $(shell $(PKG_CONFIG) --cflags libgit2 2>/dev/null)
# Not linked: plugin/git/odb.c loads libgit2 with dlopen() only when reflog
# expiry needs objects, so every other command (and the hook fast path)
# starts without it. It needs the headers and the library's soname.
LIBGIT2_SONAME = $(shell objdump -p \
	"$$($(PKG_CONFIG) --variable=libdir libgit2 2>/dev/null)/libgit2.so" \
	2>/dev/null | sed -n 's/^ *SONAME *//p')

ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
endif

ALL_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -pthread $(CFLAGS) $(SAN_FLAGS) \
	-I. $(ZLIB_CFLAGS) $(LIBDEFLATE_CFLAGS) $(INIH_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -pthread

LIB_SRC = $(wildcard lib/*.c)
# The library's public API: what plugin/ and scheduler/ may include, and
# what `make install` installs. Every other lib/ header is internal.
LIB_PUBLIC_H = $(wildcard lib/include/rt-*.h)
POLICY_SRC = $(wildcard policy/*.c)
SCHED_SRC = $(wildcard scheduler/*.c)
# plugin/ in layers, each an archive of its own; only main.c is not in one.
# Listed from the top down: a layer may call those after it, never before.
PLUGIN_LAYERS = cli cmd hooks maint schedule git util
PLUGIN_MAIN = plugin/cli/main.c
PLUGIN_SRC = $(filter-out $(PLUGIN_MAIN),$(foreach l,$(PLUGIN_LAYERS),\
	$(wildcard plugin/$(l)/*.c)))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
TOOL_SRC = $(wildcard tests/tools/*.c)

LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
POLICY_OBJ = $(POLICY_SRC:%.c=$(BUILD)/%.o)
SCHED_OBJ = $(SCHED_SRC:%.c=$(BUILD)/%.o)
PLUGIN_OBJ = $(PLUGIN_SRC:%.c=$(BUILD)/%.o)
PLUGIN_MAIN_OBJ = $(PLUGIN_MAIN:%.c=$(BUILD)/%.o)
PLUGIN_LIBS = $(foreach l,$(PLUGIN_LAYERS),$(BUILD)/plugin/lib$(l).a)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
INTEGRATION = $(sort $(wildcard tests/integration/t*.sh))

LIBREFTABLE = $(BUILD)/libgitreftable.a
LIBPOLICY = $(BUILD)/libpolicy.a
LIBSCHED = $(BUILD)/libsched.a
PROGRAM = $(BUILD)/git-reftable

.PHONY: all deps check check-run check-sanitize check-valgrind demo bench \
	bench-compact bench-hook bench-fleet headertest \
	fuzz install uninstall clean format

all: $(PROGRAM)

deps:
	@missing=; for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q \
			--no-install-recommends $$missing; \
	fi

# Nothing depends on deps: building needs only the compiler and libraries,
# wherever they came from (apt-get, or a machine without dpkg at all).
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBREFTABLE): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Each public header compiles alone, as C99 with only lib/include on the
# include path (as an installed copy would be used), and pulls in no
# zlib; and no code outside lib/ and its tests includes an internal
# lib/ header.
HEADERTEST = $(LIB_PUBLIC_H:lib/include/%.h=$(BUILD)/headertest/%.o)
$(BUILD)/headertest/%.o: lib/include/%.h
	@mkdir -p $(@D)
	@printf '#include <%s>\n' $(<F) > $(@:.o=.c)
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Ilib/include \
		-MMD -MP -c -o $@ $(@:.o=.c)
	@! $(CC) -std=c99 -Ilib/include -M $(@:.o=.c) | grep -q 'zlib\.h' || \
		{ echo "$<: includes zlib.h"; rm -f $@; exit 1; }
$(BUILD)/headertest/boundary: $(PLUGIN_SRC) $(PLUGIN_MAIN) \
		$(wildcard plugin/*/*.h) $(SCHED_SRC) $(wildcard scheduler/*.h) \
		$(POLICY_SRC) $(wildcard policy/*.h)
	@mkdir -p $(@D)
	@! grep -n '#include "lib/[^i]' $^ || \
		{ echo "headertest: only lib/include/ headers outside lib/"; \
		exit 1; }
	@touch $@
headertest: $(HEADERTEST) $(BUILD)/headertest/boundary

$(LIBPOLICY): $(POLICY_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# One archive per plugin layer, from that folder's objects.
define plugin_layer
$(BUILD)/plugin/lib$(1).a: $(filter $(BUILD)/plugin/$(1)/%,$(PLUGIN_OBJ))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(PLUGIN_LAYERS),$(eval $(call plugin_layer,$(l))))

$(LIBSCHED): $(SCHED_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/plugin/git/odb.o: ALL_CFLAGS += $(LIBGIT2_CFLAGS) \
	-DLIBGIT2_SONAME='"$(or $(LIBGIT2_SONAME),libgit2.so)"'

# inih, libdeflate and zlib linked in statically: Git starts the hook three
# times per ref update, and every shared library loaded costs each start
# (with only libc left, the hook starts as fast as a no-op C program).
$(PROGRAM): $(PLUGIN_MAIN_OBJ) $(PLUGIN_LIBS) $(LIBSCHED) $(LIBPOLICY) \
		$(LIBREFTABLE)
	$(CC) $(ALL_LDFLAGS) -o $@ $(PLUGIN_MAIN_OBJ) $(PLUGIN_LIBS) $(LIBSCHED) $(LIBPOLICY) \
		$(LIBREFTABLE) -Wl,-Bstatic $(INIH_LIBS) $(LIBDEFLATE_LIBS) $(ZLIB_LIBS) \
		-Wl,-Bdynamic -ldl

# Every unit test may use any library of the project, plugin layers too;
# the linker takes from the archives only what the test needs.
$(UNIT_BIN): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(PLUGIN_LIBS) \
		$(LIBSCHED) $(LIBPOLICY) $(LIBREFTABLE)
	$(CC) $(ALL_LDFLAGS) -o $@ $< -Wl,--start-group $(PLUGIN_LIBS) \
		$(LIBSCHED) $(LIBPOLICY) $(LIBREFTABLE) -Wl,--end-group \
		$(CMOCKA_LIBS) $(INIH_LIBS) $(LIBDEFLATE_LIBS) $(ZLIB_LIBS) -ldl

$(BUILD)/tests/unit/%.o: ALL_CFLAGS += $(CMOCKA_CFLAGS) -D_GNU_SOURCE

# test_policy_oom makes chosen allocations fail: it wraps the allocator.
$(BUILD)/tests/test_policy_oom: ALL_LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc \
	-Wl,--wrap=realloc,--wrap=strdup,--wrap=strndup

$(TOOL_BIN): $(BUILD)/tests/%: $(BUILD)/tests/tools/%.o $(LIBREFTABLE)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBREFTABLE) $(LIBDEFLATE_LIBS) \
		$(ZLIB_LIBS)

check:
	@$(MAKE) --no-print-directory check-run

check-run: $(PROGRAM) $(UNIT_BIN) $(TOOL_BIN) headertest
	@RT_TEST_GIT=$$(sh tests/provide-git.sh) || exit 1; \
	RT_TEST_GIT=$$RT_TEST_GIT RT_BUILD=$(abspath $(BUILD)) \
		bash tests/run.sh $(UNIT_BIN) $(INTEGRATION)

check-sanitize:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/sanitize SANITIZE=1 check-run

# The unit tests under valgrind: no leaks, no invalid accesses (slow).
check-valgrind: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do \
		valgrind -q --leak-check=full --errors-for-leak-kinds=all \
			--error-exitcode=9 $$t >/dev/null || { \
			echo "check-valgrind: $$t failed"; exit 1; }; \
		echo "check-valgrind: $$t clean"; \
	done

demo: all
	@RT_TEST_GIT=$$(sh tests/provide-git.sh) || exit 1; \
	RT_TEST_GIT=$$RT_TEST_GIT RT_BUILD=$(abspath $(BUILD)) bash examples/demo.sh

# BENCH=small (100k refs) or full (adds 1M refs; several minutes).
BENCH ?= small
bench: all
	@RT_TEST_GIT=$$(sh tests/provide-git.sh) || exit 1; \
	RT_TEST_GIT=$$RT_TEST_GIT RT_BUILD=$(abspath $(BUILD)) \
		bash tests/bench/run.sh $(BENCH)
	@$(MAKE) --no-print-directory bench-compact
	@$(MAKE) --no-print-directory bench-hook
	@$(MAKE) --no-print-directory bench-fleet

# git pack-refs against compact --all, dense and sparse stacks (BENCH=full
# adds 1M refs).
bench-compact: all
	@RT_TEST_GIT=$$(sh tests/provide-git.sh) || exit 1; \
	RT_TEST_GIT=$$RT_TEST_GIT RT_BUILD=$(abspath $(BUILD)) \
		bash tests/bench/compact.sh $(BENCH)

# fleet run against git for-each-repo over FLEET_N registered repositories.
FLEET_N ?= 1000
bench-fleet: all
	@RT_TEST_GIT=$$(sh tests/provide-git.sh) || exit 1; \
	RT_TEST_GIT=$$RT_TEST_GIT RT_BUILD=$(abspath $(BUILD)) \
		bash tests/bench/fleet.sh $(FLEET_N)

# The reference-transaction hook's cost to `git update-ref`, HOOK_N updates.
HOOK_N ?= 500
bench-hook: all
	@RT_TEST_GIT=$$(sh tests/provide-git.sh) || exit 1; \
	RT_TEST_GIT=$$RT_TEST_GIT RT_BUILD=$(abspath $(BUILD)) \
		bash tests/bench/hook.sh $(HOOK_N)

# libFuzzer with ASan/UBSan on the table reader, FUZZ_TIME seconds.
FUZZ_TIME ?= 60
FUZZ_PACKAGES = clang libclang-rt-14-dev
fuzz: $(BUILD)/tests/rt-write-table
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(FUZZ_PACKAGES)"
	@mkdir -p $(BUILD)/fuzz
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. $(ZLIB_CFLAGS) \
		$(LIBDEFLATE_CFLAGS) \
		-o $(BUILD)/fuzz/fuzz_table tests/fuzz/fuzz_table.c \
		$(LIB_SRC) $(LIBDEFLATE_LIBS) $(ZLIB_LIBS) -pthread
	bash tests/fuzz/seeds.sh $(BUILD)/tests/rt-write-table \
		$(BUILD)/fuzz/seeds
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_table -max_total_time=$(FUZZ_TIME) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus \
		$(BUILD)/fuzz/seeds

MANDIR = $(PREFIX)/share/man/man1
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
DOCDIR = $(PREFIX)/share/doc/git-reftable
EXAMPLE_POLICIES = $(wildcard examples/*.ini)
PKGCONFIGDIR = $(LIBDIR)/pkgconfig
# The version `git-reftable version` prints, for the pkg-config file.
VERSION = $(shell sed -n 's/^\#define GIT_REFTABLE_VERSION "\(.*\)"/\1/p' \
	$(PLUGIN_MAIN))

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR) \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/gitreftable \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/git-reftable
	install -m 644 doc/git-reftable.1 $(DESTDIR)$(MANDIR)/git-reftable.1
	install -m 644 $(LIBREFTABLE) $(DESTDIR)$(LIBDIR)/libgitreftable.a
	install -m 644 $(LIB_PUBLIC_H) $(DESTDIR)$(INCLUDEDIR)/gitreftable/
	install -m 644 $(EXAMPLE_POLICIES) $(DESTDIR)$(DOCDIR)/examples/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		lib/gitreftable.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/gitreftable.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/gitreftable.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/git-reftable
	rm -f $(DESTDIR)$(MANDIR)/git-reftable.1
	rm -f $(DESTDIR)$(LIBDIR)/libgitreftable.a
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/gitreftable.pc
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/gitreftable/,\
		$(notdir $(LIB_PUBLIC_H)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/gitreftable
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,\
		$(notdir $(EXAMPLE_POLICIES)))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)

format:
	clang-format -i $(wildcard lib/*.[ch] lib/include/*.h plugin/*/*.[ch] \
		policy/*.[ch] scheduler/*.[ch] tests/unit/*.[ch] \
		tests/tools/*.[ch] tests/fuzz/*.[ch])

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
