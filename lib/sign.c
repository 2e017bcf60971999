/*
 * sign.c - SSH signatures (SSHSIG, OpenSSH's PROTOCOL.sshsig) for commits:
 * made in-process for unencrypted ed25519 keys, through ssh-agent, or by
 * running `ssh-keygen -Y sign`; and verified strictly, accepting only the
 * canonical encoding so that a signature has exactly one spelling.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include "sign.h"

#define SIG_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define SIG_END "\n-----END SSH SIGNATURE-----"
#define SIG_WRAP 70
#define KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define KEY_END "-----END OPENSSH PRIVATE KEY-----"
#define KEY_MAGIC "openssh-key-v1"	/* followed by a NUL */
#define KEY_MAX (64 * 1024)		/* private key files are small */
#define AGENT_MAX (256 * 1024)		/* as OpenSSH's agent */
#define KEYGEN_OUT_MAX (1024 * 1024)
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384

/* ssh-agent messages (draft-miller-ssh-agent) */
#define AGENT_FAILURE 5
#define AGENT2_FAILURE 30
#define AGENT_COM_FAILURE 102
#define AGENTC_REQUEST_IDENTITIES 11
#define AGENT_IDENTITIES_ANSWER 12
#define AGENTC_SIGN_REQUEST 13
#define AGENT_SIGN_RESPONSE 14
#define AGENT_RSA_SHA2_512 4

enum { KEY_ED25519 = 1, KEY_RSA, KEY_ECDSA_P256 };

enum { MODE_ED25519 = 1, MODE_AGENT, MODE_KEYGEN };

struct crq_signer {
	int mode;
	int kind;			/* KEY_* */
	char *pubkey;			/* "TYPE BASE64" */
	unsigned char *blob;		/* public key blob */
	size_t blob_len;
	char *path;			/* private key for ssh-keygen */
	unsigned char seed[32];		/* MODE_ED25519 only */
};

/* ------------------------------------------------------------------ */
/* SSH wire encoding: big-endian uint32, string = uint32 length + bytes */

typedef struct {
	const unsigned char *p;
	size_t len, off;
} reader;

static int rd_u32(reader *r, uint32_t *v)
{
	const unsigned char *p = r->p + r->off;

	if (r->len - r->off < 4)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
	r->off += 4;
	return 0;
}

static int rd_string(reader *r, const unsigned char **p, size_t *n)
{
	uint32_t v;

	if (rd_u32(r, &v) < 0 || v > r->len - r->off)
		return -1;
	*p = r->p + r->off;
	*n = v;
	r->off += v;
	return 0;
}

/* Read a string and require it to equal s. */
static int rd_expect(reader *r, const char *s)
{
	const unsigned char *p;
	size_t n;

	if (rd_string(r, &p, &n) < 0 || n != strlen(s) || memcmp(p, s, n))
		return -1;
	return 0;
}

static int rd_done(const reader *r)
{
	return r->off == r->len;
}

static void put_u32(crq_buf *b, uint32_t v)
{
	char c[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8),
		(char)v };

	crq_buf_put(b, c, 4);
}

static void put_string(crq_buf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	crq_buf_put(b, p, n);
}

static void put_cstring(crq_buf *b, const char *s)
{
	put_string(b, s, strlen(s));
}

static int eq(const unsigned char *p, size_t n, const char *s)
{
	return n == strlen(s) && !memcmp(p, s, n);
}

/*
 * A positive mpint in its only encoding: no sign bit, no needless
 * leading zero byte.
 */
static int mpint_positive(const unsigned char *p, size_t n)
{
	if (n == 0 || (p[0] & 0x80))
		return 0;
	return p[0] != 0 || (n > 1 && (p[1] & 0x80));
}

