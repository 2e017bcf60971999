#!/bin/sh
# libcurl and libical are loaded on first use (lib/dynload.c), not at
# start-up: what the dynamic linker loads (LD_DEBUG=files) shows that
#  - the binary does not link them, and crq show, crq set and crq new
#    in a store whose policy names no zone but UTC load neither;
#  - crq notify test loads libcurl (and delivers, to a local server),
#    crq calendar --ics and a policy naming Europe/London load libical;
#  - a library that cannot be loaded (a file that is no library, found
#    first through LD_LIBRARY_PATH) leaves the commands that do not need
#    it working, and the ones that do fail with one line naming it and
#    what it is for, with a non-zero exit, never a signal;
#  - a library lacking one of the functions crq takes from it is not
#    used at all (a stand-in libcurl.so.4 built here; skipped without a
#    C compiler).
. "$(dirname "$0")/lib.sh"

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
	no_proxy NO_PROXY LD_LIBRARY_PATH LD_PRELOAD
CC=${CC:-cc}
skip() { ntest=$((ntest + 1)); echo "ok $ntest # skip $*"; }

SRV=$TMP/notify-srv
mkdir -p "$SRV"
"$PY" "$TOP/tests/notify-server.py" "$SRV" &
srv_pid=$!
trap 'kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
i=0
while [ ! -s "$SRV/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$SRV/port" ] || { not_ok "the notify server did not start"; done_testing; }
URL=http://127.0.0.1:$(cat "$SRV/port")

# loads LIB CMD...: CMD's exit code in $rc, its stdout in $TMP/ldout,
# its stderr (with the dynamic linker's file lines) in $TMP/ld; 0 when
# LIB (a soname prefix, or a regular expression of them) was loaded
loads() {
	lib=$1
	shift
	LD_DEBUG=files "$@" >"$TMP/ldout" 2>"$TMP/ld"
	rc=$?
	grep -q "file=\($lib\)" "$TMP/ld"
}

# one_line DESCRIPTION WANT-RC TEXT CMD...: CMD exits WANT-RC (not a
# signal) with exactly one line on stderr, holding TEXT
one_line() {
	d=$1 want=$2 text=$3
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$want" ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
	   grep -qF -- "$text" "$TMP/err"; then
		ok "$d"
	else
		not_ok "$d: exit $rc, wanted $want with one line holding '$text'"
		sed 's/^/#   /' "$TMP/err"
	fi
}

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice new --title "Lazy" >/dev/null
git config crq.notify.hook.type webhook
git config crq.notify.hook.url "$URL/webhook/lazy"

# --- nothing at start-up -----------------------------------------------------------------
if command -v readelf >/dev/null 2>&1; then
	if readelf -d "$CRQ" | grep NEEDED >"$TMP/needed" &&
	   ! grep -q "libcurl\|libical" "$TMP/needed"; then
		ok "the binary does not link libcurl or libical"
	else
		not_ok "the binary links: $(cat "$TMP/needed")"
	fi
else
	skip "no readelf"
fi
if loads libgit2 "$CRQ" show CHG-000001 && [ "$rc" = 0 ]; then
	ok "LD_DEBUG=files lists what the dynamic linker loads"
else
	not_ok "no file lines from LD_DEBUG (exit $rc)"
fi
for c in "show CHG-000001" "set CHG-000001 description=lazy" \
		"new --title Second" "list"; do
	# shellcheck disable=SC2086
	if loads 'libcurl\|libical' "$CRQ" $c; then
		not_ok "crq $c loads $(grep -o 'file=lib[a-z]*' "$TMP/ld" | grep 'curl\|ical' | head -1)"
	elif [ "$rc" != 0 ]; then
		not_ok "crq $c exited $rc"
		grep -v "^ *[0-9]*:" "$TMP/ld" | sed 's/^/#   /'
	else
		ok "crq $c loads neither libcurl nor libical"
	fi
done

# --- loaded by what needs them --------------------------------------------------------------
if loads libcurl.so.4 "$CRQ" notify test hook && [ "$rc" = 0 ] &&
   grep -q "file=libcurl.so.4 .*dynamically loaded by" "$TMP/ld" &&
   grep -q "^sent evt-[0-9a-f]* to hook$" "$TMP/ldout"; then
	ok "crq notify test loads libcurl and delivers"
else
	not_ok "notify test: exit $rc, $(grep "file=libcurl" "$TMP/ld" | head -1)"
	grep -v "^ *[0-9]*:" "$TMP/ld" | sed 's/^/#   /'
fi
same "the server got the event" "$(grep -c '"/webhook/lazy"' "$SRV/requests.jsonl")" 1
if loads libical.so.3 "$CRQ" calendar --ics && [ "$rc" = 0 ] &&
   grep -q "^BEGIN:VCALENDAR" "$TMP/ldout"; then
	ok "crq calendar --ics loads libical and writes the calendar"
else
	not_ok "calendar --ics: exit $rc"
fi

