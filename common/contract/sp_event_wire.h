/*  sp_event_wire - the rules only the wire form of a SalesEvent can break.

    protobuf-c unpacks a string into a NUL-terminated C string, so a
    string with a NUL byte on the wire ("ab\0cd") reaches sp_event_validate
    as "ab" and would be judged, stored and hashed as a value the publisher
    never sent (an event_id "nul:2\0/evil" would pass the charset rule as
    "nul:2"). JSON and CSV refuse such a string while converting it; this
    is the same refusal for the packed bytes: BAD_CHARSET, `field
    "customer_id": contains a NUL character`, the field named by its JSON
    path ("product", "amount.currency", "splits[1].rep_id": body fields sit
    at the top level, as in JSON).

    A field the event or one of its sub-messages does not define is refused
    too (UNKNOWN_FIELD, `unknown field number 77 in salespulse.SalesEvent`,
    `field "amount": unknown field number 3 in salespulse.Money`): protobuf-c
    would keep it verbatim, pack it again, and so store it and change the
    event's content hash (a second send with another unknown field would
    read as a conflict), while no service can read it. proto3 lets a
    sender add fields; activity-ingest is where such an event is refused
    rather than stored half understood. Adding a field to event.proto
    makes it known.

    activity-ingest runs it on each event's own bytes, before
    sp_event_validate. No I/O.
*/
#ifndef SP_EVENT_WIRE_H_INCLUDED
#define SP_EVENT_WIRE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "sp_event.h"

/* Checks the packed SalesEvent (size bytes at data, NULL only when size
   is 0) as it was sent. Returns 0 when it breaks no wire rule (*error
   untouched), -1 with *error filled (error may be NULL) for the first, in
   wire order, string holding a NUL byte (BAD_CHARSET) or field not
   defined (UNKNOWN_FIELD), or for bytes that are not a SalesEvent
   (MALFORMED). */
int sp_event_wire_validate (const uint8_t *data, size_t size, sp_event_error_t *error);

#endif
