#!/bin/sh
# crq notify: every channel type (slack, teams, feishu, dingtalk, wecom,
# webhook, command) sent a sample event with `crq notify test` to a
# local stand-in server (tests/notify-server.py), which records what it
# gets: each payload's shape, and each signature worked out again here
# with python's hmac, hashlib and base64 from what the server received
# (DingTalk's in the query, Feishu's in the body, the webhook's
# header); the vendors' refusals (a bad Feishu signature, a DingTalk
# errcode, a 404) reported, not retried; a 500 twice then 200 delivered
# on the third attempt, a 500 for good given up after the retries; a
# server that never answers cut off at the timeout; a command that
# fails or hangs (killed with its children); misconfigured channels
# named in one line; `crq notify list` and its --json with the secrets
# and webhook tokens hidden; the retry journal (`crq notify retry`
# against a server down, then up again); usage errors.  At the end,
# what needs crq events: `crq notify` sending the stream once (the sent
# log), --since, a failed delivery journaled and retried, two senders
# at once sending nothing twice, and the notifications a step sends.
. "$(dirname "$0")/lib.sh"

# nothing between crq and the local server
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
	no_proxy NO_PROXY

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
if [ ! -s "$SRV/port" ]; then
	not_ok "the notify server did not start"
	done_testing
fi
URL=http://127.0.0.1:$(cat "$SRV/port")
ok "the notify server listens at $URL"

# pycheck "description" PATH-PREFIX 'python' [ARG]: the python runs on
# the last request whose path starts with PATH-PREFIX: r (the request:
# method, path, headers with lower-case names), raw (its body's bytes),
# b (the body as JSON), arg; an assert that fails fails the test
pycheck() {
	d=$1
	if out=$("$PY" -c '
import base64, hashlib, hmac, json, re, sys, time, urllib.parse
rs = [json.loads(l) for l in open(sys.argv[1])]
rs = [r for r in rs if r["path"].startswith(sys.argv[2])]
assert rs, "no request to " + sys.argv[2]
r = rs[-1]
raw = base64.b64decode(r["body_b64"])
b = json.loads(raw) if raw else None
arg = sys.argv[4] if len(sys.argv) > 4 else None
exec(sys.argv[3])
' "$SRV/requests.jsonl" "$2" "$3" ${4+"$4"} 2>&1); then
		ok "$d"
	else
		not_ok "$d"
		echo "$out" | sed 's/^/#   /'
	fi
}

# requests PATH-PREFIX: how many the server got
requests() {
	"$PY" -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["path"].startswith(sys.argv[2])))' \
		"$SRV/requests.jsonl" "$1"
}

# sent NAME: crq notify test NAME delivers, saying "sent ID to NAME";
# ID is left in $id
sent() {
	expect 0 "" "$CRQ" notify test "$1" || return 1
	id=$(sed -n "s/^sent \(evt-[0-9a-f]\{24\}\) to $1\$/\1/p" "$TMP/out")
	if [ -n "$id" ] && [ "$(wc -l <"$TMP/out")" = 1 ]; then
		ok "notify test $1 says: sent $id to $1"
	else
		not_ok "notify test $1 printed: $(cat "$TMP/out")"
	fi
}

# ms: milliseconds since the epoch
ms() { "$PY" -c 'import time; print(int(time.time() * 1000))'; }

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
cfg() { git config "crq.notify.$1.$2" "$3"; }
expect 0 "no notify channel is configured" "$CRQ" notify list
same "... and nothing on stdout" "$(cat "$TMP/out")" ""
expect 0 "no notify channel is configured" "$CRQ" notify
expect 0 "" "$CRQ" notify list --json
same "list --json: none" "$(cat "$TMP/out")" "[]"

# ===== each vendor's message ===========================================
TEXT="[crq] test notification: crq reaches channel"

cfg sl type slack
cfg sl url "$URL/slack/services/T0/B0/slack-token-Xy7"
sent sl
pycheck "slack: a POST of JSON {text} (mrkdwn)" /slack/ '
assert r["method"] == "POST", r
assert r["headers"]["content-type"] == "application/json", r["headers"]
assert b == {"text": arg + " '"'"'sl'"'"'"}, b
' "$TEXT"

