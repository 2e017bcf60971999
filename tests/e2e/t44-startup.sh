#!/bin/sh
# Start-up: crq defers libgit2's CA bundle parse (mbedTLS) to the first
# TLS connection (cmd/tls.c), and a connection still loads and enforces
# the certificates.  Against a local HTTPS git server (git http-backend
# behind python's ssl, a CA and a server certificate made here):
#  - plain libgit2 (a program of its own) opens the CA bundle at init;
#    crq show and crq set do not open it at all;
#  - libgit2's own https transport, run inside the crq binary (a probe
#    preloaded into it lists the server's refs before main), opens the
#    bundle only once init is over, as it sets up the connection;
#    refuses the server while the bundle lacks the test CA, accepts it
#    once the bundle (bind-mounted in a private mount namespace) is the
#    test CA, and refuses it again when the bundle is no certificate;
#  - crq sync, which fetches and pushes with the system git (crq itself
#    never opens a TLS connection through libgit2), refuses the
#    untrusted server, syncs once http.sslCAInfo names the CA, and
#    refuses again when that file is no certificate.
# Needs a C compiler, libgit2's headers and strace for the libgit2 part
# (skipped without), and unshare for the bundle swaps (skipped without).
. "$(dirname "$0")/lib.sh"

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
	no_proxy NO_PROXY GIT_SSL_CAINFO GIT_SSL_NO_VERIFY SSL_CERT_FILE \
	SSL_CERT_DIR
CC=${CC:-cc}
skip() { ntest=$((ntest + 1)); echo "ok $ntest # skip $*"; }

# --- a CA, a certificate for 127.0.0.1 it signed, a server --------------
cd "$TMP"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 30 \
	-subj /CN=crq-test-ca 2>/dev/null &&
openssl req $ec -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 \
	2>/dev/null &&
printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >srv.ext &&
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-days 30 -extfile srv.ext -out srv.pem 2>/dev/null ||
	{ not_ok "openssl could not make the certificates"; done_testing; }
echo "not a certificate" >junk.pem

"$CRQ" init seed >/dev/null
(cd seed && as alice new --title "Over https" >/dev/null)
mkdir srv
git clone -q --bare seed srv/store.git
git -C srv/store.git config http.receivepack true

cat >https.py <<'EOF'
# https.py ROOT CERT KEY PORTFILE: git's smart HTTP (git http-backend
# as a CGI) over TLS on 127.0.0.1, on a free port written to PORTFILE
import http.server, os, ssl, subprocess, sys
root, cert, key, portfile = sys.argv[1:5]

class H(http.server.BaseHTTPRequestHandler):
	def do_GET(self):
		self.cgi()

	def do_POST(self):
		self.cgi()

	def body(self):
		if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
			return self.rfile.read(int(self.headers.get("Content-Length") or 0))
		data = b""
		while True:
			n = int(self.rfile.readline().split(b";")[0], 16)
			if not n:
				self.rfile.readline()
				return data
			data += self.rfile.read(n)
			self.rfile.readline()

	def cgi(self):
		path, _, query = self.path.partition("?")
		data = self.body()
		env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1",
			PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
			CONTENT_TYPE=self.headers.get("Content-Type", ""),
			CONTENT_LENGTH=str(len(data)), REMOTE_ADDR="127.0.0.1")
		for h, e in (("Content-Encoding", "HTTP_CONTENT_ENCODING"),
				("Git-Protocol", "GIT_PROTOCOL")):
			if self.headers.get(h):
				env[e] = self.headers[h]
		out = subprocess.run(["git", "http-backend"], input=data, env=env,
			stdout=subprocess.PIPE).stdout
		sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
		head, _, rest = out.partition(sep)
		status, hdrs = 200, []
		for line in head.decode().splitlines():
			k, _, v = line.partition(":")
			if k.lower() == "status":
				status = int(v.split()[0])
			else:
				hdrs.append((k, v.strip()))
		self.send_response(status)
		for k, v in hdrs:
			self.send_header(k, v)
		self.send_header("Content-Length", str(len(rest)))
		self.end_headers()
		self.wfile.write(rest)

	def log_message(self, *args):
		pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
	f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF
"$PY" https.py "$TMP/srv" srv.pem srv.key "$TMP/port" 2>"$TMP/https.log" &
srv_pid=$!
trap 'kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s port ] || { not_ok "the https server did not start"; done_testing; }
PORT=$(cat port)
URL=https://127.0.0.1:$PORT/store.git
TIP=$(git -C srv/store.git rev-parse main)
if git -c http.sslCAInfo="$TMP/ca.pem" ls-remote "$URL" main >out 2>err &&
   grep -q "^$TIP	refs/heads/main$" out; then
	ok "the https server serves store.git to git with the CA"
