/*  incentive_outbox - the closed statements as an outbox stream
    ("incentive-statements", migration 0011): reading them back from
    PostgreSQL in sequence order, and their message on the wire
    (salespulse.IncentiveStatement, proto/incentive.proto) with topic
    "incentive.statement.<rep>". Used by incentive-calculator's publisher
    and by `salesctl statements` (history and --follow).
*/
#ifndef INCENTIVE_OUTBOX_H_INCLUDED
#define INCENTIVE_OUTBOX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "incentive.pb-c.h"
#include "sp_outbox.h"
#include "sp_pg.h"

/* Largest packed message accepted by a subscriber: a statement of
   100,000 lines. */
#define INCENTIVE_OUTBOX_MESSAGE_MAX (INT64_C (64) * 1024 * 1024)

/* Room for a topic: "incentive.statement." and a rep id. */
#define INCENTIVE_OUTBOX_TOPIC_SIZE 96

/* One stored statement (strings owned by the page's result: valid during
   the visit only). */
typedef struct {
    int64_t sequence;
    const char *rep_id;
    const char *period;
    const char *currency;
    int64_t net_payout;
    const char *document;
    int64_t closed_at_ms;
} incentive_outbox_row_t;

/* Hands over one stored statement. Returns 0, or -1 with the reason. */
typedef int (incentive_outbox_visit_fn) (void *arg, const incentive_outbox_row_t *row, char *error,
                                         size_t error_size);

/* What a page reads and to whom it hands the rows (the arg of
   incentive_outbox_page). */
typedef struct {
    incentive_outbox_visit_fn *visit;
    void *arg;
} incentive_outbox_reader_t;

/* sp_outbox_page_fn over incentive_statements; arg is an
   incentive_outbox_reader_t. */
int incentive_outbox_page (void *arg, sp_pg_t *pg, int64_t after, size_t limit, int64_t *last,
                           char *error, size_t error_size);

/* The topic of rep's statement into topic (INCENTIVE_OUTBOX_TOPIC_SIZE). */
void incentive_outbox_topic (const char *rep_id, char *topic);

/* The message of row, packed: malloc'd bytes (the caller frees) with
   their size in *size; NULL when out of memory. */
uint8_t *incentive_outbox_pack (const incentive_outbox_row_t *row, size_t *size);

#endif