cfg tm type teams
cfg tm url "$URL/teams/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=teams-sig-Q3"
sent tm
pycheck "teams: a message with one Adaptive Card 1.4 of TextBlocks" /teams/ '
assert r["path"].endswith("?api-version=2016-06-01&sig=teams-sig-Q3"), r["path"]
assert b["type"] == "message" and len(b["attachments"]) == 1, b
a = b["attachments"][0]
assert a["contentType"] == "application/vnd.microsoft.card.adaptive", a
assert "contentUrl" in a and a["contentUrl"] is None, a
c = a["content"]
assert c["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json", c
assert c["type"] == "AdaptiveCard" and c["version"] == "1.4", c
t = c["body"][0]
assert t["type"] == "TextBlock" and t["wrap"] is True, t
assert t["text"] == arg + " '"'"'tm'"'"'", t
' "$TEXT"

FS_SECRET=fs-secret-Zq9
cfg fs type feishu
cfg fs url "$URL/feishu/open-apis/bot/v2/hook/feishu-hook-Pz1"
cfg fs secret "$FS_SECRET"
sent fs
pycheck "feishu: timestamp (s), sign = base64(HMAC-SHA256(key=ts+LF+secret, empty)), msg_type text" /feishu/ '
assert sorted(b) == ["content", "msg_type", "sign", "timestamp"], b
assert b["msg_type"] == "text", b
assert b["content"] == {"text": "[crq] test notification: crq reaches channel '"'"'fs'"'"'"}, b
ts = b["timestamp"]
assert isinstance(ts, str) and re.fullmatch(r"[0-9]{10}", ts), ts
assert abs(int(ts) - time.time()) < 300, ts
key = (ts + "\n" + arg).encode()
want = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
assert b["sign"] == want, (b["sign"], want)
' "$FS_SECRET"
cfg fs0 type feishu
cfg fs0 url "$URL/feishu/nosecret"
sent fs0
pycheck "feishu without a secret: no timestamp, no sign" /feishu/nosecret '
assert sorted(b) == ["content", "msg_type"], b
'

DT_SECRET=SECdt-secret-Kp2
cfg dt type dingtalk
cfg dt url "$URL/dingtalk/robot/send?access_token=dt-token-77"
cfg dt secret "$DT_SECRET"
sent dt
pycheck "dingtalk: &timestamp (ms) &sign = urlencode(base64(HMAC-SHA256(secret, ts+LF+secret))), msgtype text" /dingtalk/ '
u = urllib.parse.urlsplit(r["path"])
assert u.path == "/dingtalk/robot/send", u
q = [p.split("=", 1) for p in u.query.split("&")]
assert [k for k, v in q] == ["access_token", "timestamp", "sign"], q
q = dict(q)
assert q["access_token"] == "dt-token-77", q
ts = q["timestamp"]
assert re.fullmatch(r"[0-9]{13}", ts) and abs(int(ts) / 1000 - time.time()) < 300, ts
mac = hmac.new(arg.encode(), (ts + "\n" + arg).encode(), hashlib.sha256).digest()
want = urllib.parse.quote_plus(base64.b64encode(mac).decode())
assert q["sign"] == want, (q["sign"], want)
assert b == {"msgtype": "text", "text": {"content": "[crq] test notification: crq reaches channel '"'"'dt'"'"'"}}, b
' "$DT_SECRET"

cfg wc type wecom
cfg wc url "$URL/wecom/cgi-bin/webhook/send?key=wc-key-31"
sent wc
pycheck "wecom: msgtype text, the address as it is" /wecom/ '
assert r["path"] == "/wecom/cgi-bin/webhook/send?key=wc-key-31", r["path"]
assert b == {"msgtype": "text", "text": {"content": "[crq] test notification: crq reaches channel '"'"'wc'"'"'"}}, b
'

WH_SECRET=wh-secret-Lm4
cfg wh type webhook
cfg wh url "$URL/webhook/ci"
cfg wh secret "$WH_SECRET"
sent wh
pycheck "webhook: the event, X-Crq-Signature-256 = sha256=hex(HMAC-SHA256(secret, body)), X-Crq-Event, X-Crq-Delivery" /webhook/ci '
h = r["headers"]
want = "sha256=" + hmac.new(arg.encode(), raw, hashlib.sha256).hexdigest()
assert h["x-crq-signature-256"] == want, (h, want)
assert h["content-type"] == "application/json", h
assert h["x-crq-event"] == "test" and b["type"] == "test", (h, b)
assert re.fullmatch(r"evt-[0-9a-f]{24}", b["id"]), b
assert h["x-crq-delivery"] == b["id"], h
assert b["summary"] == "crq reaches channel '"'"'wh'"'"'", b
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["time"]), b
' "$WH_SECRET"
same "the id crq printed is the delivery's" "$id" "$("$PY" -c '
import json, sys
print([json.loads(l) for l in open(sys.argv[1])][-1]["headers"]["x-crq-delivery"])' "$SRV/requests.jsonl")"
cfg wh0 type webhook
cfg wh0 url "$URL/webhook/nosecret"
sent wh0
pycheck "webhook without a secret: no signature" /webhook/nosecret '
assert "x-crq-signature-256" not in r["headers"], r["headers"]
'