else
	not_ok "the https server: $(cat err)"
	done_testing
fi

# --- plain libgit2 loads the bundle at init; crq does not ----------------
cat >eager.c <<'EOF'
#include <git2.h>
int main(void) { return git_libgit2_init() < 0; }
EOF
cat >probe.c <<'EOF'
/* Preloaded into crq: before crq's main, start libgit2 (as crq does)
 * and list PROBE_URL's refs with libgit2's own transport; exit 0, or 1
 * with libgit2's error code and message.  Between the two it opens
 * "probe-connects" (which does not exist): a mark in the trace. */
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void probe(void)
{
	const char *url = getenv("PROBE_URL");
	const git_remote_head **heads;
	git_remote *r = NULL;
	size_t n, i;
	int err;

	if (!url)
		return;
	git_libgit2_init();
	open("probe-connects", O_RDONLY);
	if ((err = git_remote_create_detached(&r, url)) < 0 ||
	    (err = git_remote_connect(r, GIT_DIRECTION_FETCH, NULL, NULL,
		NULL)) < 0 ||
	    (err = git_remote_ls(&heads, &n, r)) < 0) {
		fprintf(stderr, "probe: error %d: %s\n", err,
			git_error_last() ? git_error_last()->message : "?");
		_exit(1);
	}
	for (i = 0; i < n; i++)
		printf("%s\t%s\n", git_oid_tostr_s(&heads[i]->oid),
			heads[i]->name);
	fflush(stdout);
	_exit(0);
}
EOF
G2=$(pkg-config --cflags --libs libgit2 2>/dev/null)
have_cc=
$CC -o eager eager.c $G2 2>cc.err &&
	$CC -shared -fPIC -o probe.so probe.c $G2 2>>cc.err && have_cc=1
have_strace=
command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null &&
	have_strace=1

# traced FILE cmd...: run under strace (file opens and connects, child
# processes too) into FILE; LeakSanitizer cannot run under ptrace, the
# rest of the sanitizers can
traced() {
	f=$1
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=openat,open,connect -o "$f" "$@"
}

BUNDLE=
if [ -z "$have_cc" ]; then
	skip "no C compiler for the libgit2 probes ($(head -1 cc.err))"
elif [ -z "$have_strace" ]; then
	skip "no working strace"
else
	traced eager.trace ./eager
	BUNDLE=$(sed -n 's/.*open[at]*([^"]*"\([^"]*\)".* = [0-9][0-9]*$/\1/p' eager.trace |
		grep -E '/certs?/|\.(crt|pem)$' | head -1)
	if [ -n "$BUNDLE" ]; then
		ok "plain libgit2 opens its CA bundle at init: $BUNDLE"
	else
		skip "this libgit2 opens no CA bundle at init (not mbedTLS): nothing to defer"
	fi
fi

cd seed
if [ -n "$BUNDLE" ]; then
	traced "$TMP/show.trace" "$CRQ" show CHG-000001 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc = 0 ] && grep -q "^title: Over https" "$TMP/out" &&
	   grep -q '\.git/HEAD"' "$TMP/show.trace"; then
		ok "crq show works under strace (and strace sees its opens)"
	else
		not_ok "crq show under strace exited $rc"
		sed 's/^/#   /' "$TMP/err"
	fi
	if grep -qF "\"$BUNDLE\"" "$TMP/show.trace"; then
		not_ok "crq show opened $BUNDLE"
	else
		ok "crq show does not open the CA bundle"
	fi
	traced "$TMP/set.trace" "$CRQ" set CHG-000001 risk=low >/dev/null 2>"$TMP/err" ||
		{ not_ok "crq set under strace"; sed 's/^/#   /' "$TMP/err"; }
	if grep -qF "\"$BUNDLE\"" "$TMP/set.trace"; then
		not_ok "crq set opened $BUNDLE"
	else
		ok "crq set (a signed commit) does not open the CA bundle"
	fi
	same "crq set made its commit" "$(git cat-file blob HEAD:changes/000/CHG-000001.yaml | grep '^risk:')" \
		"risk: low"
fi
cd "$TMP"

