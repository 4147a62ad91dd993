/*  funnel_notifier - funnel-tracker's bottleneck notices, live (see
    funnel_notifier.h). */
#include "funnel_notifier.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnel_keys.h"
#include "funnel_notice.h"
#include "funnel_notice_store.h"
#include "sp_error.h"
#include "sp_log.h"
#include "sp_notifier.h"

#define S_ERROR_SIZE 512
#define S_HMGET_ARGS (2 + 2 * FUNNEL_STEPS_MAX) /* HMGET key sample:k converted:k ... */
#define S_SCORE_MAX 9007199254740992.0          /* 2^53: clock scores are exact below */

/* Scopes of one funnel: "company", then the scopes sets' members and the
   scopes of stored firing conditions, sorted and unique. */
typedef struct {
    char **items;    /* [count], malloc'd strings */
    size_t count;    /* scopes held */
    size_t capacity; /* room allocated */
} s_scopes_t;

/* The counts of one (scope, target) pair summed over partitions and days. */
typedef struct {
    uint64_t sample;    /* entities that reached the target's from step */
    uint64_t converted; /* of those, entities that reached the step */
} s_counts_t;

struct _funnel_notifier_t {
    sp_service_t *service;              /* borrowed: the service this runs in */
    const funnel_catalog_t *catalog;    /* borrowed: funnels and their targets */
    uint32_t partitions;                /* partition count P */
    uint32_t trailing_days;             /* days in the window */
    sp_notifier_t *notifier;            /* timer, settled check, outbox funnel-notices, metrics */
    sp_redis_pipeline_t *pipeline;      /* reused for every round trip */
    char (*days)[FUNNEL_KEYS_DAY_SIZE]; /* [trailing_days]: the window being read, oldest first */
};

/* ---------------------------------------------------------------- scopes */

static void
s_scopes_clear (s_scopes_t *scopes)
{
    for (size_t index = 0; index < scopes->count; index++)
        free (scopes->items[index]);
    free (scopes->items);
    memset (scopes, 0, sizeof *scopes);
}

/* Adds a copy of length bytes of text. Returns 0, or -1 out of memory. */
static int
s_scopes_add (s_scopes_t *scopes, const char *text, size_t length)
{
    if (scopes->count == scopes->capacity) {
        size_t capacity = scopes->capacity ? scopes->capacity * 2 : 32;
        char **items = (char **) realloc (scopes->items, capacity * sizeof *items);
        if (!items)
            return -1;
        scopes->items = items;
        scopes->capacity = capacity;
    }
    char *copy = strndup (text, length);
    if (!copy)
        return -1;
    scopes->items[scopes->count++] = copy;
    return 0;
}

static int
s_compare_text (const void *left, const void *right)
{
    return strcmp (*(char *const *) left, *(char *const *) right);
}

/* Sorts and removes duplicates. */
static void
s_scopes_unique (s_scopes_t *scopes)
{
    if (scopes->count == 0)
        return;
    qsort (scopes->items, scopes->count, sizeof scopes->items[0], s_compare_text);
    size_t kept = 1;
    for (size_t index = 1; index < scopes->count; index++) {
        if (strcmp (scopes->items[index], scopes->items[kept - 1]) == 0)
            free (scopes->items[index]);
        else
            scopes->items[kept++] = scopes->items[index];
    }
    scopes->count = kept;
}

/* ---------------------------------------------------------------- redis */

/* Runs the pipeline (then empties it). Returns the array reply, or NULL
   with the reason in error (connection failed). */
static sp_redis_reply_t *
s_execute (funnel_notifier_t *self, char *error, size_t error_size)
{
    sp_redis_reply_t *reply =
        sp_redis_execute (sp_service_redis (self->service), self->pipeline, error, error_size);
    sp_redis_pipeline_reset (self->pipeline);
    return reply;
}

/* Reads a reply holding a whole count 0..FUNNEL_NOTICE_COUNT_MAX (nil: 0). */
static int
s_reply_count (const sp_redis_reply_t *reply, uint64_t *value)
{
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_NIL) {
        *value = 0;
        return 0;
    }
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_STRING)
        return -1;
    size_t length = 0;
    const char *text = sp_redis_reply_string (reply, &length);
    if (length == 0 || length > 16)
        return -1;
    uint64_t number = 0;
    for (size_t index = 0; index < length; index++) {
        if (text[index] < '0' || text[index] > '9')
            return -1;
        number = number * 10 + (uint64_t) (text[index] - '0');
    }
    if (number > FUNNEL_NOTICE_COUNT_MAX)
        return -1;
    *value = number;
    return 0;
}