cfg cmd type command
cfg cmd command "cat >'$TMP/cmd.json'; printf '%s %s %s %s\n' \"\$CRQ_EVENT_ID\" \"\$CRQ_EVENT_TYPE\" \"\$CRQ_CHANNEL\" \"\$(pwd)\" >'$TMP/cmd.env'"
sent cmd
if "$PY" -c '
import json, sys
e = json.load(open(sys.argv[1]))
env = open(sys.argv[2]).read().split()
assert e["type"] == "test" and env == [e["id"], "test", "cmd", sys.argv[4]], (e, env)
assert e["id"] == sys.argv[3], e
' "$TMP/cmd.json" "$TMP/cmd.env" "$id" "$(pwd -P)" 2>"$TMP/perr"; then
	ok "command: the event as JSON on stdin, CRQ_EVENT_ID, CRQ_EVENT_TYPE, CRQ_CHANNEL, run in the work tree"
else
	not_ok "command: $(cat "$TMP/perr" "$TMP/cmd.env")"
fi

# ===== refusals, retries, timeouts =====================================
cfg fsbad type feishu
cfg fsbad url "$URL/feishu-badsign/hook"
cfg fsbad secret "$FS_SECRET"
expect 1 "to 'fsbad' (1 attempt): feishu answered code 19021: sign match fail or timestamp is not within one hour" \
	"$CRQ" notify test fsbad
same "feishu's refusal is not retried" "$(requests /feishu-badsign)" 1
cfg dterr type dingtalk
cfg dterr url "$URL/dingtalk-err/robot/send?access_token=dt-token-77"
cfg dterr secret "$DT_SECRET"
expect 1 "to 'dterr' (1 attempt): dingtalk answered errcode 310000: keywords not in content" \
	"$CRQ" notify test dterr
cfg gone type slack
cfg gone url "$URL/notfound/services/T/B/slack-token-Xy7"
expect 1 "to 'gone' (1 attempt): HTTP 404: no_service" "$CRQ" notify test gone
same "a 4xx is not retried" "$(requests /notfound)" 1

cfg moved type webhook
cfg moved url "$URL/redirect/hook"
expect 1 "to 'moved' (1 attempt): HTTP 302" "$CRQ" notify test moved
same "a redirect is not followed" "$(requests /webhook/redirected)" 0

cfg flaky type webhook
cfg flaky url "$URL/flaky/f1/2/hook"
expect 0 "" "$CRQ" notify test flaky --json
same "500, 500, then 200: three requests" "$(requests /flaky/f1/)" 3
"$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and r[0]["ok"] is True and r[0]["attempts"] == 3 and r[0]["error"] is None, r
assert r[0]["channel"] == "flaky", r
' "$TMP/out" 2>"$TMP/perr" && ok "--json: delivered on the 3rd attempt" ||
	not_ok "flaky --json: $(cat "$TMP/out" "$TMP/perr")"
cfg stuck type webhook
cfg stuck url "$URL/flaky/f2/99/hook"
expect 1 "error: cannot send evt-" "$CRQ" notify test stuck
grep -q "to 'stuck' (3 attempts): HTTP 500: busy\$" "$TMP/err" &&
	ok "a 500 for good: given up after 1 + 2 retries, said so" ||
	not_ok "stuck: $(cat "$TMP/err")"