/* ------------------------------------------------------------------ */
/* Base64 (RFC 4648) */

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(crq_buf *out, const unsigned char *p, size_t n)
{
	char q[4];
	size_t i;

	crq_buf_grow(out, (n + 2) / 3 * 4);
	for (i = 0; i + 3 <= n; i += 3) {
		q[0] = b64_chars[p[i] >> 2];
		q[1] = b64_chars[(p[i] & 3) << 4 | p[i + 1] >> 4];
		q[2] = b64_chars[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		q[3] = b64_chars[p[i + 2] & 63];
		crq_buf_put(out, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64_chars[p[i] >> 2];
		q[1] = b64_chars[(p[i] & 3) << 4];
		q[2] = q[3] = '=';
		crq_buf_put(out, q, 4);
	} else if (n - i == 2) {
		q[0] = b64_chars[p[i] >> 2];
		q[1] = b64_chars[(p[i] & 3) << 4 | p[i + 1] >> 4];
		q[2] = b64_chars[(p[i + 1] & 15) << 2];
		q[3] = '=';
		crq_buf_put(out, q, 4);
	}
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;

	return p ? (int)(p - b64_chars) : -1;
}

/*
 * Strict decoding into out (room for n / 4 * 3 bytes): whole quanta,
 * padding only at the end, unused bits zero, nothing else.  Only the
 * canonical text of a byte string is accepted, so decoding and
 * re-encoding give back the input.
 */
static int b64_decode(unsigned char *out, size_t *out_len, const char *s,
	size_t n)
{
	size_t i, o = 0;
	int v[4], k, pad;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		if (i + 4 == n) {
			if (s[i + 3] == '=')
				pad = s[i + 2] == '=' ? 2 : 1;
		}
		for (k = 0; k < 4; k++) {
			v[k] = k < 4 - pad ? b64_value(s[i + k]) : 0;
			if (v[k] < 0)
				return -1;
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad == 2) {
			if (v[1] & 15)
				return -1;
			break;
		}
		out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad == 1) {
			if (v[2] & 3)
				return -1;
			break;
		}
		out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*out_len = o;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public keys */

typedef struct {
	int kind;
	const char *type;
	const unsigned char *a;		/* ed25519 key, RSA e, EC point */
	size_t a_len;
	const unsigned char *b;		/* RSA n */
	size_t b_len;
} pubkey;

static size_t mpint_bits(const unsigned char *p, size_t n)
{
	unsigned c;
	size_t bits;

	while (n && !*p) {
		p++;
		n--;
	}
	if (!n)
		return 0;
	bits = (n - 1) * 8;
	for (c = p[0]; c; c >>= 1)
		bits++;
	return bits;
}

/*
 * Parse a public key blob.  Returns NULL or why it is not acceptable;
 * the reader must consume the blob exactly, so a blob has one encoding.
 */
static const char *pubkey_parse(pubkey *k, const unsigned char *blob,
	size_t n)
{
	reader r = { blob, n, 0 };
	const unsigned char *t;
	size_t tn, bits;

	memset(k, 0, sizeof(*k));
	if (rd_string(&r, &t, &tn) < 0)
		return "truncated public key";
	if (eq(t, tn, "ssh-ed25519")) {
		k->kind = KEY_ED25519;
		k->type = "ssh-ed25519";
		if (rd_string(&r, &k->a, &k->a_len) < 0 || k->a_len != 32)
			return "bad ed25519 public key";
	} else if (eq(t, tn, "ssh-rsa")) {
		k->kind = KEY_RSA;
		k->type = "ssh-rsa";
		if (rd_string(&r, &k->a, &k->a_len) < 0 ||
		    rd_string(&r, &k->b, &k->b_len) < 0 ||
		    !mpint_positive(k->a, k->a_len) ||
		    !mpint_positive(k->b, k->b_len))
			return "bad RSA public key";
		bits = mpint_bits(k->b, k->b_len);
		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
			return "RSA key size not supported";
	} else if (eq(t, tn, "ecdsa-sha2-nistp256")) {
		k->kind = KEY_ECDSA_P256;
		k->type = "ecdsa-sha2-nistp256";
		if (rd_expect(&r, "nistp256") < 0 ||
		    rd_string(&r, &k->a, &k->a_len) < 0 ||
		    k->a_len != 65 || k->a[0] != 4)
			return "bad ECDSA public key";
	} else {
		return "unsupported key type";
	}
	if (!rd_done(&r))
		return "junk after the public key";
	return NULL;
}

static EVP_PKEY *pkey_from_params(const char *alg, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *pkey = NULL;

	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto done;
	/* a point off the curve must not get as far as a verification */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!check || EVP_PKEY_public_check(check) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
done:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* An OpenSSL key for k, or NULL (OpenSSL's error queue cleared). */
static EVP_PKEY *pubkey_evp(const pubkey *k)
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	char group[] = "prime256v1";

	switch (k->kind) {
	case KEY_ED25519:
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
			k->a, k->a_len);
		break;
	case KEY_RSA:
		e = BN_bin2bn(k->a, (int)k->a_len, NULL);
		n = BN_bin2bn(k->b, (int)k->b_len, NULL);
		bld = OSSL_PARAM_BLD_new();
		if (!e || !n || !bld ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
		    !(params = OSSL_PARAM_BLD_to_param(bld)))
			break;
		pkey = pkey_from_params("RSA", params);
		break;
	case KEY_ECDSA_P256: {
		OSSL_PARAM p[3];

		p[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
		p[1] = OSSL_PARAM_construct_octet_string(
			OSSL_PKEY_PARAM_PUB_KEY, (void *)k->a, k->a_len);
		p[2] = OSSL_PARAM_construct_end();
		pkey = pkey_from_params("EC", p);
		break;
	}
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return pkey;
}

/* Append "TYPE BASE64" of a parsed blob. */
static void pubkey_format(crq_buf *out, const pubkey *k,
	const unsigned char *blob, size_t n)
{
	crq_buf_puts(out, k->type);
	crq_buf_putc(out, ' ');
	b64_encode(out, blob, n);
}

/* Decode base64 text into a fresh buffer (freed by the caller). */
static unsigned char *b64_decode_alloc(const char *s, size_t n,
	size_t *out_len)
{
	unsigned char *p = crq__malloc(n / 4 * 3 + 1);

	if (b64_decode(p, out_len, s, n) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

int crq_ssh_pubkey_canonical(crq_buf *out, const char *line)
{
	const char *type, *b64, *e;
	size_t type_len, b64_len, blob_len = 0;
	unsigned char *blob = NULL;
	const char *why;
	EVP_PKEY *pkey = NULL;
	pubkey k;
	int err = 0;

	type = line + strspn(line, " \t");
	type_len = strcspn(type, " \t\r\n");
	b64 = type + type_len;
	e = b64 + strspn(b64, " \t");
	if (!type_len || e == b64) {
		err = crq_error__set(CRQ_EINVALID, "invalid SSH public key "
			"'%.60s': expected \"TYPE BASE64 [comment]\"", line);
		goto done;
	}
	b64 = e;
	b64_len = strcspn(b64, " \t\r\n");
	e = b64 + b64_len;
	/* a comment follows a blank; a line ends at its newline */
	if (*e == '\r')
		e++;
	if (*e == '\n' && e[1]) {
		err = crq_error__set(CRQ_EINVALID, "invalid SSH public key "
			"'%.60s': more than one line", line);
		goto done;
	}
	if (!(blob = b64_decode_alloc(b64, b64_len, &blob_len))) {
		err = crq_error__set(CRQ_EINVALID, "invalid SSH public key "
			"'%.60s': bad base64", line);
		goto done;
	}
	if ((why = pubkey_parse(&k, blob, blob_len))) {
		err = crq_error__set(CRQ_EINVALID, "invalid SSH public key "
			"'%.60s': %s", line, why);
		goto done;
	}
	if (strlen(k.type) != type_len || memcmp(k.type, type, type_len)) {
		err = crq_error__set(CRQ_EINVALID, "invalid SSH public key "
			"'%.60s': the key is of type '%s'", line, k.type);
		goto done;
	}
	if (!(pkey = pubkey_evp(&k))) {
		err = crq_error__set(CRQ_EINVALID, "invalid SSH public key "
			"'%.60s': not a valid %s key", line, k.type);
		goto done;
	}
	pubkey_format(out, &k, blob, blob_len);
done:
	EVP_PKEY_free(pkey);
	free(blob);
	return err;
}

/* ------------------------------------------------------------------ */
/* SSHSIG */

typedef struct {
	const unsigned char *pk, *ns, *reserved, *hash, *sig;
	size_t pk_len, ns_len, reserved_len, hash_len, sig_len;
} sshsig;

static const char *sshsig_parse(sshsig *s, const unsigned char *p, size_t n)
{
	reader r = { p, n, 0 };
	uint32_t version;

	if (n < 6 || memcmp(p, "SSHSIG", 6))
		return "no SSHSIG magic";
	r.off = 6;
	if (rd_u32(&r, &version) < 0)
		return "truncated";
	if (version != 1)
		return "unsupported version";
	if (rd_string(&r, &s->pk, &s->pk_len) < 0 ||
	    rd_string(&r, &s->ns, &s->ns_len) < 0 ||
	    rd_string(&r, &s->reserved, &s->reserved_len) < 0 ||
	    rd_string(&r, &s->hash, &s->hash_len) < 0 ||
	    rd_string(&r, &s->sig, &s->sig_len) < 0)
		return "truncated";
	if (!rd_done(&r))
		return "junk after the signature";
	return NULL;
}

static void sshsig_encode(crq_buf *out, const sshsig *s)
{
	crq_buf_put(out, "SSHSIG", 6);
	put_u32(out, 1);
	put_string(out, s->pk, s->pk_len);
	put_string(out, s->ns, s->ns_len);
	put_string(out, s->reserved, s->reserved_len);
	put_string(out, s->hash, s->hash_len);
	put_string(out, s->sig, s->sig_len);
}

/* What the key signs: the reserved field here is always empty. */
static int sshsig_signed_data(crq_buf *out, const char *ns, size_t ns_len,
	const char *hashalg, const char *payload, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const EVP_MD *type = strcmp(hashalg, "sha256") ? EVP_sha512() :
		EVP_sha256();

	if (EVP_Digest(payload, len, md, &md_len, type, NULL) != 1) {
		ERR_clear_error();
		return crq_error__set(CRQ_ESIGN, "cannot hash the payload");
	}
	crq_buf_put(out, "SSHSIG", 6);
	put_string(out, ns, ns_len);
	put_string(out, "", 0);
	put_cstring(out, hashalg);
	put_string(out, md, md_len);
	return 0;
}

static void armor_put(crq_buf *out, const unsigned char *blob, size_t n)
{
	crq_buf b64 = CRQ_BUF_INIT;
	size_t i, w;

	b64_encode(&b64, blob, n);
	crq_buf_puts(out, SIG_BEGIN);
	for (i = 0; i < b64.size; i += w) {
		w = b64.size - i < SIG_WRAP ? b64.size - i : SIG_WRAP;
		if (i)
			crq_buf_putc(out, '\n');
		crq_buf_put(out, b64.ptr + i, w);
	}
	crq_buf_puts(out, SIG_END);
	crq_buf_dispose(&b64);
}

/* Verify an SSH signature blob (string type + data) by k over data. */
static int sig_verify(const pubkey *k, const unsigned char *sig,
	size_t sig_len, const unsigned char *data, size_t n)
{
	reader r = { sig, sig_len, 0 };
	const unsigned char *t, *s, *rr, *ss;
	size_t tn, sn, rn, ssn;
	const EVP_MD *md = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *mctx = NULL;
	ECDSA_SIG *ec = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	int der_len, err = 0;

	if (rd_string(&r, &t, &tn) < 0 || rd_string(&r, &s, &sn) < 0 ||
	    !rd_done(&r)) {
		err = crq_error__set(CRQ_ESIGN,
			"malformed SSH signature: bad signature encoding");
		goto done;
	}
	switch (k->kind) {
	case KEY_ED25519:
		if (!eq(t, tn, "ssh-ed25519") || sn != 64)
			goto bad_type;
		break;
	case KEY_RSA:
		/* ssh-rsa signatures use SHA-1: refused, as OpenSSH does */
		if (eq(t, tn, "rsa-sha2-512"))
			md = EVP_sha512();
		else if (eq(t, tn, "rsa-sha2-256"))
			md = EVP_sha256();
		else
			goto bad_type;
		break;
	case KEY_ECDSA_P256:
		if (!eq(t, tn, "ecdsa-sha2-nistp256"))
			goto bad_type;
		md = EVP_sha256();
		r = (reader){ s, sn, 0 };
		if (rd_string(&r, &rr, &rn) < 0 ||
		    rd_string(&r, &ss, &ssn) < 0 || !rd_done(&r) ||
		    !mpint_positive(rr, rn) || !mpint_positive(ss, ssn) ||
		    rn > 33 || ssn > 33) {
			err = crq_error__set(CRQ_ESIGN, "malformed SSH "
				"signature: bad ECDSA signature encoding");
			goto done;
		}
		break;
	}
	if (!(pkey = pubkey_evp(k))) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
			"invalid %s public key", k->type);
		goto done;
	}
	if (k->kind == KEY_RSA && sn != (size_t)EVP_PKEY_get_size(pkey)) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
			"RSA signature of the wrong length");
		goto done;
	}
	if (k->kind == KEY_ECDSA_P256) {
		ec = ECDSA_SIG_new();
		br = BN_bin2bn(rr, (int)rn, NULL);
		bs = BN_bin2bn(ss, (int)ssn, NULL);
		if (!ec || !br || !bs || !ECDSA_SIG_set0(ec, br, bs))
			goto bad_sig;
		br = bs = NULL;
		if ((der_len = i2d_ECDSA_SIG(ec, &der)) <= 0)
			goto bad_sig;
		s = der;
		sn = (size_t)der_len;
	}
	mctx = EVP_MD_CTX_new();
	if (!mctx || EVP_DigestVerifyInit(mctx, NULL, md, NULL, pkey) != 1 ||
	    EVP_DigestVerify(mctx, s, sn, data, n) != 1)
		goto bad_sig;
	goto done;
bad_type:
	err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
		"signature type '%.*s' does not fit a %s key",
		(int)(tn > 40 ? 40 : tn), (const char *)t, k->type);
	goto done;
bad_sig:
	err = crq_error__set(CRQ_ESIGN, "signature does not match");
done:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	ECDSA_SIG_free(ec);
	BN_free(br);
	BN_free(bs);
	OPENSSL_free(der);
	return err;
}

/* Printable form of an untrusted short string for messages. */
static void quote_bytes(char *dst, size_t size, const unsigned char *p,
	size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < size; i++)
		dst[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[o] = '\0';
}

int crq_sshsig_verify(const char *armor, size_t armor_len,
	const char *payload, size_t len, const char *namespace_,
	crq_buf *pubkey_out)
{
	size_t blen = strlen(SIG_BEGIN), elen = strlen(SIG_END);
	size_t n = armor_len, i, blob_len = 0;
	crq_buf b64 = CRQ_BUF_INIT, again = CRQ_BUF_INIT;
	crq_buf tbs = CRQ_BUF_INIT;
	unsigned char *blob = NULL;
	const char *why;
	char shown[64], hashalg[8];
	sshsig s;
	pubkey k;
	int err = 0;

	/* how a signature is cut out of a commit header decides whether
	 * it ends in a newline: one is allowed, it is not signed data */
	if (n && armor[n - 1] == '\n')
		n--;
	if (n < blen + elen || memcmp(armor, SIG_BEGIN, blen) ||
	    memcmp(armor + n - elen, SIG_END, elen)) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
			"not an armored SSH signature");
		goto done;
	}
	for (i = blen; i < n - elen; i++)
		if (armor[i] != '\n')
			crq_buf_putc(&b64, armor[i]);
	if (!(blob = b64_decode_alloc(crq_buf_cstr(&b64), b64.size,
	    &blob_len))) {
		err = crq_error__set(CRQ_ESIGN,
			"malformed SSH signature: bad base64");
		goto done;
	}
	if ((why = sshsig_parse(&s, blob, blob_len))) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: %s",
			why);
		goto done;
	}
	/* one spelling only: the blob and its armor must be exactly what
	 * ssh-keygen would write for them */
	sshsig_encode(&again, &s);
	if (again.size != blob_len || memcmp(again.ptr, blob, blob_len)) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
			"blob is not canonical");
		goto done;
	}
	crq_buf_clear(&again);
	armor_put(&again, blob, blob_len);
	if (again.size != n || memcmp(again.ptr, armor, n)) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
			"armor is not canonical (base64 lines of 70 columns, "
			"nothing after the END line)");
		goto done;
	}
	if (s.reserved_len) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
			"reserved field is not empty");
		goto done;
	}
	if (!eq(s.hash, s.hash_len, "sha512") &&
	    !eq(s.hash, s.hash_len, "sha256")) {
		quote_bytes(shown, sizeof(shown), s.hash, s.hash_len);
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: "
			"unsupported hash algorithm '%s'", shown);
		goto done;
	}
	memcpy(hashalg, s.hash, s.hash_len);
	hashalg[s.hash_len] = '\0';
	if (!eq(s.ns, s.ns_len, namespace_)) {
		quote_bytes(shown, sizeof(shown), s.ns, s.ns_len);
		err = crq_error__set(CRQ_ESIGN, "SSH signature is for "
			"namespace '%s', not '%s'", shown, namespace_);
		goto done;
	}
	if ((why = pubkey_parse(&k, s.pk, s.pk_len))) {
		err = crq_error__set(CRQ_ESIGN, "malformed SSH signature: %s",
			why);
		goto done;
	}
	if ((err = sshsig_signed_data(&tbs, (const char *)s.ns, s.ns_len,
	    hashalg, payload, len)) < 0)
		goto done;
	if ((err = sig_verify(&k, s.sig, s.sig_len,
	    (const unsigned char *)tbs.ptr, tbs.size)) < 0)
		goto done;
	if (pubkey_out)
		pubkey_format(pubkey_out, &k, s.pk, s.pk_len);
