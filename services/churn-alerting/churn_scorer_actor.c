/*  churn_scorer_actor - the scorer on a thread of its own (see
    churn_scorer_actor.h). */
#include "churn_scorer_actor.h"

#include <assert.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn_scorer.h"
#include "sp_error.h"
#include "sp_log.h"

#define S_ERROR_SIZE 512
#define S_NONE INT64_MIN                      /* no day close waiting in a slot */
#define S_APPLICATION "churn-alerting scorer" /* its PostgreSQL session's application_name */
#define S_RECONNECT_DELAY_MS 100              /* once running: one quick reconnect attempt */
#define S_RECONNECT_TIMEOUT_S 2               /* connect timeout once running */

/* Shared by the two threads: the service's (new, destroy, the hooks)
   and the actor's. The actor's own objects are in s_inside_t. */
struct _churn_scorer_actor_t {
    sp_service_t *service;              /* borrowed: config, time zone, metrics */
    uint32_t partitions;                /* partition count P */
    const churn_reference_t *reference; /* the model at the start (borrowed) */
    zactor_t *actor;                    /* the thread; NULL once stopped */
    zloop_t *loop;                      /* borrowed: the service's reactor (RETIRED) */
    bool reading;                       /* the pipe is a reader of loop */
    zlist_t *retired;                   /* models replaced, oldest first, until RETIRED */
    _Atomic int64_t *days;              /* [partitions]: latest day closed, S_NONE */
    _Atomic int64_t *told;              /* [partitions]: when the hook stored a day, zclock_usecs */
    atomic_bool woken;                  /* a WAKE is queued and not read yet */
    atomic_bool stopping;               /* the service stops: end the pass */
    churn_scorer_t *scorer;             /* the actor's, set before it signals (hooks) */
    bool started;                       /* the actor started (set before it signals) */
    char error[S_ERROR_SIZE];           /* why it did not (set before it signals) */
};

/* What lives on the actor's thread. */
typedef struct {
    churn_scorer_actor_t *shared; /* the shared half */
    zsock_t *pipe;                /* the actor's end of the pipe */
    sp_pg_t *pg;                  /* its own PostgreSQL connection */
    sp_redis_t *redis;            /* its own Redis connection */
    zloop_t *loop;                /* its own reactor */
    churn_scorer_t *scorer;       /* the scorer */
} s_inside_t;

/* ---------------------------------------------------------------- the thread */

static int s_inside_on_pipe (zloop_t *loop, zsock_t *pipe, void *arg);

/* Connects, makes the reactor and the scorer. Returns 0, or -1 with the
   reason in the shared error. */
static int
s_inside_start (s_inside_t *inside)
{
    churn_scorer_actor_t *shared = inside->shared;
    const sp_config_t *config = sp_service_config (shared->service);
    inside->pg = sp_pg_new (sp_config_string (config, "postgres"), S_APPLICATION);
    if (!inside->pg || sp_pg_connect (inside->pg) != 0) {
        sp_error_set (shared->error, sizeof shared->error,
                      "the scorer could not connect to postgresql: %s",
                      inside->pg ? sp_pg_error (inside->pg) : "out of memory");
        return -1;
    }
    /* like the service's: a lost connection is retried by the next query, quickly */
    sp_pg_set_retry (inside->pg, 1, S_RECONNECT_DELAY_MS, S_RECONNECT_DELAY_MS);
    sp_pg_set_connect_timeout (inside->pg, S_RECONNECT_TIMEOUT_S);
    char error[S_ERROR_SIZE] = "";
    inside->redis = sp_redis_new (sp_config_string (config, "redis"), NULL, error, sizeof error);
    if (!inside->redis || sp_redis_connect (inside->redis, error, sizeof error) != 0) {
        sp_error_set (shared->error, sizeof shared->error,
                      "the scorer could not connect to redis: %s", error);
        return -1;
    }
    inside->loop = zloop_new ();
    if (!inside->loop) {
        sp_error_set (shared->error, sizeof shared->error, "out of memory");
        return -1;
    }
    /* only $TERM ends it: the service's reactor stops on the signal, then
       stops this one */
    zloop_set_nonstop (inside->loop, true);
    inside->scorer = churn_scorer_new (shared->service, inside->pg, inside->redis, inside->loop,
                                       shared->partitions, shared->reference, &shared->stopping,
                                       &shared->woken, shared->error, sizeof shared->error);
    if (!inside->scorer)
        return -1;
    if (zloop_reader (inside->loop, inside->pipe, s_inside_on_pipe, inside) != 0) {
        sp_error_set (shared->error, sizeof shared->error, "could not read the scorer's pipe");
        return -1;
    }
    return 0;
}

