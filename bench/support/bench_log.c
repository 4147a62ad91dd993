/*  bench_log - loads a benchmark's event log with binary COPY (see
    bench_log.h).
*/
#include "bench_log.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_support.h"
#include "sp_event.h"
#include "sp_partition.h"

#include "activity-ingest/ingest_copy.h"
#include "activity-ingest/ingest_digest.h"

#define TEXT_SIZE 32 /* a partition number or a sequence as text */

/* COPYs the rows in copy (then empties it); 0 when all were stored. */
static int
s_copy_flush (const char *bench, sp_pg_t *pg, ingest_copy_t *copy)
{
    static const char sql[] =
        "COPY events (" INGEST_COPY_EVENT_COLUMN_LIST ") FROM STDIN (FORMAT binary)";
    size_t rows = ingest_copy_rows (copy), size = 0;
    const uint8_t *data = ingest_copy_finish (copy, &size);
    if (!data) {
        fprintf (stderr, "%s: out of memory building COPY rows\n", bench);
        return -1;
    }
    sp_pg_result_t *result = sp_pg_copy_in (pg, sql, data, size);
    int rc = sp_pg_result_ok (result) && sp_pg_result_affected (result) == (int64_t) rows ? 0 : -1;
    if (rc != 0)
        fprintf (stderr, "%s: COPY of %zu rows failed: %s\n", bench, rows,
                 sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    ingest_copy_reset (copy);
    return rc;
}

/* Sets head_sequence of every partition to heads[partition]. */
static int
s_set_heads (const char *bench, sp_pg_t *pg, const uint64_t *heads, uint32_t partitions)
{
    for (uint32_t partition = 0; partition < partitions; partition++) {
        char partition_text[TEXT_SIZE], head_text[TEXT_SIZE];
        snprintf (partition_text, sizeof partition_text, "%" PRIu32, partition);
        snprintf (head_text, sizeof head_text, "%" PRIu64, heads[partition]);
        const char *const values[] = { head_text, partition_text };
        sp_pg_result_t *result =
            sp_pg_exec (pg, "UPDATE event_partitions SET head_sequence = $1 WHERE partition = $2",
                        2, values, NULL, NULL);
        bool updated = sp_pg_result_ok (result) && sp_pg_result_affected (result) == 1;
        if (!updated)
            fprintf (stderr, "%s: could not set the head of partition %" PRIu32 ": %s\n", bench,
                     partition, sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        if (!updated)
            return -1;
    }
    return 0;
}

int
bench_log_load (const char *bench, sp_pg_t *pg, uint32_t partitions, size_t count,
                sp_harness_event_fn make_event, void *arg)
{
    assert (partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    uint64_t *heads = (uint64_t *) calloc (partitions, sizeof *heads);
    ingest_copy_t *copy = ingest_copy_new ();
    uint8_t *packed = NULL;
    size_t packed_room = 0;
    int64_t now_ms = bench_wall_ms ();
    int rc = -1;
    if (!heads || !copy)
        goto out_free;
    for (size_t index = 0; index < count; index++) {
        sp_event_t *event = make_event (index, arg);
        sp_event_error_t error;
        if (!event || sp_event_validate (event, NULL, &error) != 0) {
            fprintf (stderr, "%s: could not make event %zu: %s\n", bench, index,
                     event ? error.message : "out of memory");
            sp_event_destroy (&event);
            goto out_free;
        }
        size_t size = protobuf_c_message_get_packed_size (&event->base);
        if (size > packed_room) {
            uint8_t *grown = (uint8_t *) realloc (packed, size);
            if (!grown) {
                sp_event_destroy (&event);
                goto out_free;
            }
            packed = grown;
            packed_room = size;
        }
        protobuf_c_message_pack (&event->base, packed);
        uint8_t hash[INGEST_DIGEST_SIZE];
        ingest_digest_sha256 (packed, size, hash);
        const char *key = sp_event_partition_key (event);
        uint32_t partition = sp_partition_of (key, strlen (key), partitions);
        ingest_copy_event (copy, event, partition, ++heads[partition], now_ms, hash,
                           INGEST_DIGEST_SIZE, packed, size);
        sp_event_destroy (&event);
        if (ingest_copy_rows (copy) == BENCH_LOG_COPY_CHUNK && s_copy_flush (bench, pg, copy) != 0)
            goto out_free;
    }
    if (ingest_copy_rows (copy) > 0 && s_copy_flush (bench, pg, copy) != 0)
        goto out_free;
    if (s_set_heads (bench, pg, heads, partitions) != 0)
        goto out_free;
    rc = bench_exec (bench, pg, "VACUUM (ANALYZE) events");

out_free:
    free (packed);
    ingest_copy_destroy (&copy);
    free (heads);
    return rc;
}
