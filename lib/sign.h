/*
 * sign.h - lib-internal interface of SSH signing and verification
 * (lib/sign.c): SSHSIG signatures as `ssh-keygen -Y sign -n git` makes
 * them, in-process (ed25519), through ssh-agent or through ssh-keygen.
 */
#ifndef CRQ_SIGN_H
#define CRQ_SIGN_H

#include "internal.h"

typedef struct crq_signer crq_signer;

/*
 * Open the signing key git would use for gpg.format=ssh and
 * user.signingkey=key.  format must be "ssh" (NULL means git's default,
 * openpgp, and is refused like "openpgp" and "x509").  key is one of:
 *  - a path to an OpenSSH private key ("~/" expanded with $HOME): an
 *    unencrypted ed25519 key signs in-process; other keys sign through
 *    ssh-agent when it holds them, else (unencrypted only) through
 *    `ssh-keygen -Y sign`;
 *  - a path to a public key ("....pub"): through ssh-agent, else with
 *    the private key next to it (the same path without ".pub");
 *  - "key::TYPE BASE64 [comment]" (or the older bare "ssh-..." form):
 *    through ssh-agent only.
 * All failures are CRQ_ESIGN.
 */
int crq_signer_open(crq_signer **out, const char *format, const char *key);
/* The public key, "TYPE BASE64" (no comment). */
const char *crq_signer_public_key(const crq_signer *s);
/*
 * Sign payload for namespace "git" and append the armored signature
 * ("-----BEGIN SSH SIGNATURE-----\n" ... "-----END SSH SIGNATURE-----",
 * base64 wrapped at 70 columns, no trailing newline) to out: the same
 * bytes `ssh-keygen -Y sign -n git` writes, without its final newline.
 * Signatures from ssh-agent and ssh-keygen are verified before use.
 */
int crq_signer_sign(crq_signer *s, crq_buf *out, const char *payload,
	size_t len);
/* The same for another namespace (crq-audit signs an export), e.g.
 * what `ssh-keygen -Y sign -n NAMESPACE` makes. */
int crq_signer_sign_ns(crq_signer *s, crq_buf *out, const char *payload,
	size_t len, const char *namespace_);
/* Wipe the private key bytes and free; NULL is fine. */
void crq_signer_free(crq_signer *s);

/*
 * Verify an armored SSH signature over payload for namespace_.  Only the
 * canonical form is accepted: the exact BEGIN and END lines, base64
 * wrapped at 70 columns, nothing after the END line but at most one
 * newline, a blob that re-encodes to the same bytes, version 1, an empty
 * reserved field, hash sha512 or sha256.  Key types: ssh-ed25519,
 * ssh-rsa (rsa-sha2-512 / rsa-sha2-256, at least 2048 bits) and
 * ecdsa-sha2-nistp256.  On success the signer's key "TYPE BASE64" is
 * appended to pubkey_out (may be NULL).  Failures are CRQ_ESIGN.
 */
int crq_sshsig_verify(const char *armor, size_t armor_len,
	const char *payload, size_t len, const char *namespace_,
	crq_buf *pubkey_out);

/*
 * Parse an authorized_keys-style line "TYPE BASE64 [comment]" into the
 * canonical "TYPE BASE64", appended to out.  The blob must name TYPE and
 * be well formed for the supported key types.  CRQ_EINVALID otherwise.
 */
int crq_ssh_pubkey_canonical(crq_buf *out, const char *line);

#endif
