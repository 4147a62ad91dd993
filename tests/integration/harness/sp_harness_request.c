/*  sp_harness_request - hand-made requests to activity-ingest's ROUTER
    (see sp_harness_request.h).
*/
#include "sp_harness_request.h"

#include "ingest.pb-c.h"

zsock_t *
sp_harness_dealer (const char *endpoint)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    zsock_set_linger (dealer, 0);
    if (zsock_connect (dealer, "%s", endpoint) != 0)
        zsock_destroy (&dealer);
    return dealer;
}

zframe_t *
sp_harness_request_frame (uint64_t request_id, sp_event_t **events, size_t count)
{
    Salespulse__IngestRequest request = SALESPULSE__INGEST_REQUEST__INIT;
    request.request_id = request_id;
    request.n_events = count;
    request.events = events;
    size_t size = protobuf_c_message_get_packed_size (&request.base);
    zframe_t *frame = zframe_new (NULL, size);
    if (frame)
        protobuf_c_message_pack (&request.base, zframe_data (frame));
    return frame;
}