static void
s_inside_stop (s_inside_t *inside)
{
    churn_scorer_destroy (&inside->scorer);
    zloop_destroy (&inside->loop);
    sp_redis_destroy (&inside->redis);
    sp_pg_destroy (&inside->pg);
}

/* WAKE: the day closes waiting in the slots go to the scorer. */
static void
s_inside_wake (s_inside_t *inside)
{
    churn_scorer_actor_t *shared = inside->shared;
    /* cleared first: a day stored after the slots are read sends another */
    atomic_store (&shared->woken, false);
    for (uint32_t partition = 0; partition < shared->partitions; partition++) {
        int64_t day = atomic_exchange (&shared->days[partition], S_NONE);
        if (day != S_NONE)
            churn_scorer_day_closed (inside->scorer, partition, day,
                                     atomic_load (&shared->told[partition]));
    }
}

/* A message on the pipe. Returns -1 on $TERM (the reactor ends). */
static int
s_inside_on_pipe (zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    s_inside_t *inside = (s_inside_t *) arg;
    zmsg_t *message = zmsg_recv (pipe);
    if (!message)
        return 0; /* interrupted: nothing read */
    char *command = zmsg_popstr (message);
    zframe_t *frame = zmsg_pop (message);
    void *pointer = NULL;
    if (frame && zframe_size (frame) == sizeof pointer)
        memcpy (&pointer, zframe_data (frame), sizeof pointer);
    zframe_destroy (&frame);
    zmsg_destroy (&message);
    if (!command)
        return 0;
    int rc = 0;
    if (strcmp (command, "$TERM") == 0)
        rc = -1;
    else if (strcmp (command, "WAKE") == 0)
        s_inside_wake (inside);
    else if (strcmp (command, "MODEL") == 0 && pointer) {
        churn_scorer_set_reference (inside->scorer, (const churn_reference_t *) pointer);
        zsock_send (pipe, "s", "RETIRED");
    }
    else
        sp_log_warn ("the scorer ignored a message it does not know", "command=\"%.32s\"", command);
    zstr_free (&command);
    return rc;
}

/* The actor's body: starts, signals, runs until $TERM. */
static void
s_actor (zsock_t *pipe, void *arg)
{
    s_inside_t inside = { .shared = (churn_scorer_actor_t *) arg, .pipe = pipe };
    churn_scorer_actor_t *shared = inside.shared;
    bool started = s_inside_start (&inside) == 0;
    shared->scorer = started ? inside.scorer : NULL;
    shared->started = started;
    zsock_signal (pipe, 0); /* zactor_new waits for it: the fields above are set */
    if (started)
        zloop_start (inside.loop);
    else
        while (true) { /* not started: waits for $TERM */
            char *command = zstr_recv (pipe);
            bool term = !command || strcmp (command, "$TERM") == 0;
            zstr_free (&command);
            if (term)
                break;
        }
    s_inside_stop (&inside);
}

/* ---------------------------------------------------------------- the service's side */

/* RETIRED on the service's reactor: the scorer took the next model, so
   the oldest replaced one is no longer used. */
static int
s_on_actor (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    churn_scorer_actor_t *self = (churn_scorer_actor_t *) arg;
    char *command = NULL;
    if (zsock_recv (reader, "s", &command) != 0 || !command)
        return 0;
    if (strcmp (command, "RETIRED") == 0) {
        churn_reference_t *retired = (churn_reference_t *) zlist_pop (self->retired);
        churn_reference_destroy (&retired);
    }
    zstr_free (&command);
    return 0;
}

