#!/bin/sh
# Many writers: a bare store served by git daemon on 127.0.0.1 (the real
# git protocol), four clones under four members creating changes,
# moving them and syncing at once.  Afterwards every step from every
# clone is on the shared branch exactly once, ids are unique, and
# crq verify and git fsck are clean everywhere.
. "$(dirname "$0")/lib.sh"

R=${CRQ_TEST_ROUNDS:-4}
cd "$TMP"
"$CRQ" init seed >/dev/null
cd seed
for who in bob carol dave; do
	as alice member add $who@example.com --key "$(keyfor $who).pub" \
		--name $who --role requester >/dev/null
done
cd ..
mkdir srv
git clone -q --bare seed srv/store.git
git -C srv/store.git config daemon.receivepack true
port=$((20000 + $$ % 20000))
git daemon --export-all --enable=receive-pack --base-path="$TMP/srv" \
	--listen=127.0.0.1 --port=$port --reuseaddr --detach \
	--pid-file="$TMP/daemon.pid" "$TMP/srv"
i=0
while ! git ls-remote "git://127.0.0.1:$port/store.git" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.1
done
stop_daemon() { [ -f "$TMP/daemon.pid" ] && kill "$(cat "$TMP/daemon.pid")" 2>/dev/null; }
trap 'stop_daemon; rm -rf "$TMP"' EXIT
for who in alice bob carol dave; do
	git clone -q "git://127.0.0.1:$port/store.git" $who
done

# each writer: R rounds of new + comment + sync (a refused push syncs again)
for who in alice bob carol dave; do
	(
		cd $who
		r=1
		while [ $r -le $R ]; do
			id=$(as $who new --title "$who round $r" 2>>"$TMP/$who.err")
			as $who comment "$id" -m "$who note $r" >/dev/null 2>>"$TMP/$who.err"
			n=0
			until as $who sync >/dev/null 2>>"$TMP/$who.err"; do
				n=$((n + 1))
				[ $n -ge 10 ] && { echo "$who gave up syncing" >>"$TMP/failed"; break; }
			done
			r=$((r + 1))
		done
	) &
done
wait
for who in alice bob carol dave; do
	(cd $who && as $who sync >/dev/null 2>>"$TMP/$who.err") || echo "$who final sync" >>"$TMP/failed"
done
same "no writer gave up" "$(cat "$TMP/failed" 2>/dev/null)" ""
cd "$TMP/alice"
as alice sync >/dev/null 2>&1
git -C "$TMP/srv/store.git" log --format=%s main >"$TMP/subjects"
git -C "$TMP/srv/store.git" log --format=%b main >"$TMP/bodies"
n=0
for who in alice bob carol dave; do
	r=1
	while [ $r -le $R ]; do
		c=$(grep -c "create — $who round $r\$" "$TMP/subjects")
		m=$(grep -c "^$who note $r\$" "$TMP/bodies")
		[ "$c" = 1 ] && [ "$m" = 1 ] || { n=$((n + 1)); echo "# $who round $r: $c creates, $m notes"; }
		r=$((r + 1))
	done
done
same "every step from every clone on the shared branch exactly once" "$n" "0"
same "$((4 * R)) changes, ids unique" \
	"$(git -C "$TMP/srv/store.git" ls-tree -r --name-only main changes | sed 's,.*/,,' | sort -u | wc -l)" "$((4 * R))"
for who in alice bob carol dave; do
	(cd "$TMP/$who" && as $who sync >/dev/null 2>&1)
	expect 0 "" "$CRQ" -C "$TMP/$who" verify
	check "git fsck clean in $who" git -C "$TMP/$who" fsck --strict --no-progress
done
check "git fsck clean on the server" git -C "$TMP/srv/store.git" fsck --strict --no-progress
stop_daemon
done_testing
