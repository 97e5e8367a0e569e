#!/bin/sh
# SPDX-License-Identifier: MIT
# corund-edit.sh - a real corund: corun edit ID (a queued job's command,
# environment and priority, from options or from $EDITOR) and corun
# restart --edit; the edit is refused for a running, ended or unknown
# job and for one that starts while the editor is open; it is kept
# across a kill -9 of corund; nngcat sends the edit request.
. "${srcdir:-.}/tests/daemon/corund-lib.sh"

start_daemon --workers 2

# state ID: the job's state as status --json gives it.
state() {
	cr status "$1" --json | sed -n 's/^  "state": "\(.*\)",*$/\1/p'
}

# A stashed job: command and env changed, then let go.
cr pause hold
j=$(cr submit --group hold --env A=old sh -c 'echo "old:$A"')
cr stash "$j"
cr resume hold
cr edit "$j" --command 'echo "new:$A:$B"' --env A=new --env B=bee
eq "edit of a stashed job: exit 0" 0 $?
contains "list shows the new command" 'echo "new:$A:$B"' \
    "$(cr list | grep "^$j ")"
cr enqueue "$j"
cr wait "$j" --timeout 20 >/dev/null 2>&1
eq "the new command ran with the new env" "new:new:bee" \
    "$(cr result "$j" 2>/dev/null)"

# --unset-env takes a variable out; the command is kept.
cr pause hold
u=$(cr submit --group hold --env A=1 --env B=2 sh -c 'echo "[${A-}][$B]"')
cr edit "$u" --unset-env A
eq "edit --unset-env: exit 0" 0 $?
cr edit "$u" --unset-env A 2>"$T/err"
contains "the same edit again changes nothing" "unchanged" "$(cat "$T/err")"
cr resume hold
cr wait "$u" --timeout 20 >/dev/null 2>&1
eq "A is gone, B is kept" "[][2]" "$(cr result "$u" 2>/dev/null)"

# Priority: a group of one job at a time takes the highest first.
cr group add one --parallel 1
cr pause one
p1=$(cr submit --group one sh -c "echo p1 >>$T/order")
p2=$(cr submit --group one sh -c "echo p2 >>$T/order")
p3=$(cr submit --group one sh -c "echo p3 >>$T/order")
cr edit "$p3" --priority 10
cr edit "$p1" --priority -5
contains "the new priority is stored" '"priority": 10' \
    "$(cr status "$p3" --json)"
cr resume one
cr wait "$p1" "$p2" "$p3" --timeout 20 >/dev/null 2>&1
eq "edited priorities set the run order" "p3 p2 p1" \
    "$(tr '\n' ' ' <"$T/order" | sed 's/ $//')"

# Refused: a running job, an ended one, an unknown id; nothing changes.
s=$(cr submit sleep 5)
i=0
while [ $i -lt 100 ] && [ "$(state "$s")" != running ]; do
	sleep 0.1; i=$((i + 1))
done
cr edit "$s" --priority 7 2>"$T/err"
eq "edit of a running job: exit 1" 1 $?
contains "and says it runs" "job $s is running" "$(cat "$T/err")"
EDITOR="touch $T/editor-ran; true" cr edit "$s" 2>"$T/err"
eq "edit in the editor of a running job: exit 1" 1 $?
[ -e "$T/editor-ran" ] && fail "the editor was opened on a running job" ||
    ok "no editor for a running job"
cr cancel "$s" >/dev/null
cr edit "$p2" --command 'echo late' 2>"$T/err"
eq "edit of an ended job: exit 1" 1 $?
contains "and says it ended" "has ended (done)" "$(cat "$T/err")"
contains "its record is as it was" '"priority": 0' "$(cr status "$p2" --json)"
cr edit 999999 --priority 1 2>"$T/err"
eq "edit of an unknown job: exit 1" 1 $?
contains "and says so" "no job 999999" "$(cat "$T/err")"
cr edit "$p2" --bogus 2>/dev/null
eq "edit --bogus: exit 255" 255 $?
cr edit "$p2" --env NOEQUALS 2>"$T/err"
eq "edit --env without =: exit 255" 255 $?
contains "and says what" "is not NAME=VALUE" "$(cat "$T/err")"

# $EDITOR: a script that rewrites the file; one that fails; an empty
# file; $VISUAL before $EDITOR.
cat >"$T/ed-rewrite" <<'EOF'
#!/bin/sh
cp "$1" "${1%.sh}.seen"
printf 'echo "from-editor:$A"\n\n' >"$1"
EOF
printf '#!/bin/sh\necho "echo broken" >"$1"\nexit 1\n' >"$T/ed-fail"
printf '#!/bin/sh\n: >"$1"\n' >"$T/ed-empty"
chmod +x "$T/ed-rewrite" "$T/ed-fail" "$T/ed-empty"
cr pause hold
e=$(cr submit --group hold --env A=ay sh -c 'echo "before:$A"')
EDITOR=$T/ed-fail cr edit "$e" 2>"$T/err"
eq "an editor that exits 1: exit 1" 1 $?
contains "and says nothing changed" "nothing changed" "$(cat "$T/err")"
contains "the command is as it was" 'echo "before:$A"' \
    "$(cr list | grep "^$e ")"
EDITOR=$T/ed-empty cr edit "$e" 2>"$T/err"
eq "an empty file: exit 0" 0 $?
contains "and the command is unchanged" "edit: command unchanged" \
    "$(cat "$T/err")"