/* Reads a sorted-set score reply (nil: *found false) as whole ms. */
static int
s_reply_score (const sp_redis_reply_t *reply, bool *found, int64_t *value)
{
    *found = false;
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_NIL)
        return 0;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_STRING)
        return -1;
    const char *text = sp_redis_reply_string (reply, NULL);
    char *end = NULL;
    errno = 0;
    double score = strtod (text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite (score) ||
        fabs (score) > S_SCORE_MAX)
        return -1;
    *found = true;
    *value = (int64_t) score;
    return 0;
}

/* One round trip: every partition's clock and every funnel's scopes sets
   (added to scopes[funnel]). *latest gets the newest clock; *found false
   when no partition has one (no event applied yet). */
static int
s_read_clock_and_scopes (funnel_notifier_t *self, size_t funnels, s_scopes_t *scopes, bool *found,
                         int64_t *latest, char *error, size_t error_size)
{
    char key[FUNNEL_KEYS_SIZE];
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        funnel_keys_clock (key, sizeof key, partition);
        const char *argv[] = { "ZSCORE", key, FUNNEL_KEYS_CLOCK_MEMBER };
        if (sp_redis_pipeline_append (self->pipeline, 3, argv, NULL) != 0)
            goto out_memory;
    }
    for (size_t funnel = 0; funnel < funnels; funnel++) {
        const char *name =
            funnel_definition_name (funnel_catalog_definition (self->catalog, funnel));
        for (uint32_t partition = 0; partition < self->partitions; partition++) {
            if (funnel_keys_scopes (key, sizeof key, partition, name) < 0) {
                sp_error_set (error, error_size, "scopes key of funnel \"%s\" is too long", name);
                sp_redis_pipeline_reset (self->pipeline);
                return -1;
            }
            const char *argv[] = { "SMEMBERS", key };
            if (sp_redis_pipeline_append (self->pipeline, 2, argv, NULL) != 0)
                goto out_memory;
        }
    }
    sp_redis_reply_t *reply = s_execute (self, error, error_size);
    if (!reply)
        return -1;
    int rc = -1;
    *found = false;
    size_t element = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        bool has = false;
        int64_t score = 0;
        if (s_reply_score (sp_redis_reply_element (reply, element++), &has, &score) != 0) {
            sp_error_set (error, error_size, "clock of partition %" PRIu32 " is not a score",
                          partition);
            goto out_destroy_reply;
        }
        if (has && (!*found || score > *latest)) {
            *latest = score;
            *found = true;
        }
    }
    for (size_t funnel = 0; funnel < funnels; funnel++)
        for (uint32_t partition = 0; partition < self->partitions; partition++) {
            const sp_redis_reply_t *members = sp_redis_reply_element (reply, element++);
            if (sp_redis_reply_type (members) != SP_REDIS_REPLY_ARRAY) {
                sp_error_set (error, error_size,
                              "scopes set of partition %" PRIu32 " could not be read", partition);
                goto out_destroy_reply;
            }
            for (size_t index = 0; index < sp_redis_reply_size (members); index++) {
                const sp_redis_reply_t *member = sp_redis_reply_element (members, index);
                if (sp_redis_reply_type (member) != SP_REDIS_REPLY_STRING)
                    continue;
                size_t length = 0;
                const char *text = sp_redis_reply_string (member, &length);
                funnel_scope_kind_t kind;
                const char *id;
                /* A member that is not a scope (binary, too long) is no
                   condition of ours: left out rather than failing all. */
                if (length != strlen (text) ||
                    funnel_keys_scope_parse (text, &kind, &id, NULL, 0) != 0)
                    continue;
                if (s_scopes_add (&scopes[funnel], text, length) != 0) {
                    sp_error_set (error, error_size, "out of memory reading scopes");
                    goto out_destroy_reply;
                }
            }
        }
    rc = 0;
out_destroy_reply:
    sp_redis_reply_destroy (&reply);
    return rc;

out_memory:
    sp_redis_pipeline_reset (self->pipeline);
    sp_error_set (error, error_size, "out of memory building a redis pipeline");
    return -1;
}

/* Sums the day hashes of one funnel: counts[scope * target_count + t]
   gets the sums over every partition and day of self->days (the window of
   these targets) for target t (step targets[t], 0-based). Round trips of
   at most FUNNEL_NOTIFIER_PIPELINE_MAX HMGETs. */
