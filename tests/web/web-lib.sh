# SPDX-License-Identifier: MIT
# web-lib.sh - shared by the tests/web scripts: a free loopback port, and
# HTTP GETs with curl or python3 (whichever is there), bounded in time.
# Sourced after tests/daemon/corund-lib.sh.

command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
# PROM_PY: a python3 with prometheus_client (Debian's python3-prometheus-
# client is in /usr/bin/python3's path, maybe not in another python3's).
PROM_PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import prometheus_client' 2>/dev/null; then
		PROM_PY=$p
		break
	fi
done

# free_port: a TCP port nobody listens on now, on 127.0.0.1.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# http_get URL: the body on stdout; exit status 1 on an HTTP error.
http_get() {
	timeout 20 python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=15) as r:
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write(e.read().decode())
    sys.exit(1)
PY
}

# http_post URL [TOKEN]: POST with X-Corun-Token; prints "CODE BODY".
http_post() {
	timeout 20 python3 - "$1" "${2-}" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=b"", method="POST")
if sys.argv[2]:
    req.add_header("X-Corun-Token", sys.argv[2])
try:
    with urllib.request.urlopen(req, timeout=15) as r:
        print(r.status, r.read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode().strip())
PY
}

# no_sanitizer_report FILE [PATTERN]: a sanitizer build's report (a leak
# at exit, undefined behaviour) in a daemon's log fails the test; with
# PATTERN, only a report whose text matches it (grep -e).
no_sanitizer_report() {
	if grep -q 'Sanitizer\|runtime error' "$1" 2>/dev/null &&
	    grep -q -e "${2:-.}" "$1"; then
		fail "sanitizer report in $1"
	else
		ok "no sanitizer report in the daemon's log${2:+ about $2}"
	fi
}