done:
	crq_buf_dispose(&b64);
	crq_buf_dispose(&again);
	crq_buf_dispose(&tbs);
	free(blob);
	return err;
}

/* ------------------------------------------------------------------ */
/* ssh-agent client */

/*
 * Connect to $SSH_AUTH_SOCK.  Returns 0 with *fd set, 1 when no agent
 * is configured, or an error.
 */
static int agent_connect(int *fd)
{
	const char *path = getenv("SSH_AUTH_SOCK");
	struct sockaddr_un sa;
	int s;

	*fd = -1;
	if (!path || !*path)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return crq_error__set(CRQ_ESIGN, "cannot connect to ssh-agent "
			"'%s': path too long", path);
	strcpy(sa.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return crq_error__set(CRQ_ESIGN, "cannot connect to ssh-agent "
			"'%s': %s", path, strerror(errno));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(s);
		return crq_error__set(CRQ_ESIGN, "cannot connect to ssh-agent "
			"'%s': %s", path, strerror(e));
	}
	*fd = s;
	return 0;
}

static int agent_io_error(const char *what)
{
	return crq_error__set(CRQ_ESIGN, "ssh-agent: %s", what);
}

/* Read exactly len bytes from the agent. */
static int agent_recv(int fd, void *buf, size_t len)
{
	size_t off;
	ssize_t n;

	for (off = 0; off < len; off += (size_t)n) {
		n = recv(fd, (char *)buf + off, len - off, 0);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return agent_io_error("connection closed");
	}
	return 0;
}

