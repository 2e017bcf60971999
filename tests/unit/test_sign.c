/*
 * test_sign.c - SSH signatures: byte identity with ssh-keygen, the key
 * forms git accepts, ssh-agent, the ssh-keygen fallback, errors and
 * strict verification.
 */
#include "testutil.h"
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "sign.h"

static char dir[64];
static char agent_sock[128];
static pid_t agent_pid;
static char *saved_path;

static const char commit_payload[] =
	"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	"author Test User <test@example.com> 1795428000 +0000\n"
	"committer Test User <test@example.com> 1795428000 +0000\n"
	"\n"
	"crq: CRQ-1 draft\n";

/* ------------------------------------------------------------------ */
/* Helpers */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		print_error("command failed (%d): %s\n", rc, cmd);
	return rc;
}

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void read_file(crq_buf *out, const char *name)
{
	char path[256];

	path_of(path, sizeof(path), name);
	crq_buf_clear(out);
	assert_crq_ok(crq_buf_read_file(out, path, 16 * 1024 * 1024));
}

/* The canonical "TYPE BASE64" of DIR/name. */
static void pub_of(crq_buf *out, const char *name)
{
	crq_buf text = CRQ_BUF_INIT;

	read_file(&text, name);
	crq_buf_clear(out);
	assert_crq_ok(crq_ssh_pubkey_canonical(out, crq_buf_cstr(&text)));
	crq_buf_dispose(&text);
}

static void agent_on(void)
{
	setenv("SSH_AUTH_SOCK", agent_sock, 1);
}

static void agent_off(void)
{
	unsetenv("SSH_AUTH_SOCK");
}

/*
 * What `ssh-keygen -Y sign -n git -f key` writes for payload, without
 * the final newline.  The agent is hidden from it unless with_agent.
 */
static void keygen_sign(crq_buf *out, const char *key, const char *payload,
	size_t len, int with_agent)
{
	write_file("payload", payload, len);
	assert_int_equal(run("rm -f %s/payload.sig && %s ssh-keygen -q -Y "
		"sign -n git -f %s/%s %s/payload 2>/dev/null", dir,
		with_agent ? "" : "env -u SSH_AUTH_SOCK", dir, key, dir), 0);
	read_file(out, "payload.sig");
	assert_true(out->size > 0 && out->ptr[out->size - 1] == '\n');
	out->ptr[--out->size] = '\0';
}

/* Sign with key (a user.signingkey value); the signer's key goes to pub. */
static void sign_with(crq_buf *out, crq_buf *pub, const char *key,
	const char *payload, size_t len)
{
	crq_signer *s = NULL;

	assert_crq_ok(crq_signer_open(&s, "ssh", key));
	if (pub) {
		crq_buf_clear(pub);
		crq_buf_puts(pub, crq_signer_public_key(s));
	}
	crq_buf_clear(out);
	assert_crq_ok(crq_signer_sign(s, out, payload, len));
	crq_signer_free(s);
}

/* Check sig with ssh-keygen: check-novalidate and verify. */
static void keygen_accepts(const crq_buf *sig, const char *payload,
	size_t len, const char *pub)
{
	char line[4096];

	write_file("payload", payload, len);
	write_file("ours.sig", sig->ptr, sig->size);
	snprintf(line, sizeof(line), "test@example.com %s\n", pub);
	write_file("allowed_signers", line, strlen(line));
	assert_int_equal(run("ssh-keygen -Y check-novalidate -n git -s "
		"%s/ours.sig < %s/payload >/dev/null 2>&1", dir, dir), 0);
	assert_int_equal(run("ssh-keygen -Y verify -f %s/allowed_signers "
		"-I test@example.com -n git -s %s/ours.sig < %s/payload "
		">/dev/null 2>&1", dir, dir, dir), 0);
}

static void key_path(char *out, size_t size, const char *name)
{
	path_of(out, size, name);
}

/* ------------------------------------------------------------------ */
/* Fixture: keys in a temporary HOME and one ssh-agent */

