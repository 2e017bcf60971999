#!/bin/sh
# Man pages and shell completion from the one command table:
# doc/man/gen.sh renders every page, each page names every option
# `crq help CMD` names, and the completions complete from crq itself.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $CRQ in /*) ;; *) CRQ=$ROOT/$CRQ ;; esac
MAN=$TMP/man
check "gen.sh renders all pages" sh "$ROOT/doc/man/gen.sh" "$CRQ" "$MAN"
same "a page per command plus crq.1" \
	"$(ls "$MAN" | grep -c '\.1$')" "$(( $("$CRQ" help --commands | wc -l) + 1 ))"

bad=""
for f in "$MAN"/*; do
	w=$(groff -ww -z -man "$f" 2>&1)
	[ -z "$w" ] || bad="$bad $(basename "$f"): $w"
	n=$(basename "$f"); n=${n%.[0-9]}
	MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "^ *$n - " ||
		bad="$bad $n:no-NAME"
done
same "every page renders without warnings, with its NAME line" "$bad" ""

bad=""
for c in $("$CRQ" help --commands); do
	page=$(MANWIDTH=200 man -l "$MAN/crq-$c.1" 2>/dev/null | sed 's/‐//g')
	for o in $("$CRQ" help --options "$c"); do
		printf '%s\n' "$page" | grep -qF -- "$o" || bad="$bad $c:$o"
	done
	# the synopsis: each usage line, whitespace squeezed
	u=$("$CRQ" help "$c" | sed -n '1,/^$/p' | sed 's/^usage: //' | tr -s ' \n' '  ')
	s=$(printf '%s\n' "$page" | sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' | tr -s ' \n' '  ')
	case "$s" in *"$(printf '%s' "$u" | sed 's/^ *//;s/ *$//' | cut -c1-40)"*) ;; *) bad="$bad $c:synopsis" ;; esac
done
same "every option of crq help CMD is in crq-CMD(1); synopsis = usage" "$bad" ""

# crq(1): crq --help's global options, each in the page's GLOBAL OPTIONS
page=$(MANWIDTH=200 man -l "$MAN/crq.1" 2>/dev/null | sed 's/‐//g' | sed -n '/^GLOBAL OPTIONS/,/^COMMANDS/p')
opts=$("$CRQ" --help | sed -n '/^Global options:/,/^$/p' | grep -oE -- '^  +-[-a-zA-Z]+(, --[-a-z]+)?' | tr ',' '\n' | tr -d ' ')
check "crq --help names global options" test "$(printf '%s\n' "$opts" | wc -l)" -ge 7
bad=""
for o in $opts; do
	printf '%s\n' "$page" | grep -qE -- "^ +(-[a-zA-Z], )?$o( |,|\[|$)" || bad="$bad $o"
done
same "every global option of crq --help is in crq(1)" "$bad" ""

# A store with changes and members for completion; a role of its own
# (dba), so that roles cannot come from a list in the completion files.
cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "Patch web" --service web --risk low >/dev/null
"$CRQ" new --title "DB upgrade" --service db --risk high >/dev/null
"$CRQ" member add bob@example.com --name Bob --role cab --key "$(keyfor bob).pub" >/dev/null
git show HEAD:.crq/policy.yaml | sed 's/^roles:$/roles:\n  dba: looks after the databases/' >"$TMP/policy.yaml"
check "policy apply with a dba role" "$CRQ" policy apply "$TMP/policy.yaml"
git show HEAD:.crq/policy.yaml >"$TMP/policy.yaml"
mkdir -p "$TMP/bin"
ln -sf "$CRQ" "$TMP/bin/crq"
PATH=$TMP/bin:$PATH
export PATH

# What completion must offer, read from the policy file with python's
# yaml and from git, not from crq.
yq() { $PY -c 'import yaml,sys; p=yaml.safe_load(open(sys.argv[1])); exec(sys.argv[2])' "$TMP/policy.yaml" "$1"; }
ROLES=$(yq 'print("\n".join(p["roles"]))')
STATES=$(yq '
seen = []
for a in p["workflow"]["actions"]:
    for s in a.get("from", []) + ([a["to"]] if "to" in a else []):
        if s != "*" and s not in seen:
            seen.append(s)
print("\n".join(seen))')
EMAILS=$(yq 'print("\n".join(m["email"] for m in p["members"]))')
IDS=$(git ls-tree -r --name-only HEAD changes | sed 's,.*/,,; s,\.yaml$,,')
case $ROLES in *dba*) ok "the policy has the dba role" ;; *) not_ok "no dba role: $ROLES" ;; esac

