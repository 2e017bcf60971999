# bash completion for crq: names come from crq itself (crq help
# --commands, crq "${_crq_g[@]}" help --options CMD, crq list, crq "${_crq_g[@]}" member list, crq role
# list, crq "${_crq_g[@]}" policy states), run with the -C DIR and -c NAME=VALUE given
# before the command (_crq_g), so they read the store being completed.
_crq_emails() {
	crq "${_crq_g[@]}" member list 2>/dev/null | sed 's/ .*//'
}
_crq_ids() {
	crq "${_crq_g[@]}" list --format '%(id)' 2>/dev/null
}
_crq_roles() {
	crq "${_crq_g[@]}" role list 2>/dev/null | sed 's/ .*//'
}
_crq_states() {
	crq "${_crq_g[@]}" policy states 2>/dev/null
}
_crq_templates() {
	crq "${_crq_g[@]}" template list 2>/dev/null | sed 's/ .*//'
}
_crq() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" i w sub="" npos=0
	COMPREPLY=()
	_crq_g=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		# crq's own -C and -c: the store the names come from
		-C|-c) if [[ -z $cmd ]] && ((i + 1 < COMP_CWORD)); then
				_crq_g+=("$w" "${COMP_WORDS[i + 1]/#\~/$HOME}")
			fi
			((i++)); continue ;;
		# options whose value is the next word
		--until|--name|--key|--handle|--role) ((i++)); continue ;;
		-*) continue ;;
		esac
		if [[ -z $cmd ]]; then cmd=$w
		elif [[ -z $sub ]]; then sub=$w
		else ((npos++)); fi
	done
	if [[ -z $cmd ]]; then
		case $prev in
		-C) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		-c) return ;;
		esac
		COMPREPLY=($(compgen -W "$(crq "${_crq_g[@]}" help --commands 2>/dev/null)" -- "$cur"))
		return
	fi
	# the value of an option
	case $prev in
	--role) COMPREPLY=($(compgen -W "$(_crq_roles)" -- "$cur")); return ;;
	--state) COMPREPLY=($(compgen -W "$(_crq_states)" -- "$cur")); return ;;
	--member|--requester|--implementer|--owner)
		COMPREPLY=($(compgen -W "$(_crq_emails)" -- "$cur")); return ;;
	--needs) COMPREPLY=($(compgen -W "$(_crq_emails) $(_crq_roles)" -- "$cur")); return ;;
	--change) COMPREPLY=($(compgen -W "$(_crq_ids)" -- "$cur")); return ;;
	--from) [[ $cmd == new ]] && COMPREPLY=($(compgen -W "$(_crq_ids)" -- "$cur")); return ;;
	--template) COMPREPLY=($(compgen -W "$(_crq_templates)" -- "$cur")); return ;;
	--key|-F|-o) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	# free text, times and the like: nothing to offer
	-m|--message|--title|--name|--handle|--until|--since|--at|--to|--start|--end|--grep|--trust|--format|--type|--risk|--service|--impact|--urgency|--close-code|--sla|--kind|--base|--head)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(crq "${_crq_g[@]}" help --options "$cmd" 2>/dev/null)" -- "$cur"))
		return
	fi
	case $cmd in
	help) COMPREPLY=($(compgen -W "$(crq "${_crq_g[@]}" help --commands 2>/dev/null)" -- "$cur")) ;;
	member) if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "add remove list" -- "$cur"))
		elif [[ $sub == remove && $npos == 0 ]]; then
			COMPREPLY=($(compgen -W "$(_crq_emails)" -- "$cur")); fi ;;
	role) if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "grant revoke list" -- "$cur"))
		elif [[ $sub == list ]]; then :
		elif [[ $npos == 0 ]]; then COMPREPLY=($(compgen -W "$(_crq_emails)" -- "$cur"))
		elif [[ $npos == 1 ]]; then COMPREPLY=($(compgen -W "$(_crq_roles)" -- "$cur")); fi ;;
	policy) if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "check show states apply approve withdraw allowed-signers" -- "$cur"))
		elif [[ $sub == check || $sub == apply ]]; then
			COMPREPLY=($(compgen -f -- "$cur")); fi ;;
	template) if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "list show" -- "$cur"))
		elif [[ $sub == show && $npos == 0 ]]; then
			COMPREPLY=($(compgen -W "$(_crq_templates)" -- "$cur")); fi ;;
	cache) [[ -z $sub ]] && COMPREPLY=($(compgen -W "status clear" -- "$cur")) ;;
	hook) [[ -z $sub ]] && COMPREPLY=($(compgen -W "install pre-receive post-receive pre-push pre-commit pre-merge-commit" -- "$cur")) ;;
	init|new|batch|schema) COMPREPLY=($(compgen -f -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "$(_crq_ids)" -- "$cur")) ;;
	esac
}
complete -F _crq crq
