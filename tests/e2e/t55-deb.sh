#!/bin/sh
# The Debian packages (debian/): dpkg-buildpackage -us -uc -b, in a copy
# of the source tree (the files git tracks or would track, so a dirty
# checkout builds as it stands), makes crq and libcrq-dev; each holds
# its files and not the shared library; lintian reports no tag that is
# not overridden; and what they install works from an extracted tree:
# crq runs and reads its schemas, its man page renders without groff
# warnings, pkg-config --static finds libcrq, and a program built
# against it (examples/list-changes.c) lists the changes of a store.
# Needs dpkg-dev, debhelper, lintian, man-db, pkg-config and a C
# compiler; a missing one fails the test, it does not skip it.
. "$(dirname "$0")/lib.sh"

missing=
for t in dpkg-buildpackage dpkg-deb dpkg-architecture dh lintian man \
		pkg-config cc git tar; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	not_ok "not installed:$missing (dpkg-dev, debhelper, lintian, man-db, pkg-config, gcc)"
	done_testing
fi
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
VERSION=$(sed -n 's/^#define CRQ_VERSION "\(.*\)"/\1/p' "$TOP/include/crq/error.h")
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)

# the copy: tracked and untracked files git does not ignore, as they are
# in the work tree now (a tracked file deleted there is left out)
src=$TMP/src/crq-$VERSION
mkdir -p "$src"
git -C "$TOP" ls-files -z --cached --others --exclude-standard |
	tar -C "$TOP" --null --no-recursion --ignore-failed-read -T - -cf - 2>"$TMP/tarerr" |
	tar -C "$src" -xf -
check "the source tree copied ($(find "$src" -type f | wc -l) files)" test -x "$src/debian/rules"

# the build sees none of the make or build settings of whatever runs
# this test (make check's CFLAGS and BUILD reach it through MAKEFLAGS)
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u CPPFLAGS \
	-u LDFLAGS -u LDLIBS -u CC -u BUILD -u PREFIX -u DESTDIR \
	dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
rc=$?
if [ $rc = 0 ]; then
	ok "dpkg-buildpackage -us -uc -b"
else
	not_ok "dpkg-buildpackage -us -uc -b exited $rc"
	tail -n 40 "$TMP/build.log" | sed 's/^/#   /'
fi
crq_deb=$TMP/src/crq_${VERSION}_$ARCH.deb
dev_deb=$TMP/src/libcrq-dev_${VERSION}_$ARCH.deb
changes=$TMP/src/crq_${VERSION}_$ARCH.changes
check "crq_${VERSION}_$ARCH.deb built" test -f "$crq_deb"
check "libcrq-dev_${VERSION}_$ARCH.deb built" test -f "$dev_deb"
check "the .changes written" test -f "$changes"
# the hardening flags reached the compiler and the linker
check "dpkg-buildflags' CFLAGS used" grep -q -- '-fstack-protector-strong' "$TMP/build.log"
check "dpkg-buildflags' LDFLAGS used" grep -q -- '-z,relro' "$TMP/build.log"

# has PACKAGE PATH: the package's file list (dpkg-deb -c) holds PATH
has() {
	if grep -qxF "./$2" "$TMP/list.$1"; then
		ok "$1 holds /$2"
	else
		not_ok "$1 lacks /$2"
	fi
}
dpkg-deb -c "$crq_deb" 2>/dev/null | awk '{ print $6 }' >"$TMP/list.crq"
dpkg-deb -c "$dev_deb" 2>/dev/null | awk '{ print $6 }' >"$TMP/list.libcrq-dev"
has crq usr/bin/crq
has crq usr/share/man/man1/crq.1.gz
has crq usr/share/man/man1/crq-approve.1.gz
has crq usr/share/man/man5/crq-policy.5.gz
has crq usr/share/bash-completion/completions/crq
has crq usr/share/zsh/vendor-completions/_crq
has crq usr/share/fish/vendor_completions.d/crq.fish
has crq usr/share/crq/schemas/change.schema.json
has crq usr/share/crq/examples/policy.yaml
has crq usr/share/doc/crq/copyright
has crq usr/share/doc/crq/examples
has libcrq-dev usr/include/crq.h
has libcrq-dev usr/include/crq/change.h
has libcrq-dev "usr/lib/$MA/libcrq.a"
has libcrq-dev "usr/lib/$MA/pkgconfig/crq.pc"
same "no libcrq.so in either package" \
	"$(cat "$TMP/list.crq" "$TMP/list.libcrq-dev" | grep -c 'libcrq\.so')" 0
same "every public header is in libcrq-dev" \
	"$(grep -c '^\./usr/include/crq/.*\.h$' "$TMP/list.libcrq-dev")" \
	"$(find "$src/include/crq" -name '*.h' | wc -l)"

