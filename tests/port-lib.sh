# SPDX-License-Identifier: MIT
# port-lib.sh - freeport, shared by the remote-*.sh and corund-remote.sh
# tests: PORT becomes a TCP port nothing listens on now (the kernel's
# pick), so tests that run at the same time do not collide; without
# python3, PORT + 1.
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null 2>&1 || PY=
PORT=${PORT:-$((20000 + $$ % 10000))}
freeport() {
	if [ -n "$PY" ] && p=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null); then
		PORT=$p
	else
		PORT=$((PORT + 1))
	fi
}
