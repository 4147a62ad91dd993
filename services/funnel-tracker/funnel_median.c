/*  funnel_median - exact medians over unions of sorted sets (see funnel_median.h). */
#include "funnel_median.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"

#define S_COMMANDS_PER_KEY 3             /* ZCARD, least, greatest */
#define S_NUMBER_SIZE 32                 /* an int64 in decimal */
#define S_SCORE_LIMIT 9007199254740992.0 /* 2^53: integers a score holds exactly */
#define S_KEYS_INITIAL 8

/* One group: the sorted sets whose union has one median. */
typedef struct {
    char **keys;      /* [count] malloc'd key names */
    size_t count;     /* keys added */
    size_t capacity;  /* room in keys */
    bool *non_empty;  /* [count] the set has members (after the first round) */
    uint64_t members; /* Σ ZCARD */
    int64_t low;      /* least score over the sets */
    int64_t high;     /* greatest score over the sets */
} s_group_t;

struct _funnel_median_t {
    s_group_t *groups;             /* [group_count] */
    size_t group_count;            /* groups */
    sp_redis_pipeline_t *pipeline; /* reused for every round */
};

funnel_median_t *
funnel_median_new (size_t group_count)
{
    assert (group_count >= 1);
    funnel_median_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->groups = calloc (group_count, sizeof *self->groups);
    self->pipeline = sp_redis_pipeline_new ();
    self->group_count = group_count;
    if (!self->groups || !self->pipeline)
        funnel_median_destroy (&self);
    return self;
}

void
funnel_median_destroy (funnel_median_t **self_p)
{
    assert (self_p);
    funnel_median_t *self = *self_p;
    if (!self)
        return;
    for (size_t group = 0; self->groups && group < self->group_count; group++) {
        for (size_t index = 0; index < self->groups[group].count; index++)
            free (self->groups[group].keys[index]);
        free (self->groups[group].keys);
        free (self->groups[group].non_empty);
    }
    free (self->groups);
    sp_redis_pipeline_destroy (&self->pipeline);
    free (self);
    *self_p = NULL;
}

int
funnel_median_add (funnel_median_t *self, size_t group_index, const char *key)
{
    assert (self && key && group_index < self->group_count);
    s_group_t *group = &self->groups[group_index];
    if (group->count == group->capacity) {
        size_t capacity = group->capacity ? group->capacity * 2 : S_KEYS_INITIAL;
        char **keys = realloc (group->keys, capacity * sizeof *keys);
        if (!keys)
            return -1;
        group->keys = keys;
        bool *non_empty = realloc (group->non_empty, capacity * sizeof *non_empty);
        if (!non_empty)
            return -1;
        group->non_empty = non_empty;
        group->capacity = capacity;
    }
    group->keys[group->count] = strdup (key);
    if (!group->keys[group->count])
        return -1;
    group->non_empty[group->count] = false;
    group->count++;
    return 0;
}

/* Reads a whole-number score of a ZRANGE ... WITHSCORES reply (member,
   score) into *score. */
static int
s_score (const sp_redis_reply_t *reply, const char *key, int64_t *score, char *error,
         size_t error_size)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (reply) != 2 ||
        sp_redis_reply_type (sp_redis_reply_element (reply, 1)) != SP_REDIS_REPLY_STRING) {
        sp_error_set (error, error_size, "unexpected reply to ZRANGE of \"%s\"", key);
        return -1;
    }
    const char *text = sp_redis_reply_string (sp_redis_reply_element (reply, 1), NULL);
    char *end = NULL;
    double value = strtod (text, &end);
    if (end == text || *end != '\0' || !isfinite (value) || value != floor (value) ||
        fabs (value) > S_SCORE_LIMIT) {
        sp_error_set (error, error_size, "sorted set \"%s\" holds the score %s, not a whole number",
                      key, text);
        return -1;
    }
    *score = (int64_t) value;
    return 0;
}

/* Checks a reply of the first round: an error reply (e.g. WRONGTYPE) fails. */
static int
s_reply_ok (const sp_redis_reply_t *reply, const char *command, const char *key, char *error,
            size_t error_size)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ERROR)
        return 0;
    sp_error_set (error, error_size, "%s of \"%s\" failed: %s", command, key,
                  sp_redis_reply_string (reply, NULL));
    return -1;
}