static int group_setup(void **state)
{
	char path[256], line[256];
	FILE *f;

	(void)state;
	strcpy(dir, "/tmp/crq-sign-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	setenv("HOME", dir, 1);
	saved_path = strdup(getenv("PATH") ? getenv("PATH") :
		"/usr/bin:/bin");
	agent_off();
	if (run("cd %s && ssh-keygen -q -t ed25519 -N '' -C test -f id && "
		"ssh-keygen -q -t ed25519 -N '' -C other -f other && "
		"ssh-keygen -q -t ed25519 -N pw -C enc -f enc && "
		"ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f rsa && "
		"ssh-keygen -q -t ecdsa -b 256 -N '' -C ecdsa -f ecdsa && "
		"cp enc enc-plain && ssh-keygen -q -p -P pw -N '' "
		"-f enc-plain >/dev/null && "
		"printf '#!/bin/sh\\necho pw\\n' > askpass && "
		"chmod 700 askpass", dir))
		return -1;
	snprintf(agent_sock, sizeof(agent_sock), "%s/agent.sock", dir);
	if (run("ssh-agent -a %s > %s/agent.env", agent_sock, dir))
		return -1;
	path_of(path, sizeof(path), "agent.env");
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "SSH_AGENT_PID=");

		if (p)
			agent_pid = (pid_t)atol(p + strlen("SSH_AGENT_PID="));
	}
	fclose(f);
	if (agent_pid <= 0)
		return -1;
	/* the agent holds id, rsa and (through askpass) the encrypted enc,
	 * never "other" */
	if (run("cd %s && SSH_AUTH_SOCK=%s ssh-add -q id rsa 2>/dev/null && "
		"SSH_AUTH_SOCK=%s SSH_ASKPASS_REQUIRE=force "
		"SSH_ASKPASS=%s/askpass DISPLAY=:0 ssh-add -q enc "
		"</dev/null 2>/dev/null", dir, agent_sock, agent_sock, dir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (agent_pid > 0)
		kill(agent_pid, SIGTERM);
	agent_off();
	setenv("PATH", saved_path, 1);
	free(saved_path);
	return test_env_teardown(dir);
}

static int each_setup(void **state)
{
	(void)state;
	/* a failed test may leave PATH pointing at a stand-in */
	setenv("PATH", saved_path, 1);
	agent_off();
	crq_error_clear();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Signing */

static void check_identity(const char *payload, size_t len)
{
	crq_buf ours = CRQ_BUF_INIT, theirs = CRQ_BUF_INIT;
	crq_buf pub = CRQ_BUF_INIT, got = CRQ_BUF_INIT;
	char key[256];

	key_path(key, sizeof(key), "id");
	sign_with(&ours, &pub, key, payload, len);
	keygen_sign(&theirs, "id", payload, len, 0);
	assert_int_equal(ours.size, theirs.size);
	assert_memory_equal(ours.ptr, theirs.ptr, ours.size);
	assert_string_equal(ours.ptr + ours.size - 28,
		"\n-----END SSH SIGNATURE-----");
	assert_crq_ok(crq_sshsig_verify(ours.ptr, ours.size, payload, len,
		"git", &got));
	assert_string_equal(got.ptr, pub.ptr);
	keygen_accepts(&ours, payload, len, pub.ptr);
	crq_buf_dispose(&ours);
	crq_buf_dispose(&theirs);
	crq_buf_dispose(&pub);
	crq_buf_dispose(&got);
}

static void test_byte_identity(void **state)
{
	size_t big = 1024 * 1024, i;
	char *p = malloc(big), bin[512];

	(void)state;
	check_identity("", 0);
	check_identity(commit_payload, strlen(commit_payload));
	for (i = 0; i < big; i++)
		p[i] = "commit text\n"[i % 12];
	check_identity(p, big);
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 7 + 3);
	check_identity(bin, sizeof(bin));
	free(p);
}

static void test_key_forms(void **state)
{
	crq_buf a = CRQ_BUF_INIT, b = CRQ_BUF_INIT, pub = CRQ_BUF_INIT;
	crq_buf want = CRQ_BUF_INIT;
	const char *const forms[] = { "id.pub", "~/id", "~/id.pub" };
	char key[256];
	size_t i;

	(void)state;
	pub_of(&want, "id.pub");
	key_path(key, sizeof(key), "id");
	sign_with(&a, &pub, key, commit_payload, strlen(commit_payload));
	assert_string_equal(pub.ptr, want.ptr);
	for (i = 0; i < CRQ_ARRAY_SIZE(forms); i++) {
		if (forms[i][0] == '~')
			snprintf(key, sizeof(key), "%s", forms[i]);
		else
			key_path(key, sizeof(key), forms[i]);
		sign_with(&b, &pub, key, commit_payload,
			strlen(commit_payload));
		assert_string_equal(pub.ptr, want.ptr);
		assert_string_equal(a.ptr, b.ptr);
	}
	crq_buf_dispose(&a);
	crq_buf_dispose(&b);
	crq_buf_dispose(&pub);
	crq_buf_dispose(&want);
}

static void test_agent(void **state)
{
	crq_buf a = CRQ_BUF_INIT, b = CRQ_BUF_INIT, pub = CRQ_BUF_INIT;
	crq_buf lit = CRQ_BUF_INIT, theirs = CRQ_BUF_INIT;
	crq_signer *s = NULL;
	char key[256];

	(void)state;
	/* key:: literal, signed by the agent = signed in-process */
	key_path(key, sizeof(key), "id");
	sign_with(&a, NULL, key, commit_payload, strlen(commit_payload));
	agent_on();
	pub_of(&pub, "id.pub");
	crq_buf_printf(&lit, "key::%s comment here", pub.ptr);
	sign_with(&b, NULL, lit.ptr, commit_payload, strlen(commit_payload));
	assert_string_equal(a.ptr, b.ptr);
	/* the old bare literal form */
	sign_with(&b, NULL, pub.ptr, commit_payload, strlen(commit_payload));
	assert_string_equal(a.ptr, b.ptr);

	/* encrypted key: by path and by .pub path, through the agent; the
	 * same key decrypted signs identically in-process */
	agent_off();
	key_path(key, sizeof(key), "enc-plain");
	sign_with(&a, NULL, key, commit_payload, strlen(commit_payload));
	agent_on();
	key_path(key, sizeof(key), "enc");
	sign_with(&b, &pub, key, commit_payload, strlen(commit_payload));
	assert_string_equal(a.ptr, b.ptr);
	keygen_accepts(&b, commit_payload, strlen(commit_payload), pub.ptr);
	key_path(key, sizeof(key), "enc.pub");
	sign_with(&b, NULL, key, "", 0);
	assert_crq_ok(crq_sshsig_verify(b.ptr, b.size, "", 0, "git", NULL));

	/* RSA through the agent: rsa-sha2-512, as ssh-keygen makes it */
	crq_buf_clear(&lit);
	pub_of(&pub, "rsa.pub");
	crq_buf_printf(&lit, "key::%s", pub.ptr);
	sign_with(&b, NULL, lit.ptr, commit_payload, strlen(commit_payload));
	keygen_sign(&theirs, "rsa", commit_payload, strlen(commit_payload),
		0);
	assert_string_equal(b.ptr, theirs.ptr);

	/* a key the agent lacks, with the private key next to its .pub */
	key_path(key, sizeof(key), "other.pub");
	sign_with(&b, NULL, key, "x", 1);
	assert_crq_ok(crq_sshsig_verify(b.ptr, b.size, "x", 1, "git", NULL));

	/* ... and as a literal: refused */
	crq_buf_clear(&lit);
	pub_of(&pub, "other.pub");
	crq_buf_printf(&lit, "key::%s", pub.ptr);
	assert_crq_fails(crq_signer_open(&s, "ssh", lit.ptr), CRQ_ESIGN,
		"ssh-agent does not hold signing key");
	assert_null(s);

	/* an agent that is not there */
	setenv("SSH_AUTH_SOCK", "/nonexistent/agent.sock", 1);
	crq_buf_clear(&lit);
	pub_of(&pub, "id.pub");
	crq_buf_printf(&lit, "key::%s", pub.ptr);
	assert_crq_fails(crq_signer_open(&s, "ssh", lit.ptr), CRQ_ESIGN,
		"cannot connect to ssh-agent");
	agent_off();
	crq_buf_dispose(&a);
	crq_buf_dispose(&b);
	crq_buf_dispose(&pub);
	crq_buf_dispose(&lit);
	crq_buf_dispose(&theirs);
}

static void test_keygen_fallback(void **state)
{
	crq_buf ours = CRQ_BUF_INIT, theirs = CRQ_BUF_INIT;
	crq_buf pub = CRQ_BUF_INIT, want = CRQ_BUF_INIT;
	char key[256];

	(void)state;
	/* no agent: an unencrypted RSA key goes through ssh-keygen */
	key_path(key, sizeof(key), "rsa");
	sign_with(&ours, &pub, key, commit_payload, strlen(commit_payload));
	pub_of(&want, "rsa.pub");
	assert_string_equal(pub.ptr, want.ptr);
	keygen_sign(&theirs, "rsa", commit_payload, strlen(commit_payload),
		0);
	assert_string_equal(ours.ptr, theirs.ptr);
	keygen_accepts(&ours, commit_payload, strlen(commit_payload),
		pub.ptr);
	/* a large payload through the file handed to ssh-keygen */
	{
		size_t big = 1024 * 1024 + 17;
		char *p = calloc(1, big);

		sign_with(&ours, NULL, key, p, big);
		assert_crq_ok(crq_sshsig_verify(ours.ptr, ours.size, p, big,
			"git", NULL));
		free(p);
	}
	/* and the same for ECDSA through its .pub path */
	key_path(key, sizeof(key), "ecdsa.pub");
	sign_with(&ours, &pub, key, "data", 4);
	pub_of(&want, "ecdsa.pub");
	assert_string_equal(pub.ptr, want.ptr);
	assert_crq_ok(crq_sshsig_verify(ours.ptr, ours.size, "data", 4,
		"git", NULL));
	keygen_accepts(&ours, "data", 4, pub.ptr);
	crq_buf_dispose(&ours);
	crq_buf_dispose(&theirs);
	crq_buf_dispose(&pub);
	crq_buf_dispose(&want);
}

/* ssh-keygen failing, missing or lying, through a stand-in on PATH. */
static void test_keygen_errors(void **state)
{
	crq_signer *s = NULL;
	crq_buf out = CRQ_BUF_INIT, sig = CRQ_BUF_INIT;
	char key[256], bin[256];

	(void)state;
	key_path(key, sizeof(key), "rsa");
	path_of(bin, sizeof(bin), "bin");
	assert_crq_ok(crq_signer_open(&s, "ssh", key));
	assert_int_equal(run("mkdir -p %s && printf '#!/bin/sh\\necho "
		"Signing data on standard input >&2\\necho it broke >&2\\n"
		"echo second line >&2\\nexit 255\\n' > %s/ssh-keygen && "
		"chmod 755 %s/ssh-keygen", bin, bin, bin), 0);
	setenv("PATH", bin, 1);
	assert_crq_fails(crq_signer_sign(s, &out, "x", 1), CRQ_ESIGN,
		"ssh-keygen failed to sign with");
	assert_non_null(strstr(crq_error_last(), ": it broke"));
	assert_null(strstr(crq_error_last(), "second"));

	/* a signature by another key, or none at all */
	setenv("PATH", saved_path, 1);
	keygen_sign(&sig, "id", "x", 1, 0);
	write_file("bin/other.sig", sig.ptr, sig.size);
	assert_int_equal(run("printf '#!/bin/sh\\nexec /bin/cat "
		"%s/other.sig\\n' > %s/ssh-keygen", bin, bin), 0);
	setenv("PATH", bin, 1);
	assert_crq_fails(crq_signer_sign(s, &out, "x", 1), CRQ_ESIGN,
		"not with 'ssh-rsa ");
	assert_int_equal(run("/bin/echo hello > %s/other.sig", bin), 0);
	assert_crq_fails(crq_signer_sign(s, &out, "x", 1), CRQ_ESIGN,
		"ssh-keygen made a bad signature");

	setenv("PATH", "/nonexistent", 1);
	assert_crq_fails(crq_signer_sign(s, &out, "x", 1), CRQ_ESIGN,
		"cannot run ssh-keygen: No such file or directory");
	setenv("PATH", saved_path, 1);
	assert_int_equal(out.size, 0);
	crq_signer_free(s);
	crq_buf_dispose(&out);
	crq_buf_dispose(&sig);
}

static void test_open_errors(void **state)
{
	crq_signer *s = NULL;
	crq_buf lit = CRQ_BUF_INIT, pub = CRQ_BUF_INIT;
	char key[256], msg[512];

	(void)state;
	key_path(key, sizeof(key), "id");
	assert_crq_fails(crq_signer_open(&s, NULL, key), CRQ_ESIGN,
		"gpg.format is 'openpgp'; crq signs with ssh keys: set "
		"gpg.format=ssh");
	assert_crq_fails(crq_signer_open(&s, "openpgp", key), CRQ_ESIGN,
		"gpg.format is 'openpgp'");
	assert_crq_fails(crq_signer_open(&s, "x509", key), CRQ_ESIGN,
		"gpg.format is 'x509'");
	assert_crq_fails(crq_signer_open(&s, "ssh", NULL), CRQ_ESIGN,
		"no signing key: set user.signingkey to your ssh key");
	assert_crq_fails(crq_signer_open(&s, "ssh", ""), CRQ_ESIGN,
		"no signing key");

	key_path(key, sizeof(key), "missing");
	snprintf(msg, sizeof(msg), "cannot read signing key '%s': No such "
		"file or directory", key);
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN, msg);
	assert_crq_fails(crq_signer_open(&s, "ssh", "~/missing"), CRQ_ESIGN,
		msg);

	write_file("garbage", "hello\n", 6);
	assert_int_equal(run("chmod 600 %s/garbage", dir), 0);
	key_path(key, sizeof(key), "garbage");
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN,
		"is not an OpenSSH private key");
	write_file("garbage2", "-----BEGIN OPENSSH PRIVATE KEY-----\n"
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n"
		"-----END OPENSSH PRIVATE KEY-----\n", 103);
	assert_int_equal(run("chmod 600 %s/garbage2", dir), 0);
	key_path(key, sizeof(key), "garbage2");
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN,
		"cannot be used");

	assert_int_equal(run("cp %s/id %s/open && chmod 644 %s/open", dir,
		dir, dir), 0);
	key_path(key, sizeof(key), "open");
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN,
		"are too open");

	/* encrypted, no agent */
	key_path(key, sizeof(key), "enc");
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN,
		"is encrypted; add it to ssh-agent (ssh-add)");
	key_path(key, sizeof(key), "enc.pub");
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN,
		"ssh-add");

	/* a .pub with neither agent nor private key */
	assert_int_equal(run("cp %s/id.pub %s/lonely.pub", dir, dir), 0);
	key_path(key, sizeof(key), "lonely.pub");
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN,
		"no private key");
	/* a .pub that does not belong to the private key next to it */
	assert_int_equal(run("cp %s/id %s/mixed && cp %s/other.pub "
		"%s/mixed.pub", dir, dir, dir, dir), 0);
	key_path(key, sizeof(key), "mixed.pub");
	assert_crq_fails(crq_signer_open(&s, "ssh", key), CRQ_ESIGN,
		"does not match");

	/* literals: no agent; not a key */
	pub_of(&pub, "id.pub");
	crq_buf_printf(&lit, "key::%s", pub.ptr);
	assert_crq_fails(crq_signer_open(&s, "ssh", lit.ptr), CRQ_ESIGN,
		"SSH_AUTH_SOCK is not set");
	assert_crq_fails(crq_signer_open(&s, "ssh", "key::ssh-ed25519 AAAA"),
		CRQ_ESIGN, "bad user.signingkey");
	assert_null(s);
	crq_signer_free(NULL);
	crq_buf_dispose(&lit);
	crq_buf_dispose(&pub);
}

