/*  ingest_digest - SHA-256 of a packed event (see ingest_digest.h).

    libsodium's crypto_hash_sha256, the library CZMQ's CURVE security
    already brings, rather than a transcription of FIPS 180-4 of our own:
    one less piece of cryptography to get right and keep. The digests are
    the same (the FIPS 180-4 vectors in tests/unit/activity-ingest/).

    libsodium asks for sodium_init () before any other call; it is run
    once, on the first digest, whichever thread computes it (pthread_once).
    SHA-256 itself needs nothing it sets up (it picks implementations of
    other primitives and seeds the random number generator; SHA-256 has
    one portable implementation, see libsodium's sodium/core.c).
*/
#include "ingest_digest.h"

#include <assert.h>
#include <pthread.h>
#include <sodium.h>

_Static_assert(INGEST_DIGEST_SIZE == crypto_hash_sha256_BYTES,
               "INGEST_DIGEST_SIZE is the size of a SHA-256 digest");

/* Stands in for a NULL data pointer when hashing zero bytes. */
static const unsigned char s_empty[1] = { 0 };

static pthread_once_t s_sodium_once = PTHREAD_ONCE_INIT;

static void
s_sodium_init (void)
{
    /* 0, or 1 when CZMQ or libzmq ran it already; -1 only when libsodium
       cannot take its own statically initialised mutex */
    int rc = sodium_init ();
    assert (rc >= 0);
    (void) rc;
}

void
ingest_digest_sha256 (const void *data, size_t size, uint8_t digest[INGEST_DIGEST_SIZE])
{
    assert (data || size == 0);
    assert (digest);
    pthread_once (&s_sodium_once, s_sodium_init);
    int rc = crypto_hash_sha256 (digest, data ? (const unsigned char *) data : s_empty,
                                 (unsigned long long) size);
    assert (rc == 0); /* crypto_hash_sha256 cannot fail */
    (void) rc;
}
