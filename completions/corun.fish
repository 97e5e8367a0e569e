# SPDX-License-Identifier: MIT
# fish completion for corun, corund and corun-worker.
#
# As the bash and zsh ones: commands and options come from the programs'
# --help ("  -j, --jobs N   text" or "      --model M   text") at
# completion time, with their text as the description; job ids from a
# running corund (`corun list`, first column).

# "name<TAB>text" for each option in the --help of argv.
function __corun_opts
    $argv --help 2>/dev/null | awk '
        /^  (-[a-zA-Z0-9], |    )?--?[a-zA-Z]/ {
            s = $0
            sub(/^ +/, "", s)
            sh = ""
            if (s ~ /^-[a-zA-Z0-9], /) {
                sh = substr(s, 1, 2)
                s = substr(s, 5)
            }
            split(s, a, " ")
            t = s
            sub(/^[^ ]+( [^ ]+)?  +/, "", t)
            if (sh != "")
                print sh "\t" t
            print a[1] "\t" t
        }'
end

# The name of option argv[1]'s value in the --help of the rest ("FILE").
function __corun_optarg
    set -l o $argv[1]
    $argv[2..-1] --help 2>/dev/null | awk -v o="$o" '
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
            r = substr(s, length(a[1]) + 1)
            if (r ~ /^ [^ ]/)
                print a[2]
            exit
        }'
end

# The program, its command (corun only) and -S URL, from the line so far.
function __corun_parse
    set -l toks (commandline -opc)
    set -l prog $toks[1]
    set -l cmd
    set -l sock
    if test (basename -- $prog) = corun
        set -l i 2
        while test $i -le (count $toks)
            if test "$toks[$i]" = -S
                set i (math $i + 1)
                set sock -S $toks[$i]
            else if not string match -q -- '-*' $toks[$i]
                set cmd $toks[$i]
                break
            end
            set i (math $i + 1)
        end
    end
    echo $prog
    echo $cmd
    echo $sock
end

function __corun_value
    switch $argv[1]
        case M LIST
            printf '%s\n' process thread async hybrid
        case W
            printf '%s\n' io cpu blocking mixed shell net noop
            __fish_complete_path (commandline -ct)
        case LEVEL
            printf '%s\n' error warn info debug
        case DEST
            printf '%s\n' stderr syslog
            __fish_complete_path (commandline -ct)
        case DIR
            __fish_complete_directories (commandline -ct)
        case '*FILE*' '*.so' '*.jsonl'
            __fish_complete_path (commandline -ct)
        case python
            echo python
    end
end

function __corun_complete
    set -l p (__corun_parse)
    set -l prog $p[1]
    set -l cmd $p[2]
    set -l sock (string split --no-empty ' ' -- $p[3])
    set -l toks (commandline -opc)
    set -l prev $toks[-1]
    set -l cur (commandline -ct)
    set -l at $prog
    test -n "$cmd"; and set at $prog $cmd
    if string match -q -- '-*' $prev; and test "$prev" != "$cmd"
        if test "$prev" = -S; and test -z "$cmd"
            return
        end
        set -l arg (__corun_optarg $prev $at)
        if test -n "$arg"
            __corun_value $arg
            return
        end
    end
    if string match -q -- '-*' $cur
        __corun_opts $at
        return
    end
    if test (basename -- $prog) != corun
        return
    end
    if test -z "$cmd"
        $prog --help 2>/dev/null | sed -n 's/^  corun \([a-z][a-z-]*\).*/\1/p'
        return
    end
    switch $cmd
        case status wait result cancel logs follow restart edit stash enqueue pause resume
            $prog $sock list 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1 }'
        case run submit
            __fish_complete_command
    end
end

for c in corun corund corun-worker
    complete -c $c -f -a '(__corun_complete)'
end