/* ------------------------------------------------------------------ */
/* Verification */

static void b64(crq_buf *out, const unsigned char *p, size_t n)
{
	char *t = malloc(4 * ((n + 2) / 3) + 1);
	int m = EVP_EncodeBlock((unsigned char *)t, p, (int)n);

	crq_buf_put(out, t, (size_t)m);
	free(t);
}

static void armor(crq_buf *out, const crq_buf *blob, size_t width)
{
	crq_buf t = CRQ_BUF_INIT;
	size_t i;

	b64(&t, (const unsigned char *)blob->ptr, blob->size);
	crq_buf_puts(out, "-----BEGIN SSH SIGNATURE-----\n");
	for (i = 0; i < t.size; i += width) {
		crq_buf_put(out, t.ptr + i,
			t.size - i < width ? t.size - i : width);
		crq_buf_putc(out, '\n');
	}
	crq_buf_puts(out, "-----END SSH SIGNATURE-----");
	crq_buf_dispose(&t);
}

static void unarmor(crq_buf *blob, const crq_buf *sig)
{
	crq_buf t = CRQ_BUF_INIT;
	const char *p = strchr(sig->ptr, '\n') + 1;
	const char *e = strstr(p, "-----END");
	unsigned char *bin;
	int n;

	for (; p < e; p++)
		if (*p != '\n')
			crq_buf_putc(&t, *p);
	bin = malloc(t.size);
	n = EVP_DecodeBlock(bin, (unsigned char *)t.ptr, (int)t.size);
	assert_true(n > 0);
	while (t.size && t.ptr[t.size - 1] == '=') {
		t.size--;
		n--;
	}
	crq_buf_put(blob, (char *)bin, (size_t)n);
	free(bin);
	crq_buf_dispose(&t);
}