static int
s_read_counts (funnel_notifier_t *self, const char *funnel, const s_scopes_t *scopes,
               const size_t *targets, size_t target_count, s_counts_t *counts, char *error,
               size_t error_size)
{
    char fields[2 * FUNNEL_STEPS_MAX][FUNNEL_KEYS_FIELD_SIZE];
    const char *argv[S_HMGET_ARGS];
    char key[FUNNEL_KEYS_SIZE];
    argv[0] = "HMGET";
    argv[1] = key;
    for (size_t target = 0; target < target_count; target++) {
        funnel_keys_field (fields[2 * target], FUNNEL_KEYS_FIELD_SIZE, "sample",
                           targets[target] + 1);
        funnel_keys_field (fields[2 * target + 1], FUNNEL_KEYS_FIELD_SIZE, "converted",
                           targets[target] + 1);
        argv[2 + 2 * target] = fields[2 * target];
        argv[3 + 2 * target] = fields[2 * target + 1];
    }
    int argc = (int) (2 + 2 * target_count);
    size_t per_scope = (size_t) self->trailing_days * self->partitions;
    size_t total = scopes->count * per_scope;
    size_t sent = 0; /* commands whose replies were summed */
    while (sent < total) {
        size_t batch = total - sent;
        if (batch > FUNNEL_NOTIFIER_PIPELINE_MAX)
            batch = FUNNEL_NOTIFIER_PIPELINE_MAX;
        for (size_t command = sent; command < sent + batch; command++) {
            size_t scope = command / per_scope;
            size_t day = (command % per_scope) / self->partitions;
            uint32_t partition = (uint32_t) (command % self->partitions);
            if (funnel_keys_day (key, sizeof key, partition, funnel, scopes->items[scope],
                                 self->days[day]) < 0) {
                sp_redis_pipeline_reset (self->pipeline);
                sp_error_set (error, error_size, "day key of funnel \"%s\" is too long", funnel);
                return -1;
            }
            if (sp_redis_pipeline_append (self->pipeline, argc, argv, NULL) != 0) {
                sp_redis_pipeline_reset (self->pipeline);
                sp_error_set (error, error_size, "out of memory building a redis pipeline");
                return -1;
            }
        }
        sp_redis_reply_t *reply = s_execute (self, error, error_size);
        if (!reply)
            return -1;
        for (size_t command = sent; command < sent + batch; command++) {
            const sp_redis_reply_t *values = sp_redis_reply_element (reply, command - sent);
            size_t scope = command / per_scope;
            if (sp_redis_reply_type (values) != SP_REDIS_REPLY_ARRAY ||
                sp_redis_reply_size (values) != 2 * target_count) {
                sp_error_set (error, error_size,
                              "day hash of funnel \"%s\" scope \"%s\" could not be read", funnel,
                              scopes->items[scope]);
                sp_redis_reply_destroy (&reply);
                return -1;
            }
            for (size_t target = 0; target < target_count; target++) {
                uint64_t sample = 0, converted = 0;
                s_counts_t *sums = &counts[scope * target_count + target];
                if (s_reply_count (sp_redis_reply_element (values, 2 * target), &sample) != 0 ||
                    s_reply_count (sp_redis_reply_element (values, 2 * target + 1), &converted) !=
                        0 ||
                    sums->sample + sample > FUNNEL_NOTICE_COUNT_MAX ||
                    sums->converted + converted > FUNNEL_NOTICE_COUNT_MAX) {
                    sp_error_set (error, error_size,
                                  "day hash of funnel \"%s\" scope \"%s\" holds a count that "
                                  "is not a number in 0..10^15",
                                  funnel, scopes->items[scope]);
                    sp_redis_reply_destroy (&reply);
                    return -1;
                }
                sums->sample += sample;
                sums->converted += converted;
            }
        }
        sp_redis_reply_destroy (&reply);
        sent += batch;
    }
    return 0;
}

/* ---------------------------------------------------------------- notices */

/* Stores a transition and, when this instance wrote it, publishes it.
   Returns 1 when published (or stored but not sent: logged), 0 when
   another writer had stored it already, -1 when it could not be stored. */