same "three requests, no more" "$(requests /flaky/f2/)" 3
cfg stuck retries 0
expect 1 "(1 attempt): HTTP 500" "$CRQ" notify test stuck
same "retries 0: one request" "$(requests /flaky/f2/)" 4

cfg hang type webhook
cfg hang url "$URL/hang/hook"
cfg hang timeout 1
cfg hang retries 0
t0=$(ms)
expect 1 "to 'hang' (1 attempt): Operation timed out" "$CRQ" notify test hang
t=$(( $(ms) - t0 ))
[ $t -ge 900 ] && [ $t -lt 5000 ] && ok "a server that never answers: cut off after the 1s timeout (${t}ms)" ||
	not_ok "hang took ${t}ms"
cfg hang retries 1
t0=$(ms)
expect 1 "to 'hang' (2 attempts): Operation timed out" "$CRQ" notify test hang
t=$(( $(ms) - t0 ))
[ $t -lt 8000 ] && ok "a timeout is retried (${t}ms)" || not_ok "hang twice took ${t}ms"
same "the server saw each attempt" "$(requests /hang/)" 3

cfg refused type dingtalk
cfg refused url "http://127.0.0.1:1/robot/send?access_token=dt-token-77"
cfg refused secret "$DT_SECRET"
cfg refused retries 0
expect 1 "to 'refused' (1 attempt): Failed to connect to 127.0.0.1 port 1" \
	"$CRQ" notify test refused
cp "$TMP/err" "$TMP/refused.err"

cfg boom type command
cfg boom command 'echo "pager says no" >&2; exit 3'
cfg boom retries 0
expect 1 "to 'boom' (1 attempt): the command exited with status 3: pager says no" \
	"$CRQ" notify test boom
cfg slow type command
cfg slow command "sleep 30 & echo \$! >'$TMP/slow.pid'; wait"
cfg slow timeout 1
cfg slow retries 0
t0=$(ms)
expect 1 "to 'slow' (1 attempt): the command did not finish within 1s (killed)" \
	"$CRQ" notify test slow
t=$(( $(ms) - t0 ))
[ $t -lt 5000 ] && ok "a hanging command: killed at the timeout (${t}ms)" || not_ok "slow took ${t}ms"
sleep 0.2
p=$(cat "$TMP/slow.pid")
if [ ! -e /proc/$p ] || grep -q '^[0-9]* ([^)]*) Z' /proc/$p/stat 2>/dev/null; then
	ok "... and its children with it (its process group)"
else
	not_ok "the command's sleep $p still runs"
	kill "$p" 2>/dev/null
fi

# ===== misconfigured channels ==========================================
# expect1 "message" crq-args: exit 1 and that one line on stderr
expect1() {
	want=$1
	shift
	expect 1 "$want" "$CRQ" "$@" &&
	same "... in one line" "$(wc -l <"$TMP/err")" 1
}
expect1 "error: notify channel 'bad': unknown type 'pager' (slack, teams, feishu, dingtalk, wecom, webhook, command)" \
	-c crq.notify.bad.type=pager notify test bad
expect1 "error: notify channel 'nourl' (slack) has no url" \
	-c crq.notify.nourl.type=slack notify test nourl
expect1 "error: notify channel 'ftp': the url is not an http:// or https:// address" \
	-c crq.notify.ftp.type=webhook -c crq.notify.ftp.url=ftp://127.0.0.1/x notify test ftp
expect1 "error: notify channel 'typo': unknown setting 'tyep' (known: type, url, secret, events, command, timeout, retries)" \
	-c crq.notify.typo.type=slack -c crq.notify.typo.tyep=slack notify test typo
expect1 "error: notify channel 'nocmd' (command) has no command" \
	-c crq.notify.nocmd.type=command notify test nocmd
expect1 "error: notify channel 'sl': timeout 'soon' is not a number from 1 to 600" \
	-c crq.notify.sl.timeout=soon notify test sl
expect1 "error: notify channel 'bad': unknown type 'pager'" \
	-c crq.notify.bad.type=pager notify list
expect 1 "error: no notify channel 'nosuch' is configured" "$CRQ" notify test nosuch
grep -q "^hint: git config crq.notify.nosuch.type slack" "$TMP/err" &&
	ok "... with a hint" || not_ok "nosuch: $(cat "$TMP/err")"