/* Send one request (type byte + body) and read the reply into resp. */
static int agent_call(int fd, const crq_buf *req, crq_buf *resp)
{
	crq_buf msg = CRQ_BUF_INIT;
	unsigned char hdr[4];
	size_t off, want;
	ssize_t n;
	int err = 0;

	put_u32(&msg, (uint32_t)req->size);
	crq_buf_put(&msg, req->ptr, req->size);
	for (off = 0; off < msg.size; off += (size_t)n) {
		/* no SIGPIPE when the agent has gone away */
		n = send(fd, msg.ptr + off, msg.size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			err = crq_error__set(CRQ_ESIGN, "ssh-agent: cannot "
				"send a request: %s", strerror(errno));
			goto done;
		}
	}
	if ((err = agent_recv(fd, hdr, 4)) < 0)
		goto done;
	want = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
		(size_t)hdr[2] << 8 | hdr[3];
	if (want == 0 || want > AGENT_MAX) {
		err = agent_io_error("reply of a bad length");
		goto done;
	}
	crq_buf_clear(resp);
	crq_buf_grow(resp, want);
	if ((err = agent_recv(fd, resp->ptr, want)) < 0)
		goto done;
	resp->size = want;
	resp->ptr[want] = '\0';
done:
	crq_buf_dispose(&msg);
	return err;
}

/*
 * Does the agent hold the key with this blob?  *has = 1 or 0; returns 1
 * when no agent is configured, or an error.
 */
static int agent_has_key(int *has, const unsigned char *blob, size_t n)
{
	crq_buf req = CRQ_BUF_INIT, resp = CRQ_BUF_INIT;
	const unsigned char *kb, *comment;
	size_t kn, cn;
	uint32_t count, i;
	reader r;
	int fd, err;

	*has = 0;
	if ((err = agent_connect(&fd)) != 0)
		return err;
	crq_buf_putc(&req, AGENTC_REQUEST_IDENTITIES);
	if ((err = agent_call(fd, &req, &resp)) < 0)
		goto done;
	r = (reader){ (const unsigned char *)resp.ptr, resp.size, 1 };
	if (resp.ptr[0] != AGENT_IDENTITIES_ANSWER || rd_u32(&r, &count) < 0) {
		err = agent_io_error("cannot list keys");
		goto done;
	}
	for (i = 0; i < count; i++) {
		if (rd_string(&r, &kb, &kn) < 0 ||
		    rd_string(&r, &comment, &cn) < 0) {
			err = agent_io_error("malformed list of keys");
			goto done;
		}
		if (kn == n && !memcmp(kb, blob, n))
			*has = 1;
	}
done:
	close(fd);
	crq_buf_dispose(&req);
	crq_buf_dispose(&resp);
	return err;
}

