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
fsck_clean s
check "make uninstall" make -s -C "$TOP" BUILD="$build" PREFIX=/opt/crq DESTDIR="$D" uninstall
same "uninstall removes what install put" "$(find "$D" -type f | wc -l)" "0"

# DATADIR is compiled in: a crq installed with DATADIR away from its
# PREFIX finds its schemas there, with no CRQ_DATADIR
check "make install PREFIX DATADIR" make -s -C "$TOP" BUILD="$build" PREFIX="$TMP/p" DATADIR="$TMP/data" install
check "the schemas went to DATADIR" test -f "$TMP/data/schemas/change.schema.json"
(unset CRQ_DATADIR; cd "$TMP" && "$TMP/p/bin/crq" schema change >"$TMP/out" 2>"$TMP/err")
same "the installed crq reads DATADIR's schemas" "$(sha1sum <"$TMP/out")" "$(sha1sum <"$TOP/schemas/change.schema.json")"
check "make uninstall PREFIX DATADIR" make -s -C "$TOP" BUILD="$build" PREFIX="$TMP/p" DATADIR="$TMP/data" uninstall
same "and uninstall removes it" "$(find "$TMP/p" "$TMP/data" -type f 2>/dev/null | wc -l)" "0"
done_testing