churn_scorer_actor_t *
churn_scorer_actor_new (sp_service_t *service, uint32_t partitions,
                        const churn_reference_t *reference, char *error, size_t error_size)
{
    assert (service && partitions >= 1 && reference);
    churn_scorer_actor_t *self = (churn_scorer_actor_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->partitions = partitions;
    self->reference = reference;
    atomic_init (&self->woken, false);
    atomic_init (&self->stopping, false);
    self->days = calloc (partitions, sizeof *self->days);
    self->told = calloc (partitions, sizeof *self->told);
    self->retired = zlist_new ();
    if (!self->days || !self->told || !self->retired) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    for (uint32_t partition = 0; partition < partitions; partition++) {
        atomic_init (&self->days[partition], S_NONE);
        atomic_init (&self->told[partition], 0);
    }
    self->actor = zactor_new (s_actor, self);
    if (!self->actor) {
        sp_error_set (error, error_size, "could not start the scorer's thread");
        goto out_destroy;
    }
    if (!self->started) {
        sp_error_set (error, error_size, "%s", self->error);
        goto out_destroy;
    }
    self->loop = sp_service_loop (service);
    if (zloop_reader (self->loop, zactor_sock (self->actor), s_on_actor, self) != 0) {
        sp_error_set (error, error_size, "could not read the scorer's pipe");
        goto out_destroy;
    }
    self->reading = true;
    return self;

out_destroy:
    churn_scorer_actor_destroy (&self);
    return NULL;
}

void
churn_scorer_actor_destroy (churn_scorer_actor_t **self_p)
{
    assert (self_p);
    churn_scorer_actor_t *self = *self_p;
    if (!self)
        return;
    if (self->reading)
        zloop_reader_end (self->loop, zactor_sock (self->actor));
    atomic_store (&self->stopping, true);
    zactor_destroy (&self->actor); /* $TERM, then waits for the thread's end */
    self->scorer = NULL;
    while (self->retired && zlist_size (self->retired) > 0) {
        churn_reference_t *retired = (churn_reference_t *) zlist_pop (self->retired);
        churn_reference_destroy (&retired);
    }
    zlist_destroy (&self->retired);
    free (self->days);
    free (self->told);
    free (self);
    *self_p = NULL;
}

void
churn_scorer_actor_set_reference (churn_scorer_actor_t *self, const churn_reference_t *reference,
                                  churn_reference_t **retired_p)
{
    assert (self && reference && retired_p);
    churn_reference_t *retired = *retired_p;
    *retired_p = NULL;
    if (zsock_send (self->actor, "sp", "MODEL", reference) != 0) {
        /* not sent (out of memory): the scorer keeps the old model, freed at the end */
        sp_log_error ("could not hand the scorer the new health model", "revision=%" PRId64,
                      churn_reference_revision (reference));
        if (retired && zlist_push (self->retired, retired) != 0)
            sp_log_error ("could not keep the health model replaced: it is not freed",
                          "revision=%" PRId64, churn_reference_revision (retired));
        return;
    }
    if (retired && zlist_append (self->retired, retired) != 0)
        sp_log_error ("could not keep the health model replaced: it is not freed",
                      "revision=%" PRId64, churn_reference_revision (retired));
}

void
churn_scorer_actor_day_closed (churn_scorer_actor_t *self, uint32_t partition, int64_t day)
{
    assert (self && partition < self->partitions);
    atomic_store (&self->told[partition], zclock_usecs ()); /* for the debug log only */
    int64_t stored = atomic_load (&self->days[partition]);
    while ((stored == S_NONE || stored < day) &&
           !atomic_compare_exchange_weak (&self->days[partition], &stored, day))
        ;
    if (!atomic_exchange (&self->woken, true) && zstr_send (self->actor, "WAKE") != 0)
        atomic_store (&self->woken, false); /* the scoring timer scores it */
}

void
churn_scorer_actor_customer_added (churn_scorer_actor_t *self, uint32_t partition)
{
    assert (self && partition < self->partitions);
    if (self->scorer)
        churn_scorer_customer_added (self->scorer, partition);
}