/* Have the agent sign data; the signature blob goes to sig. */
static int agent_sign(crq_buf *sig, const crq_signer *s,
	const unsigned char *data, size_t n)
{
	crq_buf req = CRQ_BUF_INIT, resp = CRQ_BUF_INIT;
	const unsigned char *p;
	unsigned char type;
	size_t pn;
	reader r;
	int fd, err;

	if ((err = agent_connect(&fd)) != 0) {
		if (err == 1)
			err = crq_error__set(CRQ_ESIGN, "cannot sign with "
				"'%s': SSH_AUTH_SOCK is not set", s->pubkey);
		return err;
	}
	crq_buf_putc(&req, AGENTC_SIGN_REQUEST);
	put_string(&req, s->blob, s->blob_len);
	put_string(&req, data, n);
	/* rsa-sha2-512, as `ssh-keygen -Y sign` asks for */
	put_u32(&req, s->kind == KEY_RSA ? AGENT_RSA_SHA2_512 : 0);
	if ((err = agent_call(fd, &req, &resp)) < 0)
		goto done;
	r = (reader){ (const unsigned char *)resp.ptr, resp.size, 1 };
	type = (unsigned char)resp.ptr[0];
	if (type != AGENT_SIGN_RESPONSE) {
		err = crq_error__set(CRQ_ESIGN, "ssh-agent refused to sign "
			"with '%s'%s", s->pubkey, type == AGENT_FAILURE ||
			type == AGENT2_FAILURE || type == AGENT_COM_FAILURE ?
			"" : " (unexpected reply)");
		goto done;
	}
	if (rd_string(&r, &p, &pn) < 0 || !rd_done(&r)) {
		err = agent_io_error("malformed signature reply");
		goto done;
	}
	crq_buf_put(sig, (const char *)p, pn);
done:
	close(fd);
	crq_buf_dispose(&req);
	crq_buf_dispose(&resp);
	return err;
}

/* ------------------------------------------------------------------ */
/* ssh-keygen */

/* The first line of ssh-keygen's stderr that says something. */
static void keygen_reason(char *dst, size_t size, const crq_buf *err)
{
	const char *p = crq_buf_cstr((crq_buf *)err), *e;

	dst[0] = '\0';
	while (*p) {
		e = p + strcspn(p, "\n");
		/* "Signing data on standard input" is chatter */
		if (e > p && strncmp(p, "Signing ", 8)) {
			snprintf(dst, size, "%.*s", (int)(e - p), p);
			return;
		}
		p = *e ? e + 1 : e;
	}
	snprintf(dst, size, "no message");
}

/*
 * Run `ssh-keygen -Y sign -n git -f KEY` with payload on stdin; the
 * armored signature (with ssh-keygen's final newline) goes to out.  The
 * payload goes through a file, not a pipe, so that a child that dies
 * early cannot raise SIGPIPE in the caller and large payloads cannot
 * deadlock against its output.
 */
