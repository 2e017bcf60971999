/*
 * tls.c - libgit2's CA certificates are parsed when a TLS connection
 * needs them, not at git_libgit2_init.
 *
 * A libgit2 built with mbedTLS (Debian's) parses the whole system CA
 * bundle at init: some 140 certificates, 54 of the 91 million
 * instructions of a crq show.  crq fetches and pushes with the system
 * git (lib/transport.c), so libgit2 itself seldom opens a connection.
 *
 * The executable defines, and exports (see the Makefile), the four
 * mbedTLS functions below; the dynamic linker binds libgit2's calls to
 * them ahead of libmbedx509's.  libgit2's first certificate load, the
 * one its init makes, is only recorded: the chain stays empty and the
 * call says it succeeded.  mbedtls_ssl_setup, which libgit2 calls for
 * every TLS stream before its handshake, runs the recorded load first,
 * with the real function, so a connection is checked against the very
 * certificates it would have been.  A load that fails then leaves the
 * chain empty, which trusts no server: libgit2's own answer to a bundle
 * it cannot read.  Every other call goes straight to mbedTLS.
 *
 * When the real functions cannot be found, nothing is deferred (the
 * load runs at once, or fails and trusts nothing).  A libgit2 built
 * with OpenSSL, or without TLS, never calls these.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* mbedTLS's types stay opaque: this builds without its headers */
typedef struct mbedtls_x509_crt mbedtls_x509_crt;
typedef struct mbedtls_ssl_context mbedtls_ssl_context;
typedef struct mbedtls_ssl_config mbedtls_ssl_config;

int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
int mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path);
void mbedtls_x509_crt_free(mbedtls_x509_crt *crt);
int mbedtls_ssl_setup(mbedtls_ssl_context *ssl,
	const mbedtls_ssl_config *conf);

typedef int (*parse_fn)(mbedtls_x509_crt *, const char *);
typedef void (*free_fn)(mbedtls_x509_crt *);
typedef int (*setup_fn)(mbedtls_ssl_context *, const mbedtls_ssl_config *);

/* mbedTLS's own codes, for when it is not there to call */
#define X509_FILE_IO_ERROR (-0x2900)
#define SSL_FEATURE_UNAVAILABLE (-0x7080)

/*
 * The deferred load.  Held while it runs, so that a second stream's
 * setup waits for the chain to be whole.  Only libgit2's calls take
 * it: the calls mbedTLS makes into these while it loads (parse_path
 * calls parse_file for each file; a bad certificate is freed) pass.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int seen;		/* libgit2's first load has come */
static mbedtls_x509_crt *pending;	/* its chain, until it is loaded */
static parse_fn pending_parse;
static char *pending_where;

static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static int from_libgit2(const void *caller)
{
	Dl_info info;
	const char *base;

	if (!dladdr(caller, &info) || !info.dli_fname)
		return 0;
	base = strrchr(info.dli_fname, '/');
	base = base ? base + 1 : info.dli_fname;
	return !strncmp(base, "libgit2.", 8);
}

/* Run the deferred load, with lock held. */
static void load_pending(void)
{
	mbedtls_x509_crt *chain = pending;
	free_fn drop;

	if (!chain)
		return;
	pending = NULL;
	/* as libgit2 does when a load fails: no CA at all, not half of one
	 * (mbedtls_x509_crt_free leaves the chain as _init made it) */
	if (pending_parse(chain, pending_where) < 0 &&
	    (drop = (free_fn)real("mbedtls_x509_crt_free")))
		drop(chain);
	free(pending_where);
	pending_where = NULL;
}

static int load(const char *name, mbedtls_x509_crt *chain, const char *where,
	const void *caller)
{
	parse_fn parse = (parse_fn)real(name);
	int defer = 0;

	if (!parse)
		return X509_FILE_IO_ERROR;
	if (!from_libgit2(caller))
		return parse(chain, where);
	pthread_mutex_lock(&lock);
	if (!seen && real("mbedtls_ssl_setup") &&
	    (pending_where = strdup(where))) {
		pending = chain;
		pending_parse = parse;
		defer = 1;
	} else if (pending == chain) {
		load_pending();	/* keep the loads in their order */
	}
	seen = 1;
	pthread_mutex_unlock(&lock);
	return defer ? 0 : parse(chain, where);
}

int mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path)
{
	return load("mbedtls_x509_crt_parse_file", chain, path,
		__builtin_return_address(0));
}

int mbedtls_x509_crt_parse_path(mbedtls_x509_crt *chain, const char *path)
{
	return load("mbedtls_x509_crt_parse_path", chain, path,
		__builtin_return_address(0));
}

/* A chain libgit2 frees (new locations, git_libgit2_shutdown) has
 * nothing left to load. */
void mbedtls_x509_crt_free(mbedtls_x509_crt *crt)
{
	free_fn drop = (free_fn)real("mbedtls_x509_crt_free");

	if (from_libgit2(__builtin_return_address(0))) {
		pthread_mutex_lock(&lock);
		if (pending == crt) {
			pending = NULL;
			free(pending_where);
			pending_where = NULL;
		}
		pthread_mutex_unlock(&lock);
	}
	if (drop)
		drop(crt);
}

int mbedtls_ssl_setup(mbedtls_ssl_context *ssl,
	const mbedtls_ssl_config *conf)
{
	setup_fn setup = (setup_fn)real("mbedtls_ssl_setup");

	pthread_mutex_lock(&lock);
	load_pending();
	pthread_mutex_unlock(&lock);
	return setup ? setup(ssl, conf) : SSL_FEATURE_UNAVAILABLE;
}
