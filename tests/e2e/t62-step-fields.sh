#!/bin/sh
# What a step records belongs to that step: create and edit ('*' in
# their sets) cannot write a close code, a review or an implementer into
# a change, through crq or through a hand-made commit that verify judges;
# the steps that name them still record them.  A new change's task
# owners are members, as crq task add asks.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer --role reviewer >/dev/null
expect 1 "the 'complete' step records it" "$CRQ" new --title x --set close_code=successful
check "with a hint naming the step" grep -q "hint: crq complete ID" "$TMP/err"
expect 1 "the 'review' step records it" "$CRQ" new --title x --set review.summary=done
expect 1 "the 'schedule' step records it" "$CRQ" new --title x --set implementer=bob@example.com
same "none of them made a change" "$("$CRQ" list --format '%(id)' | wc -l)" "0"
expect 0 "" "$CRQ" new --title "Patch" --service web \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c
id=$("$CRQ" list --format '%(id)' | head -1)
expect 1 "the 'review' step records it" "$CRQ" set "$id" review.summary=pre review.by=bob@example.com
expect 1 "the 'complete' step records it" "$CRQ" set "$id" close_code=successful
expect 1 "the 'schedule' step records it" "$CRQ" set "$id" implementer=bob@example.com
printf 'title: t\nclose_code: successful\n' >"$TMP/f.yaml"
expect 0 "" "$CRQ" new -F "$TMP/f.yaml"
check "-F drops it with a note" grep -q "close_code" "$TMP/err"
# task owners of a new change are members
printf 'title: a\ntasks:\n  - title: x\n    owner: mallory@evil.example\n' >"$TMP/t.yaml"
expect 1 "must be a member: 'mallory@evil.example' is not" "$CRQ" new -F "$TMP/t.yaml"
printf 'title: a\ntasks:\n  - title: x\n    owner: bob@example.com\n' >"$TMP/t.yaml"
expect 0 "" "$CRQ" new -F "$TMP/t.yaml"
expect 0 "" "$CRQ" verify
# the same create made by hand with a non-member's task: verify refuses
git branch -q before-hand
tf=$(git show --name-only --format= HEAD)
sed -i 's/owner: bob@example.com/owner: mallory@evil.example/' "$tf"
check "the hand-made create names mallory" grep -q "mallory@evil.example" "$tf"
git commit -q -S --amend -a --no-edit
rm -rf .git/crq
expect 1 "1 violation" "$CRQ" verify
check "verify: a new change's task owner is a member" grep -q "must be a member: 'mallory@evil.example' is not" "$TMP/out"
git reset -q --hard before-hand
rm -rf .git/crq
expect 0 "" "$CRQ" verify

# a hand-made edit step that writes the close code: verify refuses it
# (the same rule engine), and so does one that adds a non-member's task
git branch -q good
f=$(git ls-files "changes/*/$id.yaml")
printf 'close_code: successful\n' >>"$f"
git commit -q -S -am "$id: edit — close code

Crq-Change: $id
Crq-Action: edit
Crq-From: draft
Crq-To: draft"
expect 1 "1 violation" "$CRQ" verify
check "verify: create and edit do not write the close code" grep -q "may not change 'close_code'" "$TMP/out"
git reset -q --hard good
"$PY" - "$f" <<'EOF'
import sys
p = sys.argv[1]
open(p, "a").write("review:\n  by: bob@example.com\n  at: 2026-11-23T10:00:00Z\n  summary: all fine\n")
EOF
git commit -q -S -am "$id: edit — review

Crq-Change: $id
Crq-Action: edit
Crq-From: draft
Crq-To: draft"
expect 1 "1 violation" "$CRQ" verify
check "verify: nor the review" grep -q "may not change 'review'" "$TMP/out"
git reset -q --hard good
rm -rf .git/crq
expect 0 "" "$CRQ" verify

# the steps that name them record them
expect 0 "" "$CRQ" submit "$id"
expect 0 "" as bob assess "$id" --risk low --impact low
expect 0 "" as bob approve "$id"
expect 0 "" as bob schedule "$id" --start 2026-11-23T10:30:00Z --end 2026-11-23T11:30:00Z --implementer bob@example.com
same "schedule recorded the implementer" "$("$CRQ" show --json "$id" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["implementer"])')" "bob@example.com"
GIT_COMMITTER_DATE=2026-11-23T10:35:00Z GIT_AUTHOR_DATE=2026-11-23T10:35:00Z \
	expect 0 "" as bob start "$id"
GIT_COMMITTER_DATE=2026-11-23T10:45:00Z GIT_AUTHOR_DATE=2026-11-23T10:45:00Z \
	expect 1 "'close_code' is missing" as bob complete "$id"
check "the hint gives it with the step" grep -q "hint: crq complete $id --close-code" "$TMP/err"
GIT_COMMITTER_DATE=2026-11-23T10:50:00Z GIT_AUTHOR_DATE=2026-11-23T10:50:00Z \
	expect 0 "" as bob complete "$id" --close-code successful
same "complete recorded the close code" "$("$CRQ" show --json "$id" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["close_code"])')" "successful"
GIT_COMMITTER_DATE=2026-11-23T11:00:00Z expect 0 "" "$CRQ" verify
fsck_clean .
done_testing