# ---- crq role list, crq policy states: what completion asks ----
expect 0 "" "$CRQ" role list
same "role list: the policy's roles, in its order" "$(sed 's/ .*//' "$TMP/out")" "$ROLES"
same "role list: each with its description" "$(grep '^dba ' "$TMP/out" | tr -s ' ')" "dba looks after the databases"
expect 0 "" "$CRQ" role list --json
same "role list --json: {name, description} as the policy has them" \
	"$($PY -c 'import json,sys; print(dict((r["name"], r["description"]) for r in json.load(open(sys.argv[1]))))' "$TMP/out")" \
	"$(yq 'print(dict(p["roles"]))')"
expect 0 "" "$CRQ" policy states
same "policy states: every state the workflow's actions name, in order" "$(cat "$TMP/out")" "$STATES"
expect 0 "" "$CRQ" policy states --json
same "policy states --json: enter and leave as the actions say" \
	"$($PY -c 'import json,sys; print(sorted((s["state"], tuple(s["enter"]), tuple(s["leave"])) for s in json.load(open(sys.argv[1]))))' "$TMP/out")" \
	"$(yq '
st = {}
for a in p["workflow"]["actions"]:
    for s in a.get("from", []):
        if s != "*":
            e = st.setdefault(s, ([], []))
            a["name"] in e[1] or e[1].append(a["name"])
    if "to" in a:
        e = st.setdefault(a["to"], ([], []))
        a["name"] in e[0] or e[0].append(a["name"])
print(sorted((k, tuple(v[0]), tuple(v[1])) for k, v in st.items()))')"
expect 129 "unexpected argument 'x'" "$CRQ" role list x
expect 129 "unknown option '--yaml'" "$CRQ" role list --yaml
expect 129 "option '--json' given twice" "$CRQ" role list --json --json
expect 129 "grant, revoke or list?" "$CRQ" role
expect 129 "unknown subcommand 'lst'" "$CRQ" role lst
expect 129 "unexpected argument 'x'" "$CRQ" policy states x
expect 129 "option '--json' given twice" "$CRQ" policy states --json --json
expect 128 "not a git repository" "$CRQ" -C "$TMP" role list
expect 128 "not a git repository" "$CRQ" -C "$TMP" policy states

# ---- completion in the three shells, driven as a user's shell would ----
# bash: COMP_WORDS/COMP_CWORD from the line, then the function
bcomp() {
	bash -c '. "$1"; read -ra COMP_WORDS <<<"$2"; case $2 in *" ") COMP_WORDS+=("") ;; esac
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _crq; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$ROOT/completion/crq.bash" "$1" | sed '/^$/d' | sort -u
}
# zsh: its completion system (compinit, the complete-word widget,
# _main_complete, dispatch by #compdef) in a pseudo-terminal (zpty); a
# compadd wrapper writes the matches each call offers to a file
cat >"$TMP/zcomp.zsh" <<'ZEOF'
zmodload zsh/zpty || exit 2
dir=$1 out=$2 line=$3
: >$out
rm -f $out.done
zpty z zsh -f -i
zpty -w z "PS1=''; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a __h; builtin compadd -A __h \"\$@\"; (( \$#__h )) && print -rl -- \$__h >>${(q)out}; builtin compadd \"\$@\"; }"
zpty -w z "__zc_done() { print done >${(q)out}.done; }; comppostfuncs=(__zc_done)"
zpty -w z "zstyle ':completion:*' insert-tab false; bindkey '^I' complete-word"
zpty -w -n z "$line"$'\t'
integer i=0
while [[ ! -e $out.done ]] && (( i++ < 150 )); do
	zpty -r -t z junk 2>/dev/null
	sleep 0.1
done
zpty -d z
[[ -e $out.done ]]
ZEOF
HAVE_ZSH=""
command -v zsh >/dev/null && zsh -f -c 'zmodload zsh/zpty' 2>/dev/null && HAVE_ZSH=1
zcomp() {
	zsh -f "$TMP/zcomp.zsh" "$ROOT/completion" "$TMP/zout" "$1" ||
		echo "(zsh completion did not finish)"
	sort -u "$TMP/zout"
}
HAVE_FISH=""
command -v fish >/dev/null && HAVE_FISH=1
fcomp() {
	fish -c "source $ROOT/completion/crq.fish; complete -C '$1'" | cut -f1 | sed '/^$/d' | sort -u
}
sorted() { printf '%s\n' "$@" | sed '/^$/d' | sort -u; }
# all3 "what" LINE WANT: each shell offers exactly WANT for LINE
all3() {
	same "bash: $1" "$(bcomp "$2")" "$3"
	[ -z "$HAVE_ZSH" ] || same "zsh: $1" "$(zcomp "$2")" "$3"
	[ -z "$HAVE_FISH" ] || same "fish: $1" "$(fcomp "$2")" "$3"
}
[ -n "$HAVE_ZSH" ] || ok "# SKIP zsh with zpty not here"
[ -n "$HAVE_FISH" ] || ok "# SKIP fish not here"
check "zsh -n completion/_crq" zsh -n "$ROOT/completion/_crq"
[ -z "$HAVE_FISH" ] || check "fish -n completion/crq.fish" fish -n "$ROOT/completion/crq.fish"

