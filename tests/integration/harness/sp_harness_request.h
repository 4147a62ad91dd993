/*  sp_harness_request - hand-made requests to activity-ingest's ROUTER.

    Tests that check the framing, back-pressure or replies to several
    requests in flight talk to the service over a raw DEALER socket rather
    than through sp_ingest_client (which waits for each reply and resends).
    These build that socket and the request frame the same way for each.
*/
#ifndef SP_HARNESS_REQUEST_H_INCLUDED
#define SP_HARNESS_REQUEST_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "sp_event.h"

/* A DEALER connected to endpoint with linger 0 (nothing left queued at
   destroy); the caller owns it. NULL on failure. */
zsock_t *sp_harness_dealer (const char *endpoint);

/* A frame holding the packed IngestRequest request_id of count events
   (borrowed); the caller owns it. NULL when out of memory. */
zframe_t *sp_harness_request_frame (uint64_t request_id, sp_event_t **events, size_t count);

#endif