expect 0 "" "$CRQ" -c crq.notify.bad.type=pager notify test sl
expect 0 "" "$CRQ" -c crq.notify.sl.url="$URL/slack/override" notify test sl
same "-c overrides the configured url" "$(requests /slack/override)" 1

# ===== crq notify list =================================================
expect 0 "" "$CRQ" notify list
cp "$TMP/out" "$TMP/list.txt"
same "one line per channel, by name" "$(cut -d' ' -f1 "$TMP/list.txt" | tr '\n' ' ')" \
	"boom cmd dt dterr flaky fs fs0 fsbad gone hang moved refused sl slow stuck tm wc wh wh0 "
grep -q "^dt  *dingtalk  *$URL/\.\.\.  secret (set)  events: .*  timeout 10s  retries 2\$" "$TMP/list.txt" &&
	ok "list: name, type, address without its path, secret (set), events, timeout, retries" ||
	not_ok "list: $(cat "$TMP/list.txt")"
grep -q "^slow  *command  *command: sleep 30 .*  timeout 1s  retries 0\$" "$TMP/list.txt" &&
	ok "list: a command channel shows its command" || not_ok "list: $(grep slow "$TMP/list.txt")"
expect 0 "" "$CRQ" notify list --json
cp "$TMP/out" "$TMP/list.json"
"$PY" -c '
import json, sys
c = {x["name"]: x for x in json.load(open(sys.argv[1]))}
url = sys.argv[2]
assert c["fs"]["secret"] == "(set)" and c["dt"]["secret"] == "(set)", c
assert "secret" not in c["sl"], c["sl"]
for n in ("sl", "tm", "fs", "dt", "wc", "wh"):
	assert c[n]["url"] == url + "/...", c[n]
assert c["cmd"]["type"] == "command" and "url" not in c["cmd"], c["cmd"]
assert c["hang"]["timeout"] == 1 and c["hang"]["retries"] == 1, c["hang"]
assert c["sl"]["events"] == [], c["sl"]
' "$TMP/list.json" "$URL" 2>"$TMP/perr" && ok "list --json: the channels, secrets as (set)" ||
	not_ok "list --json: $(cat "$TMP/perr")"
leaks=
for s in "$FS_SECRET" "$DT_SECRET" "$WH_SECRET" dt-token-77 wc-key-31 slack-token-Xy7 \
		teams-sig-Q3 feishu-hook-Pz1; do
	grep -qF -- "$s" "$TMP/list.txt" "$TMP/list.json" "$TMP/refused.err" && leaks="$leaks $s"
done
same "no secret, no webhook token in list, list --json or an error" "$leaks" ""

# ===== the retry journal ===============================================
# A delivery that failed (as crq notify leaves one in the journal:
# channel, the whole event, attempts, last error, time) is sent again
# by crq notify retry while the server is down, then once it is up.
cfg down type webhook
cfg down url "$URL/status/down"
cfg down secret "$WH_SECRET"
cfg down retries 1
echo 500 >"$SRV/down"
J=.git/crq/notify
mkdir -p $J
EV='{"id":"evt-00000000000000000000beef","type":"step","time":"2026-11-23T10:00:00Z","change":"CHG-000001","title":"Upgrade","summary":"alice@example.com submitted CHG-000001","commit":"0000000000000000000000000000000000000000","action":"submit","from":"draft","to":"submitted","by":"alice@example.com"}'
printf '{"channel":"down","event":%s,"attempts":3,"error":"HTTP 500","time":"2026-11-23T10:00:00Z"}\n' "$EV" >$J/failed
expect 1 "error: cannot send evt-00000000000000000000beef to 'down' (2 attempts): HTTP 500: unavailable" \
	"$CRQ" notify retry
grep -q "^hint: kept for 'crq notify retry'" "$TMP/err" && ok "... kept, says the hint" ||
	not_ok "retry down: $(cat "$TMP/err")"
"$PY" -c '
import json, sys
j = [json.loads(l) for l in open(sys.argv[1])]
assert len(j) == 1, j
e = j[0]
assert e["channel"] == "down" and e["attempts"] == 5 and e["error"] == "HTTP 500: unavailable", e
assert e["event"] == json.loads(sys.argv[2]), e
assert e["time"].endswith("Z"), e
' $J/failed "$EV" 2>"$TMP/perr" && ok "still in the journal: attempts add up, the last error" ||
	not_ok "journal: $(cat $J/failed "$TMP/perr")"