# a zone other than UTC in the policy: every parse of it checks the zone
"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["calendars"]["office"]["tz"] = "Europe/London"
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/london.yaml"
cp -R . "$TMP/london"
cd "$TMP/london"
expect 0 "" as alice policy apply "$TMP/london.yaml"
if loads libical.so.3 "$CRQ" show CHG-000001 && [ "$rc" = 0 ]; then
	ok "crq show loads libical when the policy names Europe/London"
else
	not_ok "show under a Europe/London policy: exit $rc"
fi
cd "$TMP/s"

# --- a library that cannot be loaded -------------------------------------------------------
mkdir "$TMP/bogus"
echo "not a library" >"$TMP/bogus/libcurl.so.4"
echo "not a library" >"$TMP/bogus/libical.so.3"
bogus() { LD_LIBRARY_PATH=$TMP/bogus "$@"; }
expect 0 "" bogus "$CRQ" show CHG-000001
expect 0 "" bogus "$CRQ" set CHG-000001 description=bogus
same "crq set under the bogus libraries made its step" \
	"$(git cat-file -p HEAD:changes/000/CHG-000001.yaml | sed -n 's/^description: //p')" bogus
one_line "crq notify test: one line naming libcurl.so.4" 1 \
	"cannot send evt-" bogus "$CRQ" notify test hook
grep -q ": cannot load libcurl.so.4: .*libcurl.so.4: .* (needed for notifications)$" "$TMP/err" &&
	ok "the line says what failed and what it is needed for" ||
	not_ok "the line: $(cat "$TMP/err")"
one_line "crq calendar --ics: one line naming libical.so.3" 128 \
	"fatal: cannot load libical.so.3: " bogus "$CRQ" calendar --ics
grep -q "(needed for time zones and calendars)$" "$TMP/err" &&
	ok "and what it is needed for" || not_ok "the line: $(cat "$TMP/err")"
expect 0 "" bogus "$CRQ" calendar --json
cd "$TMP/london"
one_line "a Europe/London policy: crq show fails in one line, as a machine error (128)" 128 \
	"time zone 'Europe/London': cannot load libical.so.3: " \
	bogus "$CRQ" show CHG-000001
# verify cannot judge a policy whose zones it cannot check: an error (128),
# never a policy-invalid violation, and nothing is recorded of it, with
# the cache off, with it cleared, and after a verify that could judge
one_line "verify without libical, cache off: cannot judge, exit 128" 128 \
	"fatal: cannot judge commit " bogus env CRQ_CACHE=off "$CRQ" verify
grep -q "time zone 'Europe/London': cannot load libical.so.3" "$TMP/err" &&
	ok "and says which zone needed the library" || not_ok "the line: $(cat "$TMP/err")"
rm -rf .git/crq/cache .git/crq/verified
one_line "verify without libical, cache cleared: the same" 128 \
	"fatal: cannot judge commit " bogus "$CRQ" verify
check "nothing was recorded as verified" test ! -e .git/crq/verified
expect 0 "" "$CRQ" verify
rm -f .git/crq/verified
expect 0 "" bogus "$CRQ" verify
check "verdicts reached with libical stand without it" grep -q "^0 commits checked, 0 violations" "$TMP/out" "$TMP/err"
cd "$TMP/s"
same "the bogus library reached nothing" "$(grep -c '"/webhook/lazy"' "$SRV/requests.jsonl")" 1

# --- a library lacking a function is not used at all -----------------------------------------
if command -v "$CC" >/dev/null 2>&1; then
	mkdir "$TMP/fake"
	# every function crq takes from libcurl but curl_slist_free_all;
	# each one records that it ran
	cat >"$TMP/fake/fake.c" <<EOF
#include <stdio.h>
static void ran(const char *f)
{
	FILE *o = fopen("$TMP/fake/ran", "a");

	if (o) {
		fprintf(o, "%s\n", f);
		fclose(o);
	}
}
#define FN(f) void *f(void); void *f(void) { ran(#f); return 0; }
FN(curl_global_init) FN(curl_global_cleanup) FN(curl_easy_init)
FN(curl_easy_setopt) FN(curl_easy_perform) FN(curl_easy_getinfo)
FN(curl_easy_strerror) FN(curl_easy_cleanup) FN(curl_slist_append)
EOF
	if "$CC" -shared -fPIC -o "$TMP/fake/libcurl.so.4" "$TMP/fake/fake.c" \
			2>"$TMP/ccerr"; then
		LD_LIBRARY_PATH=$TMP/fake "$CRQ" notify test hook >"$TMP/out" 2>"$TMP/err"
		rc=$?
		if [ "$rc" = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
		   grep -q "cannot load libcurl.so.4: it has no function curl_slist_free_all (needed for notifications)$" "$TMP/err"; then
			ok "a libcurl.so.4 without curl_slist_free_all: refused in one line"
		else
			not_ok "the stand-in: exit $rc"
			sed 's/^/#   /' "$TMP/err"
		fi
		[ ! -e "$TMP/fake/ran" ] &&
			ok "none of the stand-in's functions ran" ||
			not_ok "ran: $(cat "$TMP/fake/ran")"
	else
		not_ok "cannot build the stand-in libcurl"
		sed 's/^/#   /' "$TMP/ccerr"
	fi
else
	skip "no C compiler for the stand-in libcurl"
fi

done_testing