static uint32_t get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
		(uint32_t)u[2] << 8 | u[3];
}

static void put32(crq_buf *b, uint32_t v)
{
	char c[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8),
		(char)v };

	crq_buf_put(b, c, 4);
}

/*
 * Rebuild the blob with field index `field` (0 pk, 1 namespace,
 * 2 reserved, 3 hash, 4 signature) replaced by value, the version
 * replaced by version, and extra bytes appended.
 */
static void rebuild(crq_buf *out, const crq_buf *blob, int field,
	const char *value, uint32_t version, const char *extra)
{
	size_t off = 10, n;
	int i;

	crq_buf_put(out, blob->ptr, 6);
	put32(out, version);
	for (i = 0; i < 5; i++) {
		n = get32(blob->ptr + off);
		if (i == field) {
			put32(out, (uint32_t)strlen(value));
			crq_buf_puts(out, value);
		} else {
			crq_buf_put(out, blob->ptr + off, n + 4);
		}
		off += 4 + n;
	}
	assert_int_equal(off, blob->size);
	crq_buf_puts(out, extra);
}

static void expect_bad(const crq_buf *sig, const char *payload,
	const char *ns, const char *why)
{
	assert_crq_fails(crq_sshsig_verify(sig->ptr, sig->size, payload,
		strlen(payload), ns, NULL), CRQ_ESIGN, why);
}

