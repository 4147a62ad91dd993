/*  sp_harness_funnel - funnel-tracker for the cluster comparison tests
    (see sp_harness_funnel.h). */
#include "sp_harness_funnel.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SETTING_SIZE 512

pid_t
sp_harness_funnel_tracker (const sp_harness_consumer_stack_t *stack, int partitions,
                           const char *redis_url, const char *name, int http_port,
                           const char *extra, int timeout_ms)
{
    char log[PATH_MAX];
    snprintf (log, sizeof log, "%s/%s.log", sp_harness_dir (stack->harness), name);
    char redis[S_SETTING_SIZE];
    snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", redis_url);
    const char *settings[] = { "SP_TIME_ZONE=UTC",
                               "SP_FUNNEL_CURRENCY=USD",
                               "SP_CONSUMER_POLL_MS=100",
                               "SP_FUNNEL_NOTICES_ENDPOINT=tcp://127.0.0.1:*",
                               redis,
                               extra,
                               NULL };
    return sp_harness_consumer_service (stack->harness, "funnel-tracker", stack->bus, http_port,
                                        partitions, settings, NULL, log, timeout_ms);
}

/* One question: both answers complete, the same, and holding key. */
static int
s_same (const sp_harness_t *harness, const char *const *arguments, const char *key,
        const char *first_url, const char *second_url, int timeout_ms)
{
    json_t *same =
        sp_harness_salesctl_same (harness, arguments, first_url, second_url, NULL, timeout_ms);
    bool agreed = same != NULL;
    char *text = same ? json_dumps (same, JSON_COMPACT) : NULL;
    json_decref (same);
    bool found = text && strstr (text, key) != NULL; /* not an empty answer */
    free (text);
    if (!found)
        fprintf (stderr, "sp_harness_funnel: salesctl %s %s %s %s %s: the answers %s\n",
                 arguments[0], arguments[1], arguments[2], arguments[3] ? arguments[3] : "",
                 arguments[3] && arguments[4] ? arguments[4] : "",
                 agreed ? "hold no \"reached\" or \"weighted_value\""
                      : "differ or are incomplete");
    return found ? 0 : -1;
}

int
sp_harness_funnel_same (const sp_harness_t *harness, const char *first_url,
                        const char *second_url, int timeout_ms)
{
    static const char *const scopes[] = { "company", "region:emea", "team:south", "rep:rep-ana" };
    static const char *const periods[] = { "all", "2026-03", "2026-Q2" };
    for (size_t scope = 0; scope < sizeof scopes / sizeof scopes[0]; scope++)
        for (size_t period = 0; period < sizeof periods / sizeof periods[0]; period++)
            if (s_same (harness,
                        (const char *[]){ "funnel", "--scope", scopes[scope], "--period",
                                          periods[period], "--json", NULL },
                        "\"reached\"", first_url, second_url, timeout_ms) != 0)
                return -1;
    return s_same (harness, (const char *[]){ "pipeline", "--scope", "company", "--json", NULL },
                   "\"weighted_value\"", first_url, second_url, timeout_ms);
}