static int
s_transition (funnel_notifier_t *self, funnel_notice_t *notice, char *error, size_t error_size)
{
    int written =
        funnel_notice_store_record (sp_service_pg (self->service), notice, error, error_size);
    if (written <= 0)
        return written;
    char topic[FUNNEL_NOTICE_TOPIC_SIZE];
    funnel_notice_topic (topic, sizeof topic, notice->scope);
    Salespulse__FunnelBottleneck message;
    funnel_notice_to_message (notice, &message);
    const char *state = funnel_notice_state_name (notice->state);
    /* the sequence travels inside the message (FunnelBottleneck field 1) */
    sp_notifier_publish (self->notifier, notice->sequence, state, topic, &message.base,
                         FUNNEL_NOTICE_MESSAGE_MAX);
    char scope[FUNNEL_KEYS_SCOPE_SIZE];
    sp_error_quote (notice->scope, scope, sizeof scope);
    sp_log_info ("funnel bottleneck",
                 "sequence=%" PRId64 " state=%s reason=%s funnel=%s step=%s "
                 "scope=\"%s\" observed_bp=%" PRIu32 " target_bp=%" PRIu32 " sample=%" PRIu64
                 " converted=%" PRIu64 " first_day=%s last_day=%s",
                 notice->sequence, state, funnel_notice_reason_name (notice->reason),
                 notice->funnel, notice->step, scope, notice->observed_bp, notice->target_bp,
                 notice->sample, notice->converted, notice->window.first_day,
                 notice->window.last_day);
    return 1;
}

/* True when the stored firing list holds (funnel, step, scope). */
static bool
s_stored_firing (const funnel_notice_list_t *stored, const char *funnel, const char *step,
                 const char *scope)
{
    for (size_t index = 0; index < stored->count; index++) {
        const funnel_notice_t *notice = &stored->items[index];
        if (strcmp (notice->funnel, funnel) == 0 && strcmp (notice->step, step) == 0 &&
            strcmp (notice->scope, scope) == 0)
            return true;
    }
    return false;
}

/* Sums the counts of every target of the funnel named name over its own
   window: targets with the same maturity_days share a window and are read
   together (usually all of a funnel's targets). counts[scope *
   target_count + t] and windows[t] get target t's sums and window. */
static int
s_read_windows (funnel_notifier_t *self, const funnel_definition_t *definition,
                const s_scopes_t *scopes, const size_t *targets, size_t target_count,
                int64_t latest, s_counts_t *counts, funnel_notice_window_t *windows, char *error,
                size_t error_size)
{
    const char *name = funnel_definition_name (definition);
    s_counts_t *group_counts = (s_counts_t *) calloc (scopes->count * target_count, sizeof *counts);
    if (!group_counts) {
        sp_error_set (error, error_size, "out of memory summing funnel \"%s\"", name);
        return -1;
    }
    int rc = -1;
    bool done[FUNNEL_STEPS_MAX] = { false };
    for (size_t first = 0; first < target_count; first++) {
        if (done[first])
            continue;
        uint32_t maturity =
            funnel_definition_step (definition, targets[first])->target.maturity_days;
        size_t group[FUNNEL_STEPS_MAX];   /* step indexes of the group's targets */
        size_t members[FUNNEL_STEPS_MAX]; /* their positions in targets */
        size_t group_count = 0;
        for (size_t target = first; target < target_count; target++)
            if (!done[target] &&
                funnel_definition_step (definition, targets[target])->target.maturity_days ==
                    maturity) {
                group[group_count] = targets[target];
                members[group_count++] = target;
                done[target] = true;
            }
        funnel_notice_window_t window;
        if (funnel_notice_window (sp_service_time_zone (self->service), latest, self->trailing_days,
                                  maturity, &window, self->days) != 0) {
            sp_error_set (error, error_size,
                          "newest event time %" PRId64 " ms has no window of %" PRIu32
                          " days ending %" PRIu32 " days before it in years 1..9999",
                          latest, self->trailing_days, maturity + 1);
            goto out_free;
        }
        memset (group_counts, 0, scopes->count * group_count * sizeof *group_counts);
        if (s_read_counts (self, name, scopes, group, group_count, group_counts, error,
                           error_size) != 0)
            goto out_free;
        for (size_t member = 0; member < group_count; member++) {
            windows[members[member]] = window;
            for (size_t scope = 0; scope < scopes->count; scope++)
                counts[scope * target_count + members[member]] =
                    group_counts[scope * group_count + member];
        }
    }
    rc = 0;
out_free:
    free (group_counts);
    return rc;
}

/* Judges every condition of the funnel at index, with latest the newest
   event's time. Adds the notices published to *published and the
   conditions firing now to *firing. */
