# bash completion for crq: names come from crq itself (crq help
# --commands, crq help --options CMD, crq list, crq member list, crq role
# list, crq policy states).
_crq_emails() {
	crq member list 2>/dev/null | sed 's/ .*//'
}
_crq_ids() {
	crq list --format '%(id)' 2>/dev/null
}
_crq_roles() {
	crq role list 2>/dev/null | sed 's/ .*//'
}
_crq_states() {
	crq policy states 2>/dev/null
}
_crq_templates() {
	crq template list 2>/dev/null | sed 's/ .*//'
}
_crq() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" i w sub="" npos=0
	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		# options whose value is the next word
		-C|-c|--until|--name|--key|--handle|--role) ((i++)); continue ;;
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
		COMPREPLY=($(compgen -W "$(crq help --commands 2>/dev/null)" -- "$cur"))
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
		COMPREPLY=($(compgen -W "$(crq help --options "$cmd" 2>/dev/null)" -- "$cur"))
		return
	fi
	case $cmd in
	help) COMPREPLY=($(compgen -W "$(crq help --commands 2>/dev/null)" -- "$cur")) ;;
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