# the libraries crq loads with dlopen, which dpkg-shlibdeps cannot see
dep=$(dpkg-deb -f "$crq_deb" Depends 2>/dev/null)
rec=$(dpkg-deb -f "$crq_deb" Recommends 2>/dev/null)
case $dep in *libical3*) ok "crq depends on libical3" ;; *) not_ok "crq's Depends lacks libical3: $dep" ;; esac
case $rec in *libcurl4*) ok "crq recommends libcurl4" ;; *) not_ok "crq's Recommends lacks libcurl4: $rec" ;; esac

# lintian: any tag at all (error, warning, info, pedantic) that is not
# overridden fails; overrides (in debian/*lintian-overrides) say why.
# The source package too (built after the binaries: -S cleans first),
# for what only it shows: debian/control, rules, copyright, changelog.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	dpkg-buildpackage -S -us -uc) >"$TMP/source.log" 2>&1 ||
	tail -n 30 "$TMP/source.log" | sed 's/^/#   /'
dsc=$TMP/src/crq_$VERSION.dsc
check "the source package built" test -f "$dsc"
lintian --pedantic --display-info --fail-on error,warning,info,pedantic \
	"$changes" "$dsc" >"$TMP/lintian" 2>"$TMP/lintian.err"
rc=$?
grep -E '^[EWIPX]: ' "$TMP/lintian" >"$TMP/tags"
if [ $rc = 0 ] && [ ! -s "$TMP/tags" ]; then
	ok "lintian: no tags"
else
	not_ok "lintian exited $rc, $(wc -l <"$TMP/tags") tags"
	sed 's/^/#   /' "$TMP/lintian" "$TMP/lintian.err"
fi

# what the packages install, in a scratch root
root=$TMP/root
mkdir -p "$root"
check "dpkg -x crq" dpkg -x "$crq_deb" "$root"
check "dpkg -x libcrq-dev" dpkg -x "$dev_deb" "$root"
expect 0 "" "$root/usr/bin/crq" --version
if grep -q "crq version $VERSION" "$TMP/out"; then
	ok "crq --version says $VERSION"
else
	not_ok "crq --version: $(cat "$TMP/out")"
fi
check "DATADIR /usr/share/crq compiled in" grep -qa /usr/share/crq "$root/usr/bin/crq"
cd "$TMP" || exit 1
expect 0 "" "$root/usr/bin/crq" schema policy
same "the packaged crq reads the packaged schemas" "$(sha1sum <"$TMP/out")" \
	"$(sha1sum <"$root/usr/share/crq/schemas/policy.schema.json")"

MANWIDTH=80 man --warnings -l "$root/usr/share/man/man1/crq-approve.1.gz" \
	>"$TMP/man" 2>"$TMP/manerr"
rc=$?
if [ $rc = 0 ] && [ ! -s "$TMP/manerr" ] && grep -q '^ *crq-approve - ' "$TMP/man"; then
	ok "man -l crq-approve.1.gz renders without warnings"
else
	not_ok "man -l crq-approve.1.gz exited $rc"
	sed 's/^/#   /' "$TMP/manerr"
fi

export PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root/usr/lib/$MA/pkgconfig"
expect 0 "" pkg-config --libs --static crq
if grep -q -- "-L$root/usr/lib/$MA -lcrq" "$TMP/out"; then
	ok "pkg-config names the packaged libcrq"
else
	not_ok "pkg-config --libs --static crq: $(cat "$TMP/out")"
fi
same "crq.pc's version" "$(pkg-config --modversion crq 2>&1)" "$VERSION"

# a program of the library's, built against the packages alone (only the
# static library is there) and run on a store crq made
if [ -f "$TOP/examples/list-changes.c" ]; then
	ex=$root/usr/share/crq/examples/list-changes.c
	check "the packages hold examples/list-changes.c" test -f "$ex"
	# shellcheck disable=SC2046 # pkg-config's flags are words
	if cc -o "$TMP/list-changes" "$ex" $(pkg-config --cflags --libs --static crq) \
			>"$TMP/ccerr" 2>&1; then
		ok "list-changes.c builds against libcrq-dev"
	else
		not_ok "list-changes.c does not build against libcrq-dev"
		sed 's/^/#   /' "$TMP/ccerr"
	fi
	expect 0 "" "$CRQ" init s
	expect 0 "" "$CRQ" -C s new --title "From the package"
	expect 0 "" env CRQ_DATADIR="$root/usr/share/crq" "$TMP/list-changes" s
	same "list-changes lists the store's change" "$(cat "$TMP/out")" \
		"$(printf 'CHG-000001\tdraft\tFrom the package')"
fi
done_testing