static int
s_evaluate_funnel (funnel_notifier_t *self, size_t index, s_scopes_t *scopes,
                   const funnel_notice_list_t *stored, int64_t latest, int *published,
                   size_t *firing, char *error, size_t error_size)
{
    const funnel_definition_t *definition = funnel_catalog_definition (self->catalog, index);
    int64_t version = funnel_catalog_version (self->catalog, index);
    const char *name = funnel_definition_name (definition);
    size_t targets[FUNNEL_STEPS_MAX];
    size_t target_count = 0;
    size_t steps = funnel_definition_step_count (definition);
    for (size_t step = 0; step < steps; step++)
        if (funnel_definition_step (definition, step)->target.set)
            targets[target_count++] = step;

    /* A firing condition whose step no longer has a target (a new version
       of the funnel) is cleared with its last figures. */
    for (size_t row = 0; row < stored->count; row++) {
        const funnel_notice_t *last = &stored->items[row];
        if (strcmp (last->funnel, name) != 0)
            continue;
        bool judged = false;
        for (size_t target = 0; target < target_count; target++)
            if (strcmp (funnel_definition_step (definition, targets[target])->name, last->step) ==
                0)
                judged = true;
        if (judged) {
            if (s_scopes_add (scopes, last->scope, strlen (last->scope)) != 0) {
                sp_error_set (error, error_size, "out of memory reading scopes");
                return -1;
            }
            continue;
        }
        funnel_notice_t notice = *last;
        notice.sequence = 0;
        notice.created_at_ms = 0;
        notice.state = FUNNEL_NOTICE_CLEARED;
        notice.reason = FUNNEL_NOTICE_TARGET_REMOVED;
        notice.funnel_version = version;
        int rc = s_transition (self, &notice, error, error_size);
        if (rc < 0)
            return -1;
        *published += rc;
    }
    if (target_count == 0)
        return 0;
    s_scopes_unique (scopes);

    s_counts_t *counts = (s_counts_t *) calloc (scopes->count * target_count, sizeof *counts);
    if (!counts) {
        sp_error_set (error, error_size, "out of memory summing funnel \"%s\"", name);
        return -1;
    }
    int rc = -1;
    funnel_notice_window_t windows[FUNNEL_STEPS_MAX];
    if (s_read_windows (self, definition, scopes, targets, target_count, latest, counts, windows,
                        error, error_size) != 0)
        goto out_free_counts;
    for (size_t scope = 0; scope < scopes->count; scope++)
        for (size_t target = 0; target < target_count; target++) {
            const funnel_definition_step_t *step =
                funnel_definition_step (definition, targets[target]);
            const s_counts_t *sums = &counts[scope * target_count + target];
            funnel_notice_condition_t condition;
            funnel_notice_evaluate (&step->target, sums->sample, sums->converted, &condition);
            if (condition.state == FUNNEL_NOTICE_FIRING)
                (*firing)++;
            funnel_notice_state_t was =
                s_stored_firing (stored, name, step->name, scopes->items[scope])
                    ? FUNNEL_NOTICE_FIRING
                    : FUNNEL_NOTICE_CLEARED;
            if (funnel_notice_decide (was, condition.state) == FUNNEL_NOTICE_KEEP)
                continue;
            funnel_notice_t notice;
            if (funnel_notice_fill (&notice, definition, version, targets[target],
                                    scopes->items[scope], &condition, sums->sample, sums->converted,
                                    &windows[target]) != 0) {
                sp_error_set (error, error_size, "scope \"%s\" is too long", scopes->items[scope]);
                goto out_free_counts;
            }
            int transition = s_transition (self, &notice, error, error_size);
            if (transition < 0)
                goto out_free_counts;
            *published += transition;
        }
    rc = 0;
out_free_counts:
    free (counts);
    return rc;
}

/* sp_notifier_evaluate_fn: judges every condition of every funnel, once
   the results are settled (sp_notifier checked). */
