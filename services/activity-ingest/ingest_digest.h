/*  ingest_digest - SHA-256 of a packed event (libsodium's crypto_hash_sha256).

    The content hash stored with every event (events.content_hash,
    event_conflicts.content_hash) is the SHA-256 of the packed SalesEvent
    exactly as stored in payload, so `sha256(payload) = content_hash` holds
    in SQL too. Computed here rather than by PostgreSQL so the rows can be
    written with COPY and compared without a round trip. No I/O.
*/
#ifndef INGEST_DIGEST_H_INCLUDED
#define INGEST_DIGEST_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Bytes in a SHA-256 digest. */
#define INGEST_DIGEST_SIZE 32

/* Writes the SHA-256 of size bytes at data (data may be NULL when size is
   0) into digest. */
void ingest_digest_sha256 (const void *data, size_t size, uint8_t digest[INGEST_DIGEST_SIZE]);

#endif