all3 "crq ap<TAB>" "crq ap" "approve"
all3 "crq approve <TAB>: the change ids" "crq approve " "$(sorted $IDS)"
all3 "crq approve CHG-000001 --role <TAB>: the roles, not ids" "crq approve CHG-000001 --role " "$(sorted $ROLES)"
all3 "crq role grant <TAB>: the members" "crq role grant " "$(sorted $EMAILS)"
all3 "crq role grant EMAIL <TAB>: the policy's roles" "crq role grant bob@example.com " "$(sorted $ROLES)"
all3 "crq role revoke EMAIL c<TAB>: roles starting with c" "crq role revoke bob@example.com c" \
	"$(sorted $(printf '%s\n' $ROLES | grep '^c'))"
all3 "crq role grant --until DAY EMAIL <TAB>: roles" "crq role grant --until 2027-01-01 bob@example.com " "$(sorted $ROLES)"
all3 "crq role grant EMAIL ROLE <TAB>: nothing more" "crq role grant bob@example.com cab " ""
all3 "crq role list <TAB>: nothing" "crq role list " ""
all3 "crq role <TAB>: its subcommands" "crq role " "$(sorted grant revoke list)"
all3 "crq member add EMAIL --name N --role d<TAB>" "crq member add x@example.com --name X --role d" \
	"$(sorted $(printf '%s\n' $ROLES | grep '^d'))"
all3 "crq member remove <TAB>: the members" "crq member remove " "$(sorted $EMAILS)"
all3 "crq list --state <TAB>: the workflow's states" "crq list --state " "$(sorted $STATES)"
all3 "crq list --state s<TAB>" "crq list --state s" "$(sorted $(printf '%s\n' $STATES | grep '^s'))"
all3 "crq list --state draft --state <TAB>" "crq list --state draft --state " "$(sorted $STATES)"
all3 "crq list --needs <TAB>: members and roles" "crq list --needs " "$(sorted $EMAILS $ROLES)"
all3 "crq audit --member <TAB>: the members" "crq audit --member " "$(sorted $EMAILS)"
all3 "crq approve CHG-000001 -m <TAB>: nothing (free text)" "crq approve CHG-000001 -m " ""
all3 "crq policy st<TAB>" "crq policy st" "states"
all3 "crq help rol<TAB>" "crq help rol" "role"
b=$(bcomp "crq approve --")
case $b in *--role*) ok "bash: crq approve --<TAB> has --role" ;; *) not_ok "bash: crq approve --<TAB>: $b" ;; esac
if [ -n "$HAVE_ZSH" ]; then
	z=$(zcomp "crq approve --")
	case $z in *--role*) ok "zsh: crq approve --<TAB> has --role" ;; *) not_ok "zsh: crq approve --<TAB>: $z" ;; esac
fi
if [ -n "$HAVE_FISH" ]; then
	f=$(fcomp "crq approve --")
	case $f in *--role*) ok "fish: crq approve --<TAB> has --role" ;; *) not_ok "fish: crq approve --<TAB>: $f" ;; esac
fi

# outside a store: nothing to offer, and no noise on the terminal
mkdir -p "$TMP/nostore"
cd "$TMP/nostore"
all3 "outside a store: crq list --state <TAB> offers nothing" "crq list --state " ""
all3 "outside a store: crq role grant x <TAB> offers nothing" "crq role grant x " ""
# crq -C STORE (and -c) before the command: the names come from STORE
all3 "outside a store: crq -C STORE approve <TAB>: its ids" "crq -C $TMP/s approve " "$(sorted $IDS)"
all3 "outside a store: crq -C STORE list --state <TAB>: its states" "crq -C $TMP/s list --state " "$(sorted $STATES)"
all3 "crq -c K=V -C STORE role grant <TAB>: its members" "crq -c color.ui=never -C $TMP/s role grant " "$(sorted $EMAILS)"
all3 "crq -C <TAB> at the end: not a command" "crq -C $TMP/s ap" "approve"
same "bash: outside a store, completion writes nothing to stderr" \
	"$(bcomp "crq role grant x " 2>&1 >/dev/null)" ""
[ -z "$HAVE_FISH" ] || same "fish: outside a store, completion writes nothing to stderr" \
	"$(fish -c "source $ROOT/completion/crq.fish; complete -C 'crq list --state '" 2>&1 >/dev/null)" ""
done_testing
