/*  churn_scorer_internal - what the two files of churn_scorer share
    (churn_scorer.c: the clocks, the evaluation of the settled partitions,
    day closes and the scorer's life; churn_scorer_batch.c: the scoring of
    one partition, its customers read, decided and written in batches and
    their alerts published): the scorer's struct, a day close's timings,
    and the helpers both call. For these files only; everything else uses
    churn_scorer.h.
*/
#ifndef CHURN_SCORER_INTERNAL_H_INCLUDED
#define CHURN_SCORER_INTERNAL_H_INCLUDED

#include "churn_scorer.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "churn_known.h"
#include "churn_rules.h"
#include "sp_notifier.h"
#include "sp_redis.h"
#include "sp_redis_pipeline.h"

#define CHURN_SCORER_INTERNAL_ERROR_SIZE 512
/* No day close pending, no clock (..._NONE in the comments below). */
#define CHURN_SCORER_INTERNAL_NONE INT64_MIN

/* Where a day close's time went, for its debug log (s_day_done): times
   are CLOCK_MONOTONIC microseconds (zclock_usecs), as other processes on
   the host read them (the benchmark's trigger times). */
typedef struct {
    int64_t told_us;  /* the handler applied the event that closed the day, 0: no close */
    int64_t woken_us; /* the scorer's thread took it */
    int64_t scan_us;  /* its partition's scan started, 0: not yet */
    int64_t write_us; /* its pass's first write began (what came before: deciding), 0: none */
    int64_t alert_us; /* its pass published its first alert, 0: none yet */
    size_t known;     /* customers whose stored state it knew (churn_known) */
    size_t read;      /* customers whose stored state it read from postgresql */
    int alerts;       /* alerts published */
} churn_scorer_internal_close_t;

struct _churn_scorer_t {
    sp_service_t *service;              /* borrowed: the service this runs in */
    sp_pg_t *pg;                        /* borrowed: the scorer's own connection */
    sp_redis_t *redis;                  /* borrowed: the scorer's own Redis connection */
    const atomic_bool *stopping;        /* borrowed: set when the pass should end, or NULL */
    const atomic_bool *waiting;         /* borrowed: set while a day close waits, or NULL */
    bool interrupted;                   /* this evaluation ended early (stopping) */
    uint32_t partitions;                /* partition count P */
    const sp_tz_t *tz;                  /* borrowed: the service's time zone */
    bool event_clock;                   /* --clock event */
    bool fixed;                         /* --as-of given */
    int64_t fixed_day;                  /* --as-of's day (stands for today) */
    const churn_reference_t *reference; /* borrowed: the model in force */
    churn_rules_settings_t settings;    /* its rules */
    sp_notifier_t *notifier;            /* timer, settled check, outbox, metrics */
    zloop_t *loop;                      /* borrowed: the scorer thread's reactor */
    int trigger;                        /* the day-close evaluation's timer, -1 when not armed */
    int trigger_attempts;               /* evaluations since a day close without its clock */
    bool triggered;                     /* this evaluation is a day close's: pending only */
    int64_t checked_at;                 /* when a day close last made a settled check, mono ms */
    int64_t *pending;                   /* [partitions]: the latest day a watermark entered and
                                           not scored yet, ..._NONE when none */
    int64_t *scored;                    /* [partitions]: the clock last scored in full, ..._NONE */
    bool *marked;                       /* [partitions]: may hold customers behind that clock */
    atomic_bool *added;                 /* [partitions]: a new customer (any thread sets it) */
    bool *yielded;                      /* [partitions]: its pass gave way to a day close */
    bool *ready;                        /* [partitions]: scratch, the day closes pending */
    int64_t *added_at;                  /* [partitions]: when added was last taken, mono ms,
                                           ..._NONE: not since the partition was scanned after */
    int64_t *clocks;                    /* [partitions]: scratch, the clocks read */
    int64_t full_at;                    /* when every partition was last scanned, mono ms */
    int64_t firing;                     /* alerts firing at the last count, -1: not counted */
    sp_redis_pipeline_t *pipeline;      /* the watermarks' round trip, reused */
    churn_known_t *known;               /* the states this scorer last wrote */
    churn_scorer_internal_close_t *closes; /* [partitions]: the day close pending's timings */
};

/* ------------------------------------------------------ churn_scorer.c */

/* A reply's bytes, or NULL when it is not a string (a missing key). */
const char *churn_scorer_internal_string (const sp_redis_reply_t *reply, size_t *length);

/* True when the pass should end now (the service stops): between
   transactions only, so what was committed is published. */
bool churn_scorer_internal_stopping (churn_scorer_t *self);

/* The same, or a day close waits to be scored (waiting): for the points
   of a pass where every alert it decided is out, so the waiting day
   close's alert does not wait for the writes of customers without one
   (a day close's are resumed after it, s_evaluate; the timer's wait for
   the next timer). */
bool churn_scorer_internal_yielding (churn_scorer_t *self);

/* ------------------------------------------------ churn_scorer_batch.c */

/* Scores every customer of partition behind clock, *published counting
   the alerts published. Returns 0, or -1 with the reason. */
int churn_scorer_internal_score_partition (churn_scorer_t *self, uint32_t partition, int64_t clock,
                                           int *published, char *error, size_t error_size);

#endif