echo 200 >"$SRV/down"
expect 0 "" "$CRQ" notify retry
same "the server is up: retry delivers it" "$(cat "$TMP/out")" "sent evt-00000000000000000000beef to down"
[ ! -s $J/failed ] && ok "the journal is empty" || not_ok "journal left: $(cat $J/failed)"
grep -qx "down	evt-00000000000000000000beef" $J/sent && ok "the sent log has it" ||
	not_ok "sent: $(cat $J/sent)"
pycheck "the event as it was, signed" /status/down '
assert b == json.loads(arg), b
want = "sha256=" + hmac.new(b"'"$WH_SECRET"'", raw, hashlib.sha256).hexdigest()
assert r["headers"]["x-crq-signature-256"] == want, r["headers"]
assert r["headers"]["x-crq-delivery"] == "evt-00000000000000000000beef", r["headers"]
' "$EV"
expect 0 "nothing to retry" "$CRQ" notify retry
# sent already (by a later crq notify): it leaves the journal unsent
printf '{"channel":"down","event":%s,"attempts":1,"error":"x","time":"2026-11-23T10:00:00Z"}\n' "$EV" >$J/failed
n=$(requests /status/down)
expect 0 "nothing to retry" "$CRQ" notify retry
same "what the sent log has is not sent again" "$(requests /status/down)" "$n"
[ ! -s $J/failed ] && ok "... and leaves the journal" || not_ok "journal left: $(cat $J/failed)"
# a channel no longer configured: said, and kept
printf '{"channel":"nolonger","event":%s,"attempts":1,"error":"x","time":"2026-11-23T10:00:00Z"}\n' "$EV" >$J/failed
expect 1 "to 'nolonger' (0 attempts): channel 'nolonger' is not configured (any more); the delivery stays pending" \
	"$CRQ" notify retry
[ -s $J/failed ] && ok "... kept in the journal" || not_ok "the journal lost it"
echo 'not json' >$J/failed
expect 128 "fatal: '$(pwd -P)/.git/crq/notify/failed' line 1 is not a pending delivery; fix or remove it" \
	"$CRQ" notify retry
rm -f $J/failed
ls $J | grep -q 'tmp' && not_ok "a temporary file was left: $(ls $J)" || ok "no temporary file left behind"

# ===== usage ===========================================================
expect 129 "unknown option '--bogus'" "$CRQ" notify --bogus
expect 129 "option '--since' needs a value" "$CRQ" notify --since
expect 129 "option '--since' given twice" "$CRQ" notify --since a --since b
expect 129 "option '--json' given twice" "$CRQ" notify retry --json --json
expect 129 "unexpected argument 'frob'" "$CRQ" notify frob
expect 129 "notify test: which channel?" "$CRQ" notify test
expect 129 "unexpected argument 'b'" "$CRQ" notify test a b
expect 129 "unexpected argument 'x'" "$CRQ" notify list x
expect 129 "unknown option '--all'" "$CRQ" notify list --all
expect 129 "usage: crq notify" "$CRQ" notify retry --since x
expect 0 "" "$CRQ" notify -h
grep -q "crq.notify.NAME.secret" "$TMP/out" && ok "notify -h documents the settings" ||
	not_ok "help: $(cat "$TMP/out")"
"$CRQ" help notify >"$TMP/help2"
cmp -s "$TMP/out" "$TMP/help2" && ok "crq help notify says the same" || not_ok "help differs"
cd "$TMP"
mkdir -p nostore
expect 128 "fatal: not a git repository" "$CRQ" -C nostore notify list
cd "$TMP/s"

# ===== with crq events ================================================
cd "$TMP"
"$CRQ" init e >/dev/null
cd e
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer --role reviewer >/dev/null
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
as alice new --title "Upgrade db" --impact low --urgency low $plans >/dev/null
as alice submit CHG-000001 >/dev/null