TMPDIR=$T EDITOR=$T/ed-fail VISUAL=$T/ed-rewrite cr edit "$e"
eq "\$VISUAL rewrites the command: exit 0" 0 $?
eq "the editor was shown the command as a shell line" \
    "sh -c 'echo \"before:\$A\"'" "$(cat "$T"/corun-edit-"$e"-*.seen)"
[ -n "$(ls "$T"/corun-edit-"$e"-*.sh 2>/dev/null)" ] &&
    fail "the temporary file was left behind" || ok "temporary file removed"
cr resume hold
cr wait "$e" --timeout 20 >/dev/null 2>&1
eq "the edited command ran, with its env" "from-editor:ay" \
    "$(cr result "$e" 2>/dev/null)"

# A job that starts while the editor is open: the edit is refused.
cat >"$T/ed-slow" <<EOF
#!/bin/sh
"$CORUN" resume race >/dev/null
i=0
while [ \$i -lt 100 ] && "$CORUN" status "\$RACE_ID" --json |
    grep -q '"state": "queued"'; do
	sleep 0.1; i=\$((i + 1))
done
echo "echo edited-too-late" >"\$1"
EOF
chmod +x "$T/ed-slow"
cr pause race
r=$(cr submit --group race sh -c 'echo original')
RACE_ID=$r EDITOR=$T/ed-slow cr edit "$r" 2>"$T/err"
eq "a job that started during the edit: exit 1" 1 $?
contains "and the edit is refused" "only a queued job can be edited" \
    "$(cat "$T/err")"
cr wait "$r" --timeout 20 >/dev/null 2>&1
eq "it ran its command as it was" original "$(cr result "$r" 2>/dev/null)"

# restart --edit of a failed job: the new command runs as the new job.
f=$(cr submit --priority 2 sh -c 'echo first; exit 3')
cr wait "$f" --timeout 20 >/dev/null 2>&1
printf '#!/bin/sh\necho "echo second:\\$X" >"$1"\n' >"$T/ed-restart"
chmod +x "$T/ed-restart"
n=$(EDITOR=$T/ed-restart cr restart --edit --env X=ex "$f")
eq "restart --edit: exit 0" 0 $?
[ -n "$n" ] && [ "$n" != "$f" ] && ok "restart --edit gives a new id ($n)" ||
    fail "restart --edit printed [$n]"
cr wait "$n" --timeout 20 >/dev/null 2>&1
eq "the second run: the edited command, its env" "second:ex" \
    "$(cr result "$n" 2>/dev/null)"
eq "the first run is kept as it was" "first" "$(cr result "$f" 2>/dev/null)"
contains "with the first's priority" '"priority": 2' "$(cr status "$n" --json)"
n2=$(cr restart --command 'echo third' --priority 9 "$f")
cr wait "$n2" --timeout 20 >/dev/null 2>&1
eq "restart --command" third "$(cr result "$n2" 2>/dev/null)"
contains "restart --priority" '"priority": 9' "$(cr status "$n2" --json)"
cr restart --command 'echo x' "$f" "$n" 2>/dev/null
eq "an edited restart of two jobs: exit 255" 255 $?
cr restart --edit --command 'echo x' "$f" 2>/dev/null
eq "restart --edit --command: exit 255" 255 $?
EDITOR=$T/ed-fail cr restart --edit "$f" >"$T/out" 2>/dev/null
eq "restart --edit, editor exits 1: exit 1" 1 $?
eq "and nothing was restarted" "" "$(cat "$T/out")"

# An edit is in the store: it survives kill -9 of corund.
cr pause keep
k=$(cr submit --group keep sh -c 'echo kept-old')
cr edit "$k" --command 'echo "kept-new:$K"' --env K=kay --priority 4
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --workers 2
contains "after kill -9: the edited command" 'echo "kept-new:$K"' \
    "$(cr list | grep "^$k ")"
contains "after kill -9: the edited priority" '"priority": 4' \
    "$(cr status "$k" --json)"
cr resume keep
cr wait "$k" --timeout 20 >/dev/null 2>&1
eq "after kill -9: the edited job ran so" "kept-new:kay" \
    "$(cr result "$k" 2>/dev/null)"

# nngcat: the edit request.
cr pause raw
w=$(cr submit --group raw sh -c 'echo raw-old')
contains "nngcat edit" '"changed":true' \
    "$(ctl "{\"op\":\"edit\",\"id\":$w,\"cmd\":[\"echo\",\"raw-new\"],\"priority\":3}")"
contains "nngcat edit: the same again" '"changed":false' \
    "$(ctl "{\"op\":\"edit\",\"id\":$w,\"priority\":3}")"
contains "nngcat edit: an unknown field" '"code":"bad_request"' \
    "$(ctl "{\"op\":\"edit\",\"id\":$w,\"group\":\"x\"}")"
contains "nngcat edit: a bad cmd" '"code":"bad_request"' \
    "$(ctl "{\"op\":\"edit\",\"id\":$w,\"cmd\":\"\"}")"
contains "nngcat edit: an ended job" '"code":"bad_state"' \
    "$(ctl "{\"op\":\"edit\",\"id\":$f,\"priority\":1}")"
contains "nngcat edit: an unknown job" '"code":"not_found"' \
    "$(ctl '{"op":"edit","id":999999,"priority":1}')"
contains "nngcat restart with an edit" '"ids":[' \
    "$(ctl "{\"op\":\"restart\",\"id\":$f,\"cmd\":\"echo raw-restart\"}")"
cr resume raw
cr wait "$w" --timeout 20 >/dev/null 2>&1
eq "the nngcat edit ran" raw-new "$(cr result "$w" 2>/dev/null)"
stop_daemon
finish