# --- libgit2's https inside crq: certificates loaded at connect ---------
# probe FILE [BUNDLE-REPLACEMENT]: run the probe inside crq against
# $URL, traced into FILE; with a replacement, in a mount namespace
# where it is bind-mounted over the CA bundle
asan=$(ldd "$CRQ" 2>/dev/null | sed -n 's/.*\(libasan[^ ]*\) => \([^ ]*\).*/\2/p')
probe() {
	f=$1
	pre="${asan:+$asan }$TMP/probe.so"
	if [ $# = 1 ]; then
		traced "$f" -E LD_PRELOAD="$pre" -E PROBE_URL="$URL" "$CRQ" --version
		return
	fi
	[ "$(id -u)" = 0 ] && ns="unshare -m" || ns="unshare -rm"
	$ns true 2>/dev/null || return 97
	$ns sh -c 'mount --bind "$1" "$2" || exit 97; shift 2; exec "$@"' sh \
		"$2" "$BUNDLE" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=openat,open,connect -o "$f" \
		-E LD_PRELOAD="$pre" -E PROBE_URL="$URL" "$CRQ" --version
}

# after_init TRACE: the bundle is opened, and only once libgit2's init
# is over and the probe sets out to connect to the server (its mark)
after_init() {
	m=$(grep -n '"probe-connects"' "$1" | head -1 | cut -d: -f1)
	o=$(grep -nF "\"$BUNDLE\"" "$1" | head -1 | cut -d: -f1)
	c=$(grep -n "connect(.*htons($PORT)" "$1" | head -1 | cut -d: -f1)
	[ -n "$m" ] && [ -n "$o" ] && [ -n "$c" ] && [ "$o" -gt "$m" ]
}

if [ -n "$BUNDLE" ]; then
	probe untrusted.trace >out 2>err
	rc=$?
	if [ $rc = 1 ] && grep -q "^probe: error -17: .*certificate" err; then
		ok "libgit2 in crq refuses the server its bundle does not vouch for ($(sed 's/^probe: //' err))"
	else
		not_ok "untrusted server: probe exited $rc: $(cat err out)"
	fi
	if after_init untrusted.trace; then
		ok "the bundle is read when libgit2 sets up the connection, not at init"
	else
		not_ok "the bundle was not read on the way to the connection"
		grep -E "connect|probe-connects|$BUNDLE" untrusted.trace | sed 's/^/#   /'
	fi

	probe trusted.trace "$TMP/ca.pem" >out 2>err
	rc=$?
	if [ $rc = 97 ]; then
		skip "no private mount namespace here to replace the CA bundle"
	elif [ $rc = 0 ] && grep -q "^$TIP	refs/heads/main$" out; then
		ok "with the test CA as the bundle, libgit2 in crq trusts the server and lists main"
		after_init trusted.trace &&
			ok "and read that bundle on the way to the connection" ||
			not_ok "trusted: the bundle was not read on the way to the connection"
	else
		not_ok "trusted server: probe exited $rc: $(cat err out)"
	fi

	probe junk.trace "$TMP/junk.pem" >out 2>err
	rc=$?
	if [ $rc = 97 ]; then
		skip "no private mount namespace here to replace the CA bundle"
	elif [ $rc = 1 ] && grep -q "^probe: error -17: .*certificate" err; then
		ok "a bundle that does not parse trusts nothing ($(sed 's/^probe: //' err))"
	else
		not_ok "junk bundle: probe exited $rc: $(cat err out)"
	fi
fi

# --- crq sync over https: the system git checks the certificate ---------
git clone -q srv/store.git work
cd work
git remote set-url origin "$URL"
as alice comment CHG-000001 -m "pushed over https" >/dev/null
before=$(git rev-parse HEAD)
# git's words for it depend on its TLS library (GnuTLS: "server
# certificate verification failed"; OpenSSL: "SSL certificate problem")
refused_cert() {
	expect 128 "cannot fetch from 'origin'" "$CRQ" sync &&
	if grep -qi "certificate" "$TMP/err"; then
		ok "$1: $(grep -io '[a-z ]*certificate[a-z ]*' "$TMP/err" | head -1)"
	else
		not_ok "$1: no certificate error"
		sed 's/^/#   /' "$TMP/err"
	fi
}
refused_cert "git refuses the untrusted server"
same "nothing reached the server" "$(git -C "$TMP/srv/store.git" rev-parse main)" "$TIP"
same "the branch is as it was" "$(git rev-parse HEAD)" "$before"
git config http.sslCAInfo "$TMP/ca.pem"
expect 0 "" "$CRQ" sync
same "the step is on the server" "$(git -C "$TMP/srv/store.git" rev-parse main)" "$(git rev-parse HEAD)"
same "pushed as is (a fast-forward)" "$(git rev-parse HEAD)" "$before"
git config --unset http.sslCAInfo
git config http.sslCAInfo "$TMP/junk.pem"
refused_cert "git refuses the server when the CA file is no certificate"

done_testing