/* First round: every set's size and least and greatest score. */
static int
s_bounds (funnel_median_t *self, sp_redis_t *redis, char *error, size_t error_size)
{
    sp_redis_pipeline_reset (self->pipeline);
    for (size_t group = 0; group < self->group_count; group++)
        for (size_t index = 0; index < self->groups[group].count; index++) {
            const char *key = self->groups[group].keys[index];
            if (sp_redis_pipeline_append (self->pipeline, 2, (const char *[]){ "ZCARD", key },
                                          NULL) != 0 ||
                sp_redis_pipeline_append (self->pipeline, 5,
                                          (const char *[]){ "ZRANGE", key, "0", "0", "WITHSCORES" },
                                          NULL) != 0 ||
                sp_redis_pipeline_append (
                    self->pipeline, 5, (const char *[]){ "ZRANGE", key, "-1", "-1", "WITHSCORES" },
                    NULL) != 0) {
                sp_error_set (error, error_size, "out of memory");
                return -1;
            }
        }
    if (sp_redis_pipeline_size (self->pipeline) == 0)
        return 0;
    sp_redis_reply_t *reply = sp_redis_execute (redis, self->pipeline, error, error_size);
    if (!reply)
        return -1;
    int rc = 0;
    size_t at = 0;
    for (size_t group_index = 0; rc == 0 && group_index < self->group_count; group_index++) {
        s_group_t *group = &self->groups[group_index];
        bool first = true;
        for (size_t index = 0; rc == 0 && index < group->count; index++, at += S_COMMANDS_PER_KEY) {
            const char *key = group->keys[index];
            const sp_redis_reply_t *size = sp_redis_reply_element (reply, at);
            if (s_reply_ok (size, "ZCARD", key, error, error_size) != 0 ||
                s_reply_ok (sp_redis_reply_element (reply, at + 1), "ZRANGE", key, error,
                            error_size) != 0) {
                rc = -1;
                break;
            }
            if (sp_redis_reply_type (size) != SP_REDIS_REPLY_INTEGER ||
                sp_redis_reply_integer (size) <= 0)
                continue;
            int64_t low = 0, high = 0;
            if (s_score (sp_redis_reply_element (reply, at + 1), key, &low, error, error_size) !=
                    0 ||
                s_score (sp_redis_reply_element (reply, at + 2), key, &high, error, error_size) !=
                    0) {
                rc = -1;
                break;
            }
            group->non_empty[index] = true;
            group->members += (uint64_t) sp_redis_reply_integer (size);
            group->low = first || low < group->low ? low : group->low;
            group->high = first || high > group->high ? high : group->high;
            first = false;
        }
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* One probe of every search not done yet, in one round trip: ZCOUNT
   key -inf probe over each group's non-empty sets, summed per group and
   fed to its search. */
static int
s_probe_all (funnel_median_t *self, sp_redis_t *redis, funnel_report_search_t *searches,
             char *error, size_t error_size)
{
    sp_redis_pipeline_reset (self->pipeline);
    for (size_t group = 0; group < self->group_count; group++) {
        if (funnel_report_search_done (&searches[group]))
            continue;
        char bound[S_NUMBER_SIZE];
        snprintf (bound, sizeof bound, "%lld",
                  (long long) funnel_report_search_probe (&searches[group]));
        for (size_t index = 0; index < self->groups[group].count; index++)
            if (self->groups[group].non_empty[index] &&
                sp_redis_pipeline_append (self->pipeline, 4,
                                          (const char *[]){ "ZCOUNT", self->groups[group].keys[index],
                                                            "-inf", bound },
                                          NULL) != 0) {
                sp_error_set (error, error_size, "out of memory");
                return -1;
            }
    }
    sp_redis_reply_t *reply = sp_redis_execute (redis, self->pipeline, error, error_size);
    if (!reply)
        return -1;
    int rc = 0;
    size_t at = 0;
    for (size_t group = 0; rc == 0 && group < self->group_count; group++) {
        if (funnel_report_search_done (&searches[group]))
            continue;
        uint64_t count = 0;
        for (size_t index = 0; index < self->groups[group].count; index++) {
            if (!self->groups[group].non_empty[index])
                continue;
            const sp_redis_reply_t *element = sp_redis_reply_element (reply, at++);
            if (sp_redis_reply_type (element) != SP_REDIS_REPLY_INTEGER) {
                sp_error_set (error, error_size, "unexpected reply to ZCOUNT of \"%s\": %s",
                              self->groups[group].keys[index],
                              sp_redis_reply_type (element) == SP_REDIS_REPLY_ERROR
                                  ? sp_redis_reply_string (element, NULL)
                                  : "not an integer");
                rc = -1;
                break;
            }
            count += (uint64_t) sp_redis_reply_integer (element);
        }
        if (rc == 0)
            funnel_report_search_feed (&searches[group], count);
    }
    sp_redis_reply_destroy (&reply);
    return rc;
}

int
funnel_median_run (funnel_median_t *self, sp_redis_t *redis, funnel_report_value_t *medians,
                   uint64_t *members, char *error, size_t error_size)
{
    assert (self && redis && medians);
    for (size_t group = 0; group < self->group_count; group++) {
        self->groups[group].members = 0;
        self->groups[group].low = 0;
        self->groups[group].high = 0;
    }
    if (s_bounds (self, redis, error, error_size) != 0)
        return -1;
    funnel_report_search_t *searches = calloc (self->group_count, sizeof *searches);
    if (!searches) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    bool searching = false;
    for (size_t group = 0; group < self->group_count; group++) {
        if (members)
            members[group] = self->groups[group].members;
        funnel_report_search_start (&searches[group], self->groups[group].low,
                                    self->groups[group].high, self->groups[group].members);
        searching |= !funnel_report_search_done (&searches[group]);
    }
    int rc = 0;
    while (rc == 0 && searching) {
        rc = s_probe_all (self, redis, searches, error, error_size);
        searching = false;
        for (size_t group = 0; group < self->group_count; group++)
            searching |= !funnel_report_search_done (&searches[group]);
    }
    for (size_t group = 0; rc == 0 && group < self->group_count; group++)
        medians[group] = searches[group].median;
    free (searches);
    return rc;
}
