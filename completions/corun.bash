# SPDX-License-Identifier: MIT
# bash completion for corun, corund and corun-worker.
#
# Commands and options are read from the programs' own --help at
# completion time (an option line is "  -j, --jobs N   text" or
# "      --model M   text"), so a new command or option completes as soon
# as it has its --help line.  Job ids come from a running corund
# (`corun list`, first column) for the commands that take them.

# The long and short options in PROG [CMD]'s --help.
_corun_opts()
{
	"$@" --help 2>/dev/null | awk '
	    /^  (-[a-zA-Z0-9], |    )?--?[a-zA-Z]/ {
		s = $0
		sub(/^ +/, "", s)
		if (s ~ /^-[a-zA-Z0-9], /) {
			print substr(s, 1, 2)
			s = substr(s, 5)
		}
		split(s, a, " ")
		print a[1]
	    }'
}

# The name of OPTION's value in PROG [CMD]'s --help ("FILE"), or nothing.
_corun_optarg()
{
	local opt=$1
	shift
	"$@" --help 2>/dev/null | awk -v o="$opt" '
	    /^  (-[a-zA-Z0-9], |    )?--?[a-zA-Z]/ {
		s = $0
		sub(/^ +/, "", s)
		sh = ""
		if (s ~ /^-[a-zA-Z0-9], /) {
			sh = substr(s, 1, 2)
			s = substr(s, 5)
		}
		split(s, a, " ")
		if (o != sh && o != a[1])
			next
		# the value follows the name after one space; the text after two
		r = substr(s, length(a[1]) + 1)
		if (r ~ /^ [^ ]/)
			print a[2]
		exit
	    }'
}

_corun_cmds()
{
	"$1" --help 2>/dev/null | sed -n 's/^  corun \([a-z][a-z-]*\).*/\1/p'
}

# Job ids from the corund that corun would talk to.
_corun_ids()
{
	"$@" list 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1 }'
}

# Complete the value of an option whose --help calls it $1.
_corun_value()
{
	local cur=$2
	case $1 in
	M) COMPREPLY=($(compgen -W 'process thread async hybrid' -- "$cur")) ;;
	LIST) COMPREPLY=($(compgen -W 'process thread async hybrid' \
	    -- "$cur")) ;;
	W) COMPREPLY=($(compgen -W 'io cpu blocking mixed shell net noop' \
	    -- "$cur") $(compgen -f -- "$cur")) ;;
	LEVEL) COMPREPLY=($(compgen -W 'error warn info debug' -- "$cur")) ;;
	DEST) COMPREPLY=($(compgen -W 'stderr syslog' -- "$cur")
	    $(compgen -f -- "$cur")) ;;
	DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
	*FILE*|*.so|*.jsonl) COMPREPLY=($(compgen -f -- "$cur")) ;;
	python) COMPREPLY=($(compgen -W python -- "$cur")) ;;
	*) COMPREPLY=() ;;
	esac
}

_corun_complete()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= prog=${COMP_WORDS[0]}
	local cmd= i w arg sock=()

	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ "$w" = -S ]; then
			sock=(-S "${COMP_WORDS[i + 1]}")
			i=$((i + 1))
		elif [ "${w#-}" = "$w" ]; then
			cmd=$w
			break
		fi
	done
	if [ -z "$cmd" ]; then
		[ "$prev" = -S ] && return 0
		if [ "${cur#-}" != "$cur" ]; then
			COMPREPLY=($(compgen -W "$(_corun_opts "$prog")" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_corun_cmds "$prog")" -- "$cur"))
		fi
		return 0
	fi
	if [ "${prev#-}" != "$prev" ] && [ "$prev" != "$cmd" ]; then
		arg=$(_corun_optarg "$prev" "$prog" "$cmd")
		if [ -n "$arg" ]; then
			_corun_value "$arg" "$cur"
			return 0
		fi
	fi
	if [ "${cur#-}" != "$cur" ]; then
		COMPREPLY=($(compgen -W "$(_corun_opts "$prog" "$cmd")" \
		    -- "$cur"))
		return 0
	fi
	case $cmd in
	status | wait | result | cancel | logs | follow | restart | edit | stash | \
	    enqueue | pause | resume)
		COMPREPLY=($(compgen -W "$(_corun_ids "$prog" "${sock[@]}")" \
		    -- "$cur")) ;;
	compare | scale | drain)
		COMPREPLY=() ;;
	*)	# run, submit: a command, then its arguments
		COMPREPLY=($(compgen -c -- "$cur") $(compgen -f -- "$cur")) ;;
	esac
	return 0
}

# corund and corun-worker: options, and their values.
_corun_daemon_complete()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= arg

	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [ "${prev#-}" != "$prev" ]; then
		arg=$(_corun_optarg "$prev" "${COMP_WORDS[0]}")
		if [ -n "$arg" ]; then
			_corun_value "$arg" "$cur"
			return 0
		fi
	fi
	COMPREPLY=($(compgen -W "$(_corun_opts "${COMP_WORDS[0]}")" -- "$cur"))
	return 0
}

complete -F _corun_complete corun
complete -F _corun_daemon_complete corund corun-worker