static int keygen_sign(crq_buf *out, const char *key, const char *payload,
	size_t len, const char *ns)
{
	char *argv[] = { (char *)"ssh-keygen", (char *)"-Y", (char *)"sign",
		(char *)"-n", (char *)ns, (char *)"-f", (char *)key, NULL };
	posix_spawn_file_actions_t fa;
	crq_buf errtext = CRQ_BUF_INIT;
	int in = -1, errfd = -1, pipefd[2] = { -1, -1 }, fa_ok = 0;
	int status, rc, err = 0;
	char reason[256];
	pid_t pid = -1;

	if ((in = crq__tmpfile_fd("crq-sign")) < 0 || (errfd = crq__tmpfile_fd("crq-sign")) < 0 ||
	    crq__write_all(in, payload, len) < 0 || lseek(in, 0, SEEK_SET) < 0 ||
	    pipe2(pipefd, O_CLOEXEC) < 0) {
		err = crq_error__set(CRQ_ESIGN, "cannot run ssh-keygen: %s",
			strerror(errno));
		goto done;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		err = crq_error__set(CRQ_ESIGN, "cannot run ssh-keygen: %s",
			strerror(rc));
		goto done;
	}
	fa_ok = 1;
	if ((rc = posix_spawn_file_actions_adddup2(&fa, in, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, errfd, 2)) != 0 ||
	    (rc = posix_spawnp(&pid, "ssh-keygen", &fa, NULL, argv,
	    environ)) != 0) {
		pid = -1;
		err = crq_error__set(CRQ_ESIGN, "cannot run ssh-keygen: %s",
			strerror(rc));
		goto done;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	if (crq__read_fd(pipefd[0], out, KEYGEN_OUT_MAX) < 0)
		err = crq_error__set(CRQ_ESIGN, "cannot read the output of "
			"ssh-keygen: %s", strerror(errno));
	while ((rc = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (rc < 0 && !err)
		err = crq_error__set(CRQ_ESIGN, "cannot wait for ssh-keygen: "
			"%s", strerror(errno));
	if (err)
		goto done;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (lseek(errfd, 0, SEEK_SET) < 0 ||
		    crq__read_fd(errfd, &errtext, 64 * 1024) < 0)
			crq_buf_clear(&errtext);
		keygen_reason(reason, sizeof(reason), &errtext);
		err = crq_error__set(CRQ_ESIGN, "ssh-keygen failed to sign "
			"with '%s': %s", key, reason);
	}
done:
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (in >= 0)
		close(in);
	if (errfd >= 0)
		close(errfd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	crq_buf_dispose(&errtext);
	return err;
}

/* ------------------------------------------------------------------ */
/* OpenSSH private keys (PROTOCOL.key) */

typedef struct {
	int encrypted;
	int kind;
	unsigned char *pub;		/* public key blob (malloc) */
	size_t pub_len;
	int has_seed;
	unsigned char seed[32];		/* unencrypted ed25519 only */
} privkey;

static void privkey_dispose(privkey *k)
{
	free(k->pub);
	OPENSSL_cleanse(k->seed, sizeof(k->seed));
	memset(k, 0, sizeof(*k));
}

/*
 * Parse the decoded openssh-key-v1 container.  Returns NULL or why it is
 * not a usable key.
 */
static const char *privkey_parse(privkey *k, const unsigned char *p,
	size_t n)
{
	reader r = { p, n, 0 }, priv;
	const unsigned char *cipher, *kdf, *kdfopt, *pub, *sec, *t;
	const unsigned char *pk, *sk, *comment;
	size_t cn, kn, kon, pn, sn, tn, pkn, skn, comn, i;
	uint32_t nkeys, check1, check2;
	unsigned char derived[32];
	size_t derived_len = sizeof(derived);
	EVP_PKEY *pkey = NULL;
	const char *why = NULL;
	pubkey pubk;

	if (n < sizeof(KEY_MAGIC) || memcmp(p, KEY_MAGIC, sizeof(KEY_MAGIC)))
		return "not an openssh-key-v1 key";
	r.off = sizeof(KEY_MAGIC);
	if (rd_string(&r, &cipher, &cn) < 0 || rd_string(&r, &kdf, &kn) < 0 ||
	    rd_string(&r, &kdfopt, &kon) < 0 || rd_u32(&r, &nkeys) < 0)
		return "truncated key file";
	if (nkeys != 1)
		return "key file does not hold exactly one key";
	if (rd_string(&r, &pub, &pn) < 0 || rd_string(&r, &sec, &sn) < 0 ||
	    !rd_done(&r))
		return "malformed key file";
	if ((why = pubkey_parse(&pubk, pub, pn)))
		return why;
	k->kind = pubk.kind;
	k->pub = crq__malloc(pn);
	memcpy(k->pub, pub, pn);
	k->pub_len = pn;
	if (!eq(cipher, cn, "none")) {
		k->encrypted = 1;
		return NULL;
	}
	if (!eq(kdf, kn, "none") || kon != 0)
		return "malformed key file";
	/* the unencrypted private section: padded to 8 bytes */
	priv = (reader){ sec, sn, 0 };
	if (sn % 8 || rd_u32(&priv, &check1) < 0 ||
	    rd_u32(&priv, &check2) < 0 || check1 != check2)
		return "malformed private section";
	if (rd_string(&priv, &t, &tn) < 0 || !eq(t, tn, pubk.type))
		return "private key type differs from the public key";
	if (pubk.kind != KEY_ED25519)
		return NULL;	/* ssh-keygen reads the rest */
	if (rd_string(&priv, &pk, &pkn) < 0 || pkn != 32 ||
	    rd_string(&priv, &sk, &skn) < 0 || skn != 64 ||
	    rd_string(&priv, &comment, &comn) < 0)
		return "malformed ed25519 private key";
	for (i = 0; priv.off < priv.len; i++, priv.off++)
		if (sec[priv.off] != (unsigned char)(i + 1) || i >= 8)
			return "bad padding in the private section";
	if (memcmp(pk, pubk.a, 32) || memcmp(sk + 32, pk, 32))
		return "ed25519 private key does not match its public key";
	/* the seed must give the public key we advertise */
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
	if (!pkey || EVP_PKEY_get_raw_public_key(pkey, derived,
	    &derived_len) != 1 || derived_len != 32 ||
	    memcmp(derived, pk, 32)) {
		why = "ed25519 private key does not match its public key";
		goto done;
	}
	memcpy(k->seed, sk, 32);
	k->has_seed = 1;
done:
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return why;
}

/*
 * Read and parse a private key file.  Every buffer that held private
 * bytes is wiped.  Returns 0, CRQ_ENOTFOUND for a missing file, or
 * CRQ_ESIGN.
 */
static int privkey_load(privkey *k, const char *path)
{
	char *text = NULL, *b64 = NULL;
	unsigned char *bin = NULL;
	size_t size = 0, b64_len = 0, bin_len = 0, cap = 0;
	const char *begin, *end, *why, *q;
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	memset(k, 0, sizeof(*k));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return crq_error__set(errno == ENOENT ? CRQ_ENOTFOUND :
			CRQ_ESIGN, "cannot read signing key '%s': %s", path,
			strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = crq_error__set(CRQ_ESIGN, "cannot read signing key "
			"'%s': %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		err = crq_error__set(CRQ_ESIGN, "cannot read signing key "
			"'%s': not a regular file", path);
		goto done;
	}
	/* as ssh and ssh-keygen: a key others can read is not used */
	if (st.st_uid == getuid() && (st.st_mode & 077)) {
		err = crq_error__set(CRQ_ESIGN, "permissions %04o for signing "
			"key '%s' are too open", (unsigned)(st.st_mode & 07777),
			path);
		goto done;
	}
	/* one fixed buffer: growing it would leave copies of the key */
	text = crq__malloc(KEY_MAX + 1);
	for (;;) {
		n = read(fd, text + size, KEY_MAX + 1 - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = crq_error__set(CRQ_ESIGN, "cannot read signing "
				"key '%s': %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		size += (size_t)n;
		if (size > KEY_MAX) {
			err = crq_error__set(CRQ_ESIGN, "signing key '%s' is "
				"larger than %d bytes", path, KEY_MAX);
			goto done;
		}
	}
	text[size] = '\0';
	if (strlen(text) != size || !(begin = strstr(text, KEY_BEGIN)) ||
	    !(end = strstr(begin, KEY_END))) {
		err = crq_error__set(CRQ_ESIGN, "signing key '%s' is not an "
			"OpenSSH private key (convert it with "
			"ssh-keygen -p -f)", path);
		goto done;
	}
	cap = (size_t)(end - begin);
	b64 = crq__malloc(cap + 1);
	for (q = begin + strlen(KEY_BEGIN); q < end; q++)
		if (!strchr(" \t\r\n", *q))
			b64[b64_len++] = *q;
	bin = crq__malloc(b64_len / 4 * 3 + 1);
	if (b64_decode(bin, &bin_len, b64, b64_len) < 0) {
		err = crq_error__set(CRQ_ESIGN, "signing key '%s' is not an "
			"OpenSSH private key: bad base64", path);
		goto done;
	}
	if ((why = privkey_parse(k, bin, bin_len))) {
		err = crq_error__set(CRQ_ESIGN, "signing key '%s' cannot be "
			"used: %s", path, why);
		goto done;
	}
done:
	if (err)
		privkey_dispose(k);
	if (text)
		OPENSSL_cleanse(text, KEY_MAX + 1);
	if (b64)
		OPENSSL_cleanse(b64, cap + 1);
	if (bin)
		OPENSSL_cleanse(bin, b64_len / 4 * 3 + 1);
	free(text);
	free(b64);
	free(bin);
	close(fd);
	return err;
}

/* ------------------------------------------------------------------ */
/* Signers */

static void signer_set_pub(crq_signer *s, const unsigned char *blob,
	size_t n)
{
	crq_buf b = CRQ_BUF_INIT;
	pubkey k;

	/* callers have parsed the blob already */
	pubkey_parse(&k, blob, n);
	s->kind = k.kind;
	s->blob = crq__malloc(n);
	memcpy(s->blob, blob, n);
	s->blob_len = n;
	pubkey_format(&b, &k, blob, n);
	s->pubkey = crq_buf_detach(&b);
}

/* Read the public key file path (one line) into blob form. */
static int read_pubkey_file(crq_buf *canon, const char *path)
{
	crq_buf text = CRQ_BUF_INIT;
	int err;

	if ((err = crq_buf_read_file(&text, path, 64 * 1024)) < 0) {
		if (err == CRQ_ENOTFOUND)
			err = crq_error__set(CRQ_ESIGN, "cannot read signing "
				"key '%s': %s", path, strerror(ENOENT));
		else
			err = crq_error__set(CRQ_ESIGN, "cannot read signing "
				"key '%s': %s", path, crq_error_last());
		goto done;
	}
	if ((err = crq_ssh_pubkey_canonical(canon, crq_buf_cstr(&text))) < 0)
		err = crq_error__set(CRQ_ESIGN, "signing key '%s': %s", path,
			crq_error_last());
done:
	crq_buf_dispose(&text);
	return err;
}

/* Blob of a canonical "TYPE BASE64" string. */
static unsigned char *canon_blob(const char *canon, size_t *n)
{
	const char *b64 = strchr(canon, ' ') + 1;

	return b64_decode_alloc(b64, strlen(b64), n);
}

/*
 * Set up s from the private key file path.  pub_expected (may be NULL)
 * is the blob the key must have (from a .pub file).
 */
static int open_private(crq_signer *s, const char *path,
	const unsigned char *pub_expected, size_t pub_len)
{
	privkey k;
	int has = 0, rc, err;

	if ((err = privkey_load(&k, path)) < 0)
		return err;
	if (pub_expected && (pub_len != k.pub_len ||
	    memcmp(pub_expected, k.pub, pub_len))) {
		err = crq_error__set(CRQ_ESIGN, "signing key '%s' does not "
			"match its public key '%s.pub'", path, path);
		goto done;
	}
	signer_set_pub(s, k.pub, k.pub_len);
	if (k.has_seed) {
		s->mode = MODE_ED25519;
		memcpy(s->seed, k.seed, sizeof(s->seed));
		goto done;
	}
	/* like ssh-keygen: a key the agent holds is signed by the agent */
	rc = agent_has_key(&has, k.pub, k.pub_len);
	if (rc == 0 && has) {
		s->mode = MODE_AGENT;
		goto done;
	}
	if (k.encrypted && rc < 0) {
		err = crq_error__prefix("signing key '%s' is encrypted and "
			"ssh-agent cannot be used", path);
		goto done;
	}
	if (k.encrypted) {
		err = crq_error__set(CRQ_ESIGN, "signing key '%s' is "
			"encrypted; add it to ssh-agent (ssh-add)", path);
		goto done;
	}
	s->mode = MODE_KEYGEN;
	s->path = crq__strdup(path);
done:
	privkey_dispose(&k);
	return err;
}

/* The agent must hold the key of s; otherwise explain. */
static int open_agent_only(crq_signer *s)
{
	int has = 0, rc;

	if ((rc = agent_has_key(&has, s->blob, s->blob_len)) < 0)
		return rc;
	if (rc == 1)
		return crq_error__set(CRQ_ESIGN, "cannot sign with '%s': no "
			"ssh-agent (SSH_AUTH_SOCK is not set)", s->pubkey);
	if (!has)
		return crq_error__set(CRQ_ESIGN, "ssh-agent does not hold "
			"signing key '%s'; add it with ssh-add", s->pubkey);
	s->mode = MODE_AGENT;
	return 0;
}

/* Expand a leading "~/" with $HOME, as git does for paths. */
static int expand_path(char **out, const char *key)
{
	const char *home;

	*out = NULL;
	if (strncmp(key, "~/", 2)) {
		*out = crq__strdup(key);
		return 0;
	}
	if (!(home = getenv("HOME")) || !*home)
		return crq_error__set(CRQ_ESIGN, "cannot expand signing key "
			"'%s': HOME is not set", key);
	*out = crq__malloc(strlen(home) + strlen(key));
	strcpy(*out, home);
	strcat(*out, key + 1);
	return 0;
}

static int open_pub_path(crq_signer *s, const char *path)
{
	crq_buf canon = CRQ_BUF_INIT;
	unsigned char *blob = NULL;
	size_t blob_len = 0;
	char *priv = NULL;
	int has = 0, rc, err;
	struct stat st;

	if ((err = read_pubkey_file(&canon, path)) < 0)
		goto done;
	blob = canon_blob(crq_buf_cstr(&canon), &blob_len);
	rc = agent_has_key(&has, blob, blob_len);
	if (rc == 0 && has) {
		signer_set_pub(s, blob, blob_len);
		s->mode = MODE_AGENT;
		goto done;
	}
	priv = crq__strndup(path, strlen(path) - 4);
	if (stat(priv, &st) < 0 && errno == ENOENT) {
		if (rc == 1)
			err = crq_error__set(CRQ_ESIGN, "cannot sign with "
				"'%s': no ssh-agent (SSH_AUTH_SOCK is not "
				"set) and no private key '%s'", path, priv);
		else if (rc == 0)
			err = crq_error__set(CRQ_ESIGN, "cannot sign with "
				"'%s': ssh-agent does not hold it and there "
				"is no private key '%s'", path, priv);
		else
			err = crq_error__prefix("cannot sign with '%s' (no "
				"private key '%s')", path, priv);
		goto done;
	}
	err = open_private(s, priv, blob, blob_len);
done:
	crq_buf_dispose(&canon);
	free(blob);
	free(priv);
	return err;
}

int crq_signer_open(crq_signer **out, const char *format, const char *key)
{
	crq_signer *s = NULL;
	crq_buf canon = CRQ_BUF_INIT;
	unsigned char *blob;
	size_t blob_len = 0, n;
	char *path = NULL;
	int err = 0;

	*out = NULL;
	if (!format || strcmp(format, "ssh")) {
		err = crq_error__set(CRQ_ESIGN, "gpg.format is '%s'; crq "
			"signs with ssh keys: set gpg.format=ssh",
			format ? format : "openpgp");
		goto done;
	}
	if (!key || !*key) {
		err = crq_error__set(CRQ_ESIGN, "no signing key: set "
			"user.signingkey to your ssh key");
		goto done;
	}
	s = crq__calloc(1, sizeof(*s));
	/* a literal key, as git takes it (the bare "ssh-" form is old) */
	if (!strncmp(key, "key::", 5) || !strncmp(key, "ssh-", 4)) {
		if (crq_ssh_pubkey_canonical(&canon, key + (*key == 'k' ?
		    5 : 0)) < 0) {
			err = crq_error__set(CRQ_ESIGN, "bad user.signingkey: "
				"%s", crq_error_last());
			goto done;
		}
		blob = canon_blob(crq_buf_cstr(&canon), &blob_len);
		signer_set_pub(s, blob, blob_len);
		free(blob);
		err = open_agent_only(s);
		goto done;
	}
	if ((err = expand_path(&path, key)) < 0)
		goto done;
	n = strlen(path);
	if (n > 4 && !strcmp(path + n - 4, ".pub"))
		err = open_pub_path(s, path);
	else
		err = open_private(s, path, NULL, 0);
	if (err == CRQ_ENOTFOUND)
		err = CRQ_ESIGN;
done:
	crq_buf_dispose(&canon);
	free(path);
	if (err) {
		crq_signer_free(s);
		return err;
	}
	*out = s;
	return 0;
}

const char *crq_signer_public_key(const crq_signer *s)
{
	return s->pubkey;
}

static int sign_ed25519(crq_buf *sig, const crq_signer *s,
	const unsigned char *data, size_t n)
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *mctx = NULL;
	unsigned char raw[64];
	size_t raw_len = sizeof(raw);
	int err = 0;

	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s->seed,
		sizeof(s->seed));
	mctx = EVP_MD_CTX_new();
	/* ed25519 hashes internally: no digest, one-shot only */
	if (!pkey || !mctx ||
	    EVP_DigestSignInit(mctx, NULL, NULL, NULL, pkey) != 1 ||
	    EVP_DigestSign(mctx, raw, &raw_len, data, n) != 1 ||
	    raw_len != 64) {
		err = crq_error__set(CRQ_ESIGN, "cannot sign with '%s': "
			"OpenSSL ed25519 signing failed", s->pubkey);
		goto done;
	}
	put_cstring(sig, "ssh-ed25519");
	put_string(sig, raw, raw_len);
done:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	return err;
}

int crq_signer_sign(crq_signer *s, crq_buf *out, const char *payload,
	size_t len)
{
	return crq_signer_sign_ns(s, out, payload, len, "git");
}

int crq_signer_sign_ns(crq_signer *s, crq_buf *out, const char *payload,
	size_t len, const char *ns)
{
	crq_buf tbs = CRQ_BUF_INIT, sig = CRQ_BUF_INIT, blob = CRQ_BUF_INIT;
	crq_buf pub = CRQ_BUF_INIT;
	sshsig ss;
	pubkey k;
	int err = 0;

	if (s->mode == MODE_KEYGEN) {
		if ((err = keygen_sign(&sig, s->path, payload, len, ns)) < 0)
			goto done;
		/* ssh-keygen ends with a newline; the armor does not */
		if (sig.size && sig.ptr[sig.size - 1] == '\n')
			sig.ptr[--sig.size] = '\0';
		if ((err = crq_sshsig_verify(crq_buf_cstr(&sig), sig.size,
		    payload, len, ns, &pub)) < 0) {
			err = crq_error__prefix("ssh-keygen made a bad "
				"signature with '%s'", s->path);
			goto done;
		}
		if (strcmp(crq_buf_cstr(&pub), s->pubkey)) {
			err = crq_error__set(CRQ_ESIGN, "ssh-keygen signed "
				"with '%s', not with '%s'", crq_buf_cstr(&pub),
				s->pubkey);
			goto done;
		}
		crq_buf_put(out, sig.ptr, sig.size);
		goto done;
	}
	if ((err = sshsig_signed_data(&tbs, ns, strlen(ns), "sha512",
	    payload, len)) < 0)
		goto done;
	if (s->mode == MODE_ED25519)
		err = sign_ed25519(&sig, s, (unsigned char *)tbs.ptr,
			tbs.size);
	else
		err = agent_sign(&sig, s, (unsigned char *)tbs.ptr, tbs.size);
	if (err < 0)
		goto done;
	pubkey_parse(&k, s->blob, s->blob_len);
	/* an agent is another process: trust only what verifies, in the
	 * form ssh-keygen would ask for */
	if (s->mode == MODE_AGENT) {
		reader r = { (unsigned char *)sig.ptr, sig.size, 0 };

		if ((k.kind == KEY_RSA && rd_expect(&r, "rsa-sha2-512") < 0) ||
		    sig_verify(&k, (unsigned char *)sig.ptr, sig.size,
		    (unsigned char *)tbs.ptr, tbs.size) < 0) {
			err = crq_error__set(CRQ_ESIGN, "ssh-agent returned a "
				"bad signature for '%s'", s->pubkey);
			goto done;
		}
	}
	ss = (sshsig){ .pk = s->blob, .pk_len = s->blob_len,
		.ns = (const unsigned char *)ns, .ns_len = strlen(ns),
		.reserved = (const unsigned char *)"", .reserved_len = 0,
		.hash = (const unsigned char *)"sha512", .hash_len = 6,
		.sig = (unsigned char *)sig.ptr, .sig_len = sig.size };
	sshsig_encode(&blob, &ss);
	armor_put(out, (unsigned char *)blob.ptr, blob.size);
done:
	crq_buf_dispose(&tbs);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&blob);
	crq_buf_dispose(&pub);
	return err;
}

void crq_signer_free(crq_signer *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->seed, sizeof(s->seed));
	free(s->pubkey);
	free(s->blob);
	free(s->path);
	free(s);
}
