/*  sp_consumer_fetch - the one round trip of a read-then-write handler:
    the keys it declared in its begin hook (sp_consumer_view_want) are
    read with one MGET per 500 keys, all in one pipeline, and filled into
    the view, which is then ready for apply. The view itself does no I/O;
    this is the consumer's read of it (sp_consumer.c calls it once per
    run). Not thread-safe.
*/
#ifndef SP_CONSUMER_FETCH_H_INCLUDED
#define SP_CONSUMER_FETCH_H_INCLUDED

#include <stddef.h>

#include "sp_consumer_view.h"
#include "sp_redis.h"

/* Reads view's declared keys on redis, building the MGETs in pipeline
   (reset first, reused by the caller). Returns 0, or -1 with the reason:
   the view refused a declaration, Redis failed, or memory ran out. */
int sp_consumer_fetch (sp_consumer_view_t *view, sp_redis_t *redis, sp_redis_pipeline_t *pipeline,
                       char *error, size_t error_size);

#endif