static void test_verify_strict(void **state)
{
	const char *payload = commit_payload;
	crq_buf sig = CRQ_BUF_INIT, pub = CRQ_BUF_INIT, got = CRQ_BUF_INIT;
	crq_buf blob = CRQ_BUF_INIT, b2 = CRQ_BUF_INIT, v = CRQ_BUF_INIT;
	char key[256];
	size_t i;

	(void)state;
	key_path(key, sizeof(key), "id");
	sign_with(&sig, &pub, key, payload, strlen(payload));
	assert_crq_ok(crq_sshsig_verify(sig.ptr, sig.size, payload,
		strlen(payload), "git", &got));
	assert_string_equal(got.ptr, pub.ptr);
	/* one newline after END is how a header may be cut out */
	crq_buf_put(&v, sig.ptr, sig.size);
	crq_buf_putc(&v, '\n');
	assert_crq_ok(crq_sshsig_verify(v.ptr, v.size, payload,
		strlen(payload), "git", NULL));

	expect_bad(&sig, "tree 0\n", "git", "signature does not match");
	expect_bad(&sig, payload, "file", "namespace 'git', not 'file'");

	crq_buf_clear(&v);
	crq_buf_printf(&v, "%s\n\n", sig.ptr);
	expect_bad(&v, payload, "git", "malformed SSH signature");
	crq_buf_clear(&v);
	crq_buf_printf(&v, "%s\njunk", sig.ptr);
	expect_bad(&v, payload, "git", "malformed SSH signature");
	crq_buf_clear(&v);
	crq_buf_printf(&v, " %s", sig.ptr);
	expect_bad(&v, payload, "git", "not an armored SSH signature");
	crq_buf_clear(&v);
	for (i = 0; i < sig.size; i++) {
		if (sig.ptr[i] == '\n')
			crq_buf_putc(&v, '\r');
		crq_buf_putc(&v, sig.ptr[i]);
	}
	expect_bad(&v, payload, "git", "malformed SSH signature");

	unarmor(&blob, &sig);
	crq_buf_clear(&v);
	armor(&v, &blob, 70);
	assert_string_equal(v.ptr, sig.ptr);
	crq_buf_clear(&v);
	armor(&v, &blob, 76);
	expect_bad(&v, payload, "git", "armor is not canonical");
	crq_buf_clear(&v);
	armor(&v, &blob, 64);
	expect_bad(&v, payload, "git", "armor is not canonical");

	/* edited blobs */
	rebuild(&b2, &blob, 2, "x", 1, "");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "reserved field is not empty");
	crq_buf_clear(&b2);
	rebuild(&b2, &blob, -1, "", 2, "");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "unsupported version");
	crq_buf_clear(&b2);
	rebuild(&b2, &blob, 3, "sha384", 1, "");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "unsupported hash algorithm 'sha384'");
	crq_buf_clear(&b2);
	/* sha256 is a hash we accept: this one just was not signed so */
	rebuild(&b2, &blob, 3, "sha256", 1, "");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "signature does not match");
	crq_buf_clear(&b2);
	rebuild(&b2, &blob, 1, "gitx", 1, "");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "not 'git'");
	crq_buf_clear(&b2);
	rebuild(&b2, &blob, -1, "", 1, "\1");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "junk after the signature");
	crq_buf_clear(&b2);
	rebuild(&b2, &blob, 0, "x", 1, "");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "malformed SSH signature");
	crq_buf_clear(&b2);
	rebuild(&b2, &blob, 4, "x", 1, "");
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "malformed SSH signature");
	/* a flipped bit in the signature */
	crq_buf_clear(&b2);
	crq_buf_put(&b2, blob.ptr, blob.size);
	b2.ptr[b2.size - 1] ^= 1;
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "signature does not match");
	/* truncated */
	crq_buf_clear(&b2);
	crq_buf_put(&b2, blob.ptr, blob.size - 3);
	crq_buf_clear(&v);
	armor(&v, &b2, 70);
	expect_bad(&v, payload, "git", "truncated");
	expect_bad(&b2, payload, "git", "not an armored");

	crq_buf_dispose(&sig);
	crq_buf_dispose(&pub);
	crq_buf_dispose(&got);
	crq_buf_dispose(&blob);
	crq_buf_dispose(&b2);
	crq_buf_dispose(&v);
}