# ids [events options]: the ids of crq events, in order
ids() { "$CRQ" events --json "$@" | "$PY" -c '
import json, sys
print(" ".join(e["id"] for e in json.load(sys.stdin)))'; }
# got PATH-PREFIX: the delivery ids the server got there, in order
got() { "$PY" -c '
import json, sys
print(" ".join(r["headers"].get("x-crq-delivery", "?") for r in map(json.loads, open(sys.argv[1])) if r["path"].startswith(sys.argv[2])))' \
	"$SRV/requests.jsonl" "$1"; }

all=$(ids)
[ -n "$all" ] && ok "crq events has events to send" || not_ok "no events"
git config crq.notify.all.type webhook
git config crq.notify.all.url "$URL/webhook/all"
git config crq.notify.all.events '*'
expect 0 "" "$CRQ" notify
same "crq notify sends the whole stream to a channel taking '*'" "$(got /webhook/all)" "$all"
same "... one line each" "$(sed 's/^sent \(.*\) to all$/\1/' "$TMP/out" | tr '\n' ' ')" "$all "
expect 0 "nothing to send" "$CRQ" notify
same "... once: a second run sends nothing" "$(got /webhook/all)" "$all"

# --since: only the new events go to a new channel
as bob assess CHG-000001 --risk low >/dev/null
git config crq.notify.late.type webhook
git config crq.notify.late.url "$URL/webhook/late"
git config crq.notify.late.events step
new=$("$CRQ" events --since HEAD~1 --json | "$PY" -c '
import json, sys
print(" ".join(e["id"] for e in json.load(sys.stdin) if e["type"] == "step"))')
[ -n "$new" ] && ok "the assessment is a step event" || not_ok "no step since HEAD~1"
expect 0 "" "$CRQ" notify --since HEAD~1
same "--since REV: the steps after REV, to the channel taking steps" "$(got /webhook/late)" "$new"

# a rule that names a channel (the default policy's high-risk-security
# notifies "changes"): the channel gets the rule's event, though it
# takes no events of its own
git config crq.notify.changes.type webhook
git config crq.notify.changes.url "$URL/webhook/changes"
as alice new --title "Risky" --impact high --urgency high $plans >/dev/null
as alice submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk high >/dev/null
pycheck "a rule's notify: sends its event to the channel it names" /webhook/changes '
assert r["headers"]["x-crq-event"] == "rule", r["headers"]
assert b["type"] == "rule" and b["rule"] == "high-risk-security", b
assert "changes" in b["notify"] and b["change"] == "CHG-000002", b
'
same "... and nothing else" "$(requests /webhook/changes)" 1

# the step itself notified: a channel taking steps got it at once
git config crq.notify.now.type webhook
git config crq.notify.now.url "$URL/webhook/now"
git config crq.notify.now.events step
as alice comment CHG-000001 -m "hello" >/dev/null
pycheck "a step notifies the channels taking steps right away" /webhook/now '
assert b["type"] == "step" and b["change"] == "CHG-000001", b
assert b["commit"] == arg, (b, arg)
' "$(git rev-parse HEAD)"

# a failed delivery from crq notify: journaled, retried
git config crq.notify.edown.type webhook
git config crq.notify.edown.url "$URL/status/edown"
git config crq.notify.edown.events step
git config crq.notify.edown.retries 0
echo 503 >"$SRV/edown"
expect 1 "to 'edown' (1 attempt): HTTP 503" "$CRQ" notify --since HEAD~1
[ -s .git/crq/notify/failed ] && ok "the failure is in the journal" || not_ok "no journal"
echo 200 >"$SRV/edown"
expect 0 "" "$CRQ" notify retry
[ ! -s .git/crq/notify/failed ] && ok "retry empties the journal" || not_ok "journal: $(cat .git/crq/notify/failed)"

# two senders at once send nothing twice (the lock, the sent log)
git config crq.notify.twice.type command
git config crq.notify.twice.command "sleep 0.2; cat >>'$TMP/twice.log'; echo >>'$TMP/twice.log'"
git config crq.notify.twice.events '*'
"$CRQ" notify >/dev/null 2>&1 &
p1=$!
"$CRQ" notify >/dev/null 2>&1
wait $p1
"$PY" -c '
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()]
assert sorted(ids) == sorted(sys.argv[2].split()), (ids, sys.argv[2])
' "$TMP/twice.log" "$(ids)" 2>"$TMP/perr" && ok "two crq notify at once: each event once" ||
	not_ok "twice: $(cat "$TMP/perr")"
cd "$TMP/s"

done_testing
