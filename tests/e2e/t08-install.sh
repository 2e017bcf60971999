#!/bin/sh
# make install / uninstall with PREFIX and DESTDIR: the installed crq
# finds its schemas and default policy next to itself.
. "$(dirname "$0")/lib.sh"

build=$(dirname "$CRQ")
D="$TMP/dest"
check "make install" make -s -C "$TOP" BUILD="$build" PREFIX=/opt/crq DESTDIR="$D" install
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
done_testing