/* Signatures ssh-keygen made with RSA and ECDSA keys verify too. */
static void test_verify_other_types(void **state)
{
	const char *const keys[] = { "rsa", "ecdsa", "id" };
	crq_buf sig = CRQ_BUF_INIT, pub = CRQ_BUF_INIT, got = CRQ_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < CRQ_ARRAY_SIZE(keys); i++) {
		char name[32];

		keygen_sign(&sig, keys[i], commit_payload,
			strlen(commit_payload), 0);
		snprintf(name, sizeof(name), "%s.pub", keys[i]);
		pub_of(&pub, name);
		crq_buf_clear(&got);
		assert_crq_ok(crq_sshsig_verify(sig.ptr, sig.size,
			commit_payload, strlen(commit_payload), "git", &got));
		assert_string_equal(got.ptr, pub.ptr);
		expect_bad(&sig, "other", "git", "signature does not match");
	}
	crq_buf_dispose(&sig);
	crq_buf_dispose(&pub);
	crq_buf_dispose(&got);
}

static void test_pubkey_canonical(void **state)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789+/";
	crq_buf out = CRQ_BUF_INIT, text = CRQ_BUF_INIT, v = CRQ_BUF_INIT;
	const char *b;
	const char *const bad[] = {
		"", "ssh-ed25519", "ssh-ed25519 ", "ssh-ed25519 AAAA",
		"ssh-ed25519 !!!!", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==",
		/* "ssh-ed25519" with a 31-byte key */
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAHwAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAA",
		"ssh-dss AAAAB3NzaC1kc3MAAAA=",
	};
	size_t i;

	(void)state;
	read_file(&text, "id.pub");
	assert_crq_ok(crq_ssh_pubkey_canonical(&out, text.ptr));
	assert_int_equal(strncmp(out.ptr, "ssh-ed25519 AAAA", 16), 0);
	assert_null(strchr(out.ptr, '\n'));
	assert_int_equal(strncmp(text.ptr, out.ptr, out.size), 0);
	assert_string_equal(text.ptr + out.size, " test\n");
	/* leading blanks, tabs, CRLF, no comment */
	b = strchr(out.ptr, ' ') + 1;
	crq_buf_printf(&v, "  ssh-ed25519\t%s\r\n", b);
	crq_buf_clear(&text);
	assert_crq_ok(crq_ssh_pubkey_canonical(&text, v.ptr));
	assert_string_equal(text.ptr, out.ptr);
	/* base64 with a bit set after the end (an ECDSA blob is padded):
	 * the same key, but not its canonical text */
	pub_of(&v, "ecdsa.pub");
	assert_int_equal(v.ptr[v.size - 1], '=');
	b = strchr(alphabet, v.ptr[v.size - 2]);
	assert_non_null(b);
	assert_int_equal((b - alphabet) % 4, 0);
	v.ptr[v.size - 2] = b[1];
	assert_crq_fails(crq_ssh_pubkey_canonical(&text, v.ptr), CRQ_EINVALID,
		"bad base64");
	crq_buf_clear(&v);
	crq_buf_printf(&v, "ssh-ed25519 %s\nssh-ed25519 %s\n", b, b);
	assert_crq_fails(crq_ssh_pubkey_canonical(&text, v.ptr), CRQ_EINVALID,
		"more than one line");
	for (i = 0; i < CRQ_ARRAY_SIZE(bad); i++)
		assert_crq_fails(crq_ssh_pubkey_canonical(&text, bad[i]),
			CRQ_EINVALID, "invalid SSH public key");
	/* RSA and ECDSA keys */
	pub_of(&out, "rsa.pub");
	assert_int_equal(strncmp(out.ptr, "ssh-rsa AAAA", 12), 0);
	pub_of(&out, "ecdsa.pub");
	assert_int_equal(strncmp(out.ptr, "ecdsa-sha2-nistp256 AAAA", 24), 0);
	crq_buf_dispose(&out);
	crq_buf_dispose(&text);
	crq_buf_dispose(&v);
}

/* Freeing wipes and releases; repeated open/free must stay clean. */
static void test_signer_free(void **state)
{
	crq_signer *s = NULL;
	char key[256];
	int i;

	(void)state;
	key_path(key, sizeof(key), "id");
	for (i = 0; i < 3; i++) {
		assert_crq_ok(crq_signer_open(&s, "ssh", key));
		crq_signer_free(s);
	}
	crq_signer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_byte_identity, each_setup),
		cmocka_unit_test_setup(test_key_forms, each_setup),
		cmocka_unit_test_setup(test_agent, each_setup),
		cmocka_unit_test_setup(test_keygen_fallback, each_setup),
		cmocka_unit_test_setup(test_keygen_errors, each_setup),
		cmocka_unit_test_setup(test_open_errors, each_setup),
		cmocka_unit_test_setup(test_verify_strict, each_setup),
		cmocka_unit_test_setup(test_verify_other_types, each_setup),
		cmocka_unit_test_setup(test_pubkey_canonical, each_setup),
		cmocka_unit_test_setup(test_signer_free, each_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
