#!/bin/sh
# make install / uninstall with PREFIX and DESTDIR: the installed crq
# finds its schemas and default policy next to itself.
. "$(dirname "$0")/lib.sh"

# a copy of the build: installing with another DATADIR rebuilds main.o,
# which must not change the crq the other tests run
cp -a "$(dirname "$CRQ")" "$TMP/b"
build=$TMP/b
D="$TMP/dest"
check "make install" make -s -C "$TOP" BUILD="$build" PREFIX=/opt/crq DESTDIR="$D" install
check "crq(1) installed" test -f "$D/opt/crq/share/man/man1/crq.1"
check "crq-approve(1) installed" test -f "$D/opt/crq/share/man/man1/crq-approve.1"
check "crq-policy(5) installed" test -f "$D/opt/crq/share/man/man5/crq-policy.5"
MANPATH="$D/opt/crq/share/man" MANWIDTH=80 man crq-approve >"$TMP/man" 2>"$TMP/err" &&
	grep -q "crq-approve" "$TMP/man" && ok "man crq-approve finds the installed page" ||
	not_ok "man crq-approve: $(cat "$TMP/err")"
check "bash completion installed" test -f "$D/opt/crq/share/bash-completion/completions/crq"
check "zsh completion installed" test -f "$D/opt/crq/share/zsh/vendor-completions/_crq"
check "fish completion installed" test -f "$D/opt/crq/share/fish/vendor_completions.d/crq.fish"
check "binary installed" test -x "$D/opt/crq/bin/crq"
check "schemas installed" test -f "$D/opt/crq/share/crq/schemas/change.schema.json"
check "default policy installed" test -f "$D/opt/crq/share/crq/examples/policy.yaml"
cd "$TMP"
expect 0 "" "$D/opt/crq/bin/crq" schema policy
same "installed crq reads installed schemas" "$(sha1sum <"$TMP/out")" "$(sha1sum <"$TOP/schemas/policy.schema.json")"
expect 0 "" "$D/opt/crq/bin/crq" init s
expect 0 "" "$D/opt/crq/bin/crq" -C s new --title "installed"
# the installed completion, with the installed crq on PATH
got=$(cd s && PATH="$D/opt/crq/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(crq ap); COMP_CWORD=1; _crq; printf "%s\n" "${COMPREPLY[@]}"' _ "$D/opt/crq/share/bash-completion/completions/crq")
same "installed bash completion: crq ap<TAB>" "$got" "approve"
got=$(cd s && PATH="$D/opt/crq/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(crq show ""); COMP_CWORD=2; _crq; printf "%s\n" "${COMPREPLY[@]}"' _ "$D/opt/crq/share/bash-completion/completions/crq")
same "installed bash completion: crq show <TAB> gives the ids" "$got" "CHG-000001"
got=$(cd s && PATH="$D/opt/crq/bin:$PATH" fish -c "source '$D/opt/crq/share/fish/vendor_completions.d/crq.fish'; complete -C 'crq appr'" 2>&1 | cut -f1)
same "installed fish completion: crq appr<TAB>" "$got" "approve"
fsck_clean s

# the library: headers, static and shared libcrq with its soname, crq.pc
L="$D/opt/crq/lib"
check "crq.h installed" test -f "$D/opt/crq/include/crq.h"
check "crq/change.h installed" test -f "$D/opt/crq/include/crq/change.h"
check "libcrq.a installed" test -f "$L/libcrq.a"
check "libcrq.so.0 links to the versioned file" test -f "$L/libcrq.so.0" -a -h "$L/libcrq.so.0" -a -h "$L/libcrq.so"
same "the shared library's soname" "$(readelf -d "$L/libcrq.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" "libcrq.so.0"
# it exports the functions the public headers name and none of lib/'s own
nm -D --defined-only "$L/libcrq.so" | awk '{print $3}' | sort >"$TMP/exports"
grep -ohE '\bcrq_[a-z0-9_]+\b' "$TOP"/include/crq.h "$TOP"/include/crq/*.h | sort -u >"$TMP/public"
same "no export outside the public headers" "$(comm -23 "$TMP/exports" "$TMP/public" | head -3)" ""
check "crq_change_list_each is exported" grep -qx crq_change_list_each "$TMP/exports"
same "installed headers are the public ones" "$(cd "$D/opt/crq/include" && find . -name '*.h' | sort)" "$(cd "$TOP/include" && find . -name '*.h' | sort)"
# each header compiles on its own, strict C11, with nothing before it
hbad=
for h in $(cd "$D/opt/crq/include" && find . -name '*.h' | sed 's|^\./||'); do
	printf '#include <%s>\n' "$h" | cc -std=c11 -Wall -Wextra -pedantic -Werror \
		-fsyntax-only -I"$D/opt/crq/include" -x c - 2>"$TMP/herr" || hbad="$hbad $h"
done
same "every installed header compiles alone" "$hbad" ""
# and in C++, inside extern "C"
hbad=
for h in $(cd "$D/opt/crq/include" && find . -name '*.h' | sed 's|^\./||'); do
	printf '#include <%s>\n' "$h" | c++ -std=c++11 -Wall -Wextra -pedantic -Werror \
		-fsyntax-only -I"$D/opt/crq/include" -x c++ - 2>"$TMP/herr" || hbad="$hbad $h"
done
same "every installed header compiles alone in C++" "$hbad" ""
export PKG_CONFIG_PATH="$L/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
expect 0 "" pkg-config --modversion crq
same "crq.pc's version is crq's" "$(cat "$TMP/out")" "$("$CRQ" --version | sed 's/^crq version //')"
expect 0 "" pkg-config --libs crq
same "pkg-config --libs crq" "$(echo $(cat "$TMP/out"))" "-L$L -lcrq"
expect 0 "" pkg-config --static --libs crq
check "a static link names libcrq's own libraries" grep -q -- "-lgit2.*-lyaml" "$TMP/out"
same "crq.pc's datadir" "$(pkg-config --variable=datadir crq)" "$D/opt/crq/share/crq"
# pkg-config's failure is shown, not hidden: a missing .pc stops the build
# with pkg-config's own message
cp -a "$build" "$TMP/nopc"
rm -f "$TMP/nopc/pkgs.ok" "$TMP/nopc"/lib/*.o
mkdir -p "$TMP/nopcdir"
PKG_CONFIG_LIBDIR="$TMP/nopcdir" PKG_CONFIG_PATH= make -s -C "$TOP" BUILD="$TMP/nopc" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a build without the libraries' .pc files fails" test "$rc" -ne 0
check "and pkg-config says which" grep -q "libgit2" "$TMP/err"
check "and how to get them" grep -q "make deps" "$TMP/err"
# the example program, against the installed crq.pc: shared, then static
# (a libcrq built with the sanitizers, as make check builds it, needs
# their run-time: the program is linked with them too)
SAN=
nm "$L/libcrq.a" 2>/dev/null | grep -q ' U __asan_' && SAN="-fsanitize=address,undefined"
cp "$D/opt/crq/share/crq/examples/list-changes.c" "$TMP/lc.c"
# shellcheck disable=SC2046
check "the example builds against libcrq.so" cc $SAN -o "$TMP/lc-shared" "$TMP/lc.c" $(pkg-config --cflags --libs crq)
check "and needs libcrq.so.0 at run time" sh -c "readelf -d '$TMP/lc-shared' | grep -q 'NEEDED.*libcrq.so.0'"
# shellcheck disable=SC2046
check "the example builds against libcrq.a" cc $SAN -o "$TMP/lc-static" "$TMP/lc.c" $(pkg-config --static --cflags --libs crq | sed 's/-lcrq/-l:libcrq.a/')
check "and then not against libcrq.so" sh -c "! readelf -d '$TMP/lc-static' | grep -q 'libcrq'"
# shellcheck disable=SC2046
check "the example builds as C++ against libcrq.so" c++ $SAN -x c++ -o "$TMP/lc-cxx" "$TMP/lc.c" -x none $(pkg-config --cflags --libs crq)
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
cd "$TMP"
expect 0 "" "$D/opt/crq/bin/crq" -C s new --title "second one" \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c
expect 0 "" "$D/opt/crq/bin/crq" -C s submit 2
for v in shared static cxx; do
	if [ $v = static ]; then run="$TMP/lc-$v"; else run="env LD_LIBRARY_PATH=$L $TMP/lc-$v"; fi
	# the installed DATADIR is compiled into libcrq: /opt/crq is not there,
	# so CRQ_DATADIR points at the DESTDIR copy
	CRQ_DATADIR="$D/opt/crq/share/crq" $run s >"$TMP/lc" 2>"$TMP/err"
	same "list-changes ($v) exits 0" "$?" "0"
	same "list-changes ($v) lists what crq list does" "$(cat "$TMP/lc")" \
		"$("$CRQ" -C s list --format '%(id)	%(state)	%(title)')"
	CRQ_DATADIR="$D/opt/crq/share/crq" $run s submitted >"$TMP/lc" 2>"$TMP/err"
	same "list-changes ($v) filters by state" "$(cut -f1 "$TMP/lc")" "CHG-000002"
	$run "$TMP/nowhere" >"$TMP/lc" 2>"$TMP/err"
	same "list-changes ($v) outside a repository exits 128" "$?" "128"
	check "with libcrq's one-line error" grep -q "^list-changes: .*nowhere" "$TMP/err"
done
check "make uninstall" make -s -C "$TOP" BUILD="$build" PREFIX=/opt/crq DESTDIR="$D" uninstall
same "uninstall removes what install put" "$(find "$D" -type f | wc -l)" "0"

# DATADIR is compiled in: a crq installed with DATADIR away from its
# PREFIX finds its schemas there, with no CRQ_DATADIR
check "make install PREFIX DATADIR" make -s -C "$TOP" BUILD="$build" PREFIX="$TMP/p" DATADIR="$TMP/data" install
check "the schemas went to DATADIR" test -f "$TMP/data/schemas/change.schema.json"
(unset CRQ_DATADIR; cd "$TMP" && "$TMP/p/bin/crq" schema change >"$TMP/out" 2>"$TMP/err")
same "the installed crq reads DATADIR's schemas" "$(sha1sum <"$TMP/out")" "$(sha1sum <"$TOP/schemas/change.schema.json")"
# and so does libcrq: a program passing no datadir reads DATADIR's
# shellcheck disable=SC2046
check "the example builds against this install" cc $SAN -o "$TMP/lc-p" "$TMP/lc.c" \
	$(PKG_CONFIG_PATH="$TMP/p/lib/pkgconfig" pkg-config --static --cflags --libs crq | sed 's/-lcrq/-l:libcrq.a/')
(unset CRQ_DATADIR; "$TMP/lc-p" "$TMP/s" >"$TMP/lc" 2>"$TMP/err")
same "libcrq finds DATADIR's schemas with no CRQ_DATADIR" "$(cut -f1 "$TMP/lc")" "CHG-000001
CHG-000002"
mv "$TMP/data" "$TMP/data.away"
(unset CRQ_DATADIR; "$TMP/lc-p" "$TMP/s" >"$TMP/lc" 2>"$TMP/err")
check "and without them it says so" test $? -ne 0 -a -s "$TMP/err"
mv "$TMP/data.away" "$TMP/data"
check "make uninstall PREFIX DATADIR" make -s -C "$TOP" BUILD="$build" PREFIX="$TMP/p" DATADIR="$TMP/data" uninstall
same "and uninstall removes it" "$(find "$TMP/p" "$TMP/data" -type f 2>/dev/null | wc -l)" "0"
done_testing