static int
s_evaluate (void *arg, size_t *firing, char *error, size_t error_size)
{
    funnel_notifier_t *self = (funnel_notifier_t *) arg;
    int published = 0;
    size_t funnels = funnel_catalog_size (self->catalog);
    funnel_notice_list_t stored;
    funnel_notice_list_init (&stored);
    s_scopes_t *scopes = (s_scopes_t *) calloc (funnels ? funnels : 1, sizeof *scopes);
    int rc = -1;
    if (!scopes) {
        sp_error_set (error, error_size, "out of memory");
        goto out_free;
    }
    bool found = false;
    int64_t latest = 0;
    if (s_read_clock_and_scopes (self, funnels, scopes, &found, &latest, error, error_size) != 0)
        goto out_free;
    int64_t last_sequence = 0;
    if (funnel_notice_store_firing (sp_service_pg (self->service), &stored, &last_sequence, error,
                                    error_size) < 0)
        goto out_free;
    if (!found) {
        /* No event applied (or the state is being rebuilt): nothing is
           judged, and what fired stays as it was. */
        *firing = stored.count;
        rc = 0;
        goto out_free;
    }
    for (size_t funnel = 0; funnel < funnels; funnel++) {
        if (s_scopes_add (&scopes[funnel], "company", strlen ("company")) != 0) {
            sp_error_set (error, error_size, "out of memory");
            goto out_free;
        }
        if (s_evaluate_funnel (self, funnel, &scopes[funnel], &stored, latest, &published, firing,
                               error, error_size) != 0)
            goto out_free;
    }
    rc = published;

out_free:
    for (size_t funnel = 0; scopes && funnel < funnels; funnel++)
        s_scopes_clear (&scopes[funnel]);
    free (scopes);
    funnel_notice_list_clear (&stored);
    return rc;
}

int
funnel_notifier_evaluate (funnel_notifier_t *self)
{
    assert (self);
    return sp_notifier_evaluate (self->notifier);
}

/* ---------------------------------------------------------------- life */

funnel_notifier_t *
funnel_notifier_new (sp_service_t *service, const funnel_catalog_t *catalog, uint32_t partitions,
                     char *error, size_t error_size)
{
    assert (service && catalog && partitions >= 1);
    assert (sp_service_pg (service) && sp_service_redis (service));
    const sp_config_t *config = sp_service_config (service);
    funnel_notifier_t *self = (funnel_notifier_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    self->service = service;
    self->catalog = catalog;
    self->partitions = partitions;
    self->trailing_days = (uint32_t) sp_config_int (config, "trailing-days");
    int64_t interval_ms = sp_config_int (config, "notice-interval-ms");
    const char *endpoints = sp_config_string (config, "notices");
    self->pipeline = sp_redis_pipeline_new ();
    self->days = calloc (self->trailing_days, sizeof *self->days);
    if (!self->pipeline || !self->days) {
        sp_error_set (error, error_size, "out of memory");
        goto out_destroy;
    }
    sp_notifier_spec_t spec = {
        .stream = FUNNEL_NOTICE_STORE_STREAM,
        .consumer = FUNNEL_KEYS_SERVICE,
        .option = "notices",
        .noun = "notice",
        .nouns = "notices",
        .kind = "funnel notice",
        .kinds = "funnel notices",
        .published_metric = "salespulse_funnel_notices_published_total",
        .published_help = "funnel bottleneck notices published, by state",
        .evaluations_metric = "salespulse_funnel_notice_evaluations_total",
        .evaluations_help = "evaluations of the conversion targets",
        .errors_metric = "salespulse_funnel_notice_evaluation_errors_total",
        .deferred_metric = "salespulse_funnel_notice_evaluations_deferred_total",
        .firing_metric = "salespulse_funnel_bottlenecks_firing",
        .evaluate = s_evaluate,
        .arg = self,
    };
    self->notifier = sp_notifier_new (service, &spec, partitions, interval_ms, endpoints,
                                      FUNNEL_NOTIFIER_SEND_HWM, error, error_size);
    if (!self->notifier)
        goto out_destroy;
    sp_log_info ("publishing funnel notices",
                 "endpoint=\"%s\" interval_ms=%" PRId64 " trailing_days=%" PRIu32 " funnels=%zu",
                 sp_notifier_endpoint (self->notifier), interval_ms, self->trailing_days,
                 funnel_catalog_size (catalog));
    return self;

out_destroy:
    funnel_notifier_destroy (&self);
    return NULL;
}

void
funnel_notifier_destroy (funnel_notifier_t **self_p)
{
    assert (self_p);
    funnel_notifier_t *self = *self_p;
    if (!self)
        return;
    sp_notifier_destroy (&self->notifier);
    sp_redis_pipeline_destroy (&self->pipeline);
    free (self->days);
    free (self);
    *self_p = NULL;
}

const char *
funnel_notifier_endpoint (funnel_notifier_t *self)
{
    assert (self);
    return sp_notifier_endpoint (self->notifier);
}

void
funnel_notifier_set_catalog (funnel_notifier_t *self, const funnel_catalog_t *catalog,
                             int64_t revision)
{
    assert (self && catalog && revision >= 0);
    self->catalog = catalog;
    sp_notifier_set_revision (self->notifier, revision);
}
