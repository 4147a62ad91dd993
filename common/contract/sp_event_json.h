/*  sp_event_json - the JSON form of a sales event.

    The form publishers write and `salesctl publish` sends: one flat JSON
    object per event, body fields at top level next to the envelope, money
    as decimal strings in major units with one "currency" for the event,
    times as UTC milliseconds or RFC 3339 strings. docs/events.md is the
    reference; this file maps that form to and from sp_event_t.

    Reading runs sp_event_validate (without time bounds) before returning,
    so a reader gets a fully valid event or NULL and the first error. The
    order in which errors are found: JSON syntax (and UTF-8), then "type",
    then "currency", then every other key in the order it appears, then
    the rules of sp_event_validate.
*/
#ifndef SP_EVENT_JSON_H_INCLUDED
#define SP_EVENT_JSON_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sp_event.h"

/* Parses length bytes of JSON text holding one event object. Returns a new
   event (the caller destroys it with sp_event_destroy), or NULL with
   *error filled: INVALID_UTF8 when the text is not UTF-8 (field = the key
   whose value holds the bad bytes when there is one), MALFORMED with
   `invalid JSON at line L column C: ...` when it is not JSON, otherwise as
   sp_event_from_json_object. */
sp_event_t *sp_event_from_json (const char *text, size_t length, sp_event_error_t *error);

/* Maps a parsed JSON object to a valid event. Returns a new event, or NULL
   with *error filled. The object is borrowed and not modified. On success
   *error is untouched. */
sp_event_t *sp_event_from_json_object (const json_t *object, sp_event_error_t *error);

/* The JSON form of a valid event: money as decimal strings with the
   currency's decimals, occurred_at and planned_for as RFC 3339 UTC with
   milliseconds, split percent as an integer when whole else a decimal
   string. Keys in the order of docs/events.md. Returns a new reference, or
   NULL when the event breaks a rule of sp_event_validate or memory runs
   out. sp_event_from_json_object of the result equals the event whenever
   the event carries its body (an event without body comes back with an
   empty one). */
json_t *sp_event_to_json (const sp_event_t *event);

/* True when key is a top-level key of the JSON form of some event type
   ("type", "currency", an envelope key or a body key). */
bool sp_event_json_key_known (const char *key);

#endif
