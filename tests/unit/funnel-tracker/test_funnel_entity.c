/*  test_funnel_entity - an entity's journey, its contribution, its
    storage form (funnel_entity), the commands that move a contribution
    (funnel_apply) and the built-in default funnel (funnel_catalog).

    The central property: applying an entity's events one at a time, in
    any order, each as "take the old contribution away, add the new one",
    leaves the results exactly where applying the whole history at once
    puts them. The commands are run against a small in-memory model of
    the Redis commands they use (HINCRBY, ZADD, ZREM, SADD, SET).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <czmq.h>

#include "funnel_apply.h"
#include "funnel_catalog.h"
#include "funnel_entity.h"
#include "sp_consumer_batch.h"

#define S_MODEL_ARGS 32 /* most arguments of a command the model reads */
#define DAY_MS (INT64_C (86400000))
/* 2017-05-03T00:00:00Z */
#define T0 INT64_C (1493769600000)
#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* ---------------------------------------------------------------- events */

/* One event as the tests write it. */
typedef struct {
    Salespulse__EventType type;
    const char *opportunity;
    const char *rep;
    const char *team;
    const char *region;
    int64_t at_ms;
    int64_t amount;       /* minor units; 0 = none */
    const char *currency; /* NULL = "USD" */
    const char *stage;    /* stage_changed only */
} s_spec_t;

/* An event and the bodies it points to. */
typedef struct {
    Salespulse__SalesEvent event;
    Salespulse__Money money;
    Salespulse__LeadCreated lead;
    Salespulse__QuoteSent quote;
    Salespulse__DealWon won;
    Salespulse__DealLost lost;
    Salespulse__StageChanged stage;
} s_event_t;

static void
s_event_make (s_event_t *out, const s_spec_t *spec)
{
    *out = (s_event_t){ .event = SALESPULSE__SALES_EVENT__INIT,
                        .money = SALESPULSE__MONEY__INIT,
                        .lead = SALESPULSE__LEAD_CREATED__INIT,
                        .quote = SALESPULSE__QUOTE_SENT__INIT,
                        .won = SALESPULSE__DEAL_WON__INIT,
                        .lost = SALESPULSE__DEAL_LOST__INIT,
                        .stage = SALESPULSE__STAGE_CHANGED__INIT };
    Salespulse__SalesEvent *event = &out->event;
    event->type = spec->type;
    event->event_id = (char *) "e";
    event->source = (char *) "test";
    event->occurred_at = spec->at_ms;
    event->opportunity_id = (char *) spec->opportunity;
    event->rep_id = (char *) (spec->rep ? spec->rep : "");
    event->team_id = (char *) (spec->team ? spec->team : "");
    event->region_id = (char *) (spec->region ? spec->region : "");
    event->customer_id = (char *) "";
    out->money.amount_minor = spec->amount;
    out->money.currency = (char *) (spec->currency ? spec->currency : "USD");
    Salespulse__Money *money = spec->amount ? &out->money : NULL;
    switch (spec->type) {
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_LEAD_CREATED;
            out->lead.estimated_value = money;
            event->lead_created = &out->lead;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_QUOTE_SENT;
            out->quote.amount = money;
            event->quote_sent = &out->quote;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_WON;
            out->won.amount = money;
            event->deal_won = &out->won;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_DEAL_LOST;
            event->deal_lost = &out->lost;
            break;
        case SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED:
            event->body_case = SALESPULSE__SALES_EVENT__BODY_STAGE_CHANGED;
            out->stage.to_stage = (char *) spec->stage;
            event->stage_changed = &out->stage;
            break;
        default:
            break;
    }
}

#define LEAD SALESPULSE__EVENT_TYPE__EVENT_TYPE_LEAD_CREATED
#define VISIT SALESPULSE__EVENT_TYPE__EVENT_TYPE_VISIT_COMPLETED
#define DEMO SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEMO
#define QUOTE SALESPULSE__EVENT_TYPE__EVENT_TYPE_QUOTE_SENT
#define WON SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_WON
#define LOST SALESPULSE__EVENT_TYPE__EVENT_TYPE_DEAL_LOST
#define STAGE SALESPULSE__EVENT_TYPE__EVENT_TYPE_STAGE_CHANGED

/* ---------------------------------------------------------------- fixture */

typedef struct {
    funnel_definition_t *definition; /* the default funnel */
    funnel_steps_t *evaluator;
    sp_tz_t *tz; /* UTC */
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof *fixture);
    assert_non_null (fixture);
    char error[256];
    const char *text = funnel_catalog_default_json ();
    fixture->definition = funnel_definition_new (text, strlen (text), error, sizeof error);
    assert_non_null (fixture->definition);
    funnel_steps_settings_t settings;
    funnel_definition_steps_settings (fixture->definition, &settings);
    fixture->evaluator = funnel_steps_new (&settings, error, sizeof error);
    assert_non_null (fixture->evaluator);
    fixture->tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (fixture->tz);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    funnel_steps_destroy (&fixture->evaluator);
    funnel_definition_destroy (&fixture->definition);
    sp_tz_destroy (&fixture->tz);
    free (fixture);
    return 0;
}

/* Adds spec as sequence to entity; returns funnel_entity_add's answer. */
static int
s_add (s_fixture_t *fixture, funnel_entity_t *entity, const s_spec_t *spec, uint64_t sequence)
{
    s_event_t event;
    s_event_make (&event, spec);
    uint32_t mask = funnel_definition_match (fixture->definition, &event.event);
    assert_int_not_equal (mask, 0);
    return funnel_entity_add (entity, fixture->definition, &event.event, mask, sequence, "USD");
}

static void
s_contribution (s_fixture_t *fixture, const funnel_entity_t *entity,
                funnel_contribution_t *contribution)
{
    assert_int_equal (funnel_entity_contribution (entity, fixture->definition, fixture->evaluator,
                                                  fixture->tz, contribution),
                      0);
}

/* A won opportunity of rep ana: lead, visit, demo, quote, won. */
static const s_spec_t s_journey[] = {
    { LEAD, "o1", "ana", "north", "emea", T0, 2500000, NULL, NULL },
    { VISIT, "o1", "ana", NULL, NULL, T0 + 2 * DAY_MS, 0, NULL, NULL },
    { DEMO, "o1", "ana", NULL, NULL, T0 + 5 * DAY_MS, 0, NULL, NULL },
    { QUOTE, "o1", "ana", NULL, NULL, T0 + 9 * DAY_MS, 2450000, NULL, NULL },
    { WON, "o1", "ana", "north", "emea", T0 + 30 * DAY_MS, 2400000, NULL, NULL },
};

/* ---------------------------------------------------------------- tests */

static void
test_pipeline_journey (void **state)
{
    s_fixture_t *fixture = *state;
    funnel_entity_t *entity = funnel_entity_new ();
    for (size_t index = 0; index < COUNT (s_journey); index++)
        assert_int_equal (s_add (fixture, entity, &s_journey[index], index + 1), 1);
    funnel_contribution_t contribution;
    s_contribution (fixture, entity, &contribution);
    assert_int_equal (contribution.scope_count, 4);
    assert_string_equal (contribution.scopes[0], "company");
    assert_string_equal (contribution.scopes[1], "region:emea");
    assert_string_equal (contribution.scopes[2], "team:north");
    assert_string_equal (contribution.scopes[3], "rep:ana");
    assert_string_equal (contribution.cohort_month, "2017-05");
    assert_string_equal (contribution.outcome_month, "2017-06");
    assert_int_equal (contribution.steps.reached_mask, 0x1f);
    assert_false (contribution.has_duration[0]);
    assert_int_equal (contribution.duration_ms[1], 2 * DAY_MS);
    assert_int_equal (contribution.duration_ms[2], 3 * DAY_MS);
    assert_int_equal (contribution.duration_ms[3], 4 * DAY_MS);
    assert_int_equal (contribution.duration_ms[4], 21 * DAY_MS); /* quote to won */
    assert_false (contribution.has_duration[5]);                 /* lost not reached */
    assert_true (contribution.has_cycle);
    assert_int_equal (contribution.cycle_ms, 30 * DAY_MS);
    assert_int_equal (contribution.won_kind, FUNNEL_AMOUNT_REPORTING);
    assert_int_equal (contribution.won_amount, 2400000);
    assert_int_equal (contribution.open_level, 0);
    /* the won target is measured from lead: sampled on the lead's day */
    assert_string_equal (contribution.target_day[4], "2017-05-03");
    assert_true (contribution.target_converted[4]);
    /* a repeat of a passed step changes nothing */
    s_spec_t again = s_journey[1];
    again.at_ms += DAY_MS;
    assert_int_equal (s_add (fixture, entity, &again, 9), 0);
    assert_int_equal (funnel_entity_hit_count (entity), 5);
    funnel_entity_destroy (&entity);
}

static void
test_pipeline_order_does_not_matter (void **state)
{
    s_fixture_t *fixture = *state;
    funnel_contribution_t expected, got;
    funnel_entity_t *entity = funnel_entity_new ();
    for (size_t index = 0; index < COUNT (s_journey); index++)
        s_add (fixture, entity, &s_journey[index], index + 1);
    s_contribution (fixture, entity, &expected);
    funnel_entity_destroy (&entity);
    /* every rotation and the reverse order */
    for (size_t shift = 0; shift <= COUNT (s_journey); shift++) {
        entity = funnel_entity_new ();
        for (size_t step = 0; step < COUNT (s_journey); step++) {
            size_t index = shift == COUNT (s_journey) ? COUNT (s_journey) - 1 - step
                                                      : (step + shift) % COUNT (s_journey);
            s_add (fixture, entity, &s_journey[index], index + 1);
        }
        s_contribution (fixture, entity, &got);
        assert_memory_equal (&expected, &got, sizeof got);
        funnel_entity_destroy (&entity);
    }
}

static void
test_open_value_and_names (void **state)
{
    s_fixture_t *fixture = *state;
    funnel_entity_t *entity = funnel_entity_new ();
    s_add (fixture, entity, &s_journey[0], 1);
    s_add (fixture, entity, &s_journey[3], 2);
    funnel_contribution_t contribution;
    s_contribution (fixture, entity, &contribution);
    assert_int_equal (contribution.open_level, 4);
    assert_int_equal (contribution.value_kind, FUNNEL_AMOUNT_REPORTING);
    assert_int_equal (contribution.value, 2450000); /* the quote is the latest amount */
    assert_string_equal (contribution.outcome_month, "");
    /* an older event with an amount does not replace the value, and an
       older rep does not replace the newer one */
    s_spec_t older = { LEAD, "o1", "ben", "south", "apac", T0 - DAY_MS, 999, NULL, NULL };
    assert_int_equal (s_add (fixture, entity, &older, 3), 1); /* earlier lead */
    s_contribution (fixture, entity, &contribution);
    assert_int_equal (contribution.value, 2450000);
    assert_string_equal (contribution.scopes[3], "rep:ana");
    assert_string_equal (contribution.cohort_month, "2017-05");
    /* a newer event reassigns the opportunity */
    s_spec_t newer = { DEMO, "o1", "cy", NULL, NULL, T0 + 10 * DAY_MS, 0, NULL, NULL };
    s_add (fixture, entity, &newer, 4);
    s_contribution (fixture, entity, &contribution);
    assert_string_equal (contribution.scopes[3], "rep:cy");
    assert_string_equal (contribution.scopes[2], "team:north");
    assert_string_equal (funnel_entity_name (entity, FUNNEL_SCOPE_REGION)->value, "emea");
    funnel_entity_destroy (&entity);
}

static void
test_lost_and_other_currency (void **state)
{
    s_fixture_t *fixture = *state;
    funnel_entity_t *entity = funnel_entity_new ();
    s_spec_t lead = { LEAD, "o2", "ana", NULL, NULL, T0, 100, "EUR", NULL };
    s_spec_t lost = { LOST, "o2", "ana", NULL, NULL, T0 + 40 * DAY_MS, 0, NULL, NULL };
    s_add (fixture, entity, &lead, 1);
    funnel_contribution_t contribution;
    s_contribution (fixture, entity, &contribution);
    assert_int_equal (contribution.value_kind, FUNNEL_AMOUNT_OTHER);
    assert_int_equal (contribution.open_level, 1);
    s_add (fixture, entity, &lost, 2);
    s_contribution (fixture, entity, &contribution);
    assert_int_equal (contribution.steps.outcome, FUNNEL_STEPS_OUTCOME_LOST);
    assert_string_equal (contribution.outcome_month, "2017-06");
    assert_int_equal (contribution.open_level, 0);
    assert_false (contribution.has_cycle);
    /* lost is step 6; its previous step is quote (4), not reached */
    assert_false (contribution.has_duration[5]);
    /* the won target's sample counts the lead, not converted */
    assert_string_equal (contribution.target_day[4], "2017-05-03");
    assert_false (contribution.target_converted[4]);
    funnel_entity_destroy (&entity);
}

static void
test_pack_round_trip_and_refusals (void **state)
{
    s_fixture_t *fixture = *state;
    funnel_entity_t *entity = funnel_entity_new ();
    for (size_t index = 0; index < COUNT (s_journey); index++)
        s_add (fixture, entity, &s_journey[index], index + 1);
    size_t size = 0;
    unsigned char *packed = funnel_entity_pack (entity, &size);
    assert_non_null (packed);
    funnel_entity_t *copy = funnel_entity_new ();
    char error[128] = "";
    assert_int_equal (funnel_entity_unpack (copy, packed, size, error, sizeof error), 0);
    funnel_contribution_t expected, got;
    s_contribution (fixture, entity, &expected);
    s_contribution (fixture, copy, &got);
    assert_memory_equal (&expected, &got, sizeof got);
    /* every truncation is refused and leaves an empty entity */
    for (size_t cut = 0; cut < size; cut++) {
        assert_int_equal (funnel_entity_unpack (copy, packed, cut, error, sizeof error), -1);
        assert_int_equal (funnel_entity_hit_count (copy), 0);
    }
    assert_string_equal (error, "entity record: malformed or truncated (239 bytes)");
    packed[0] = 9;
    assert_int_equal (funnel_entity_unpack (copy, packed, size, error, sizeof error), -1);
    assert_string_equal (error, "entity record: unknown format");
    free (packed);
    funnel_entity_destroy (&copy);
    funnel_entity_destroy (&entity);
}

static void
test_sequence_hit_limit (void **state)
{
    (void) state;
    const char *text = "{\"name\": \"s\", \"mode\": \"sequence\", \"steps\": ["
                       "{\"name\": \"lead\", \"event\": \"lead_created\"},"
                       "{\"name\": \"stage\", \"event\": \"stage_changed\"}]}";
    char error[256];
    funnel_definition_t *definition =
        funnel_definition_new (text, strlen (text), error, sizeof error);
    assert_non_null (definition);
    funnel_entity_t *entity = funnel_entity_new ();
    s_event_t event;
    s_spec_t spec = { STAGE, "o3", "ana", NULL, NULL, T0, 0, NULL, "demo" };
    s_event_make (&event, &spec);
    for (uint64_t sequence = 1; sequence <= FUNNEL_ENTITY_MAX_HITS; sequence++)
        assert_int_equal (funnel_entity_add (entity, definition, &event.event, 2, sequence, "USD"),
                          1);
    /* the same sequence again is no change; one more hit is refused */
    assert_int_equal (funnel_entity_add (entity, definition, &event.event, 2, 1, "USD"), 0);
    assert_int_equal (
        funnel_entity_add (entity, definition, &event.event, 2, FUNNEL_ENTITY_MAX_HITS + 1, "USD"),
        -1);
    assert_int_equal (funnel_entity_hit_count (entity), FUNNEL_ENTITY_MAX_HITS);
    funnel_entity_destroy (&entity);
    funnel_definition_destroy (&definition);
}

/* ------------------------------------------------ rows of strict_order funnels */

/* A stage funnel a -> b -> c over customers' opportunities (sequence). */
#define STAGE_FUNNEL(strict)                                                                       \
    "{\"name\": \"stages\", \"mode\": \"sequence\", \"window_days\": 30, "                         \
    "\"strict_order\": " strict ", \"steps\": ["                                                   \
    "{\"name\": \"a\", \"event\": \"stage_changed\", \"stage\": \"a\"},"                           \
    "{\"name\": \"b\", \"event\": \"stage_changed\", \"stage\": \"b\"},"                           \
    "{\"name\": \"c\", \"event\": \"stage_changed\", \"stage\": \"c\"}]}"

/* A definition, its evaluator and UTC. */
typedef struct {
    funnel_definition_t *definition;
    funnel_steps_t *evaluator;
    sp_tz_t *tz;
} s_stages_t;

static void
s_stages_new (s_stages_t *stages, const char *text)
{
    char error[256];
    stages->definition = funnel_definition_new (text, strlen (text), error, sizeof error);
    assert_non_null (stages->definition);
    funnel_steps_settings_t settings;
    funnel_definition_steps_settings (stages->definition, &settings);
    stages->evaluator = funnel_steps_new (&settings, error, sizeof error);
    assert_non_null (stages->evaluator);
    stages->tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (stages->tz);
}

static void
s_stages_destroy (s_stages_t *stages)
{
    funnel_steps_destroy (&stages->evaluator);
    funnel_definition_destroy (&stages->definition);
    sp_tz_destroy (&stages->tz);
}

/* Adds the stage change to stage (rep as named) at T0 + hour h as the
   handler does: a hit when it matches a step, a row when the funnel
   keeps it, else nothing (returns 2 then). */
static int
s_add_stage (const s_stages_t *stages, funnel_entity_t *entity, const char *stage, int hour,
             const char *rep, uint64_t sequence)
{
    s_event_t event;
    s_spec_t spec = { STAGE, "o5", rep, NULL, NULL, T0 + hour * 3600000, 0, NULL, stage };
    s_event_make (&event, &spec);
    uint32_t mask = funnel_definition_match (stages->definition, &event.event);
    if (mask == 0 && !funnel_definition_unmatched_row (stages->definition, &event.event))
        return 2;
    return funnel_entity_add (entity, stages->definition, &event.event, mask, sequence, "USD");
}

static funnel_contribution_t
s_stages_contribution (const s_stages_t *stages, const funnel_entity_t *entity)
{
    funnel_contribution_t contribution;
    assert_int_equal (funnel_entity_contribution (entity, stages->definition, stages->evaluator,
                                                  stages->tz, &contribution),
                      0);
    return contribution;
}

/* A strict_order funnel keeps the stage change to d (no step) as a row:
   a d b c reaches 1, not 3. The row names nobody and is stored in a
   version 2 record that reads back the same. */
static void
test_strict_order_keeps_rows (void **state)
{
    (void) state;
    s_stages_t stages;
    s_stages_new (&stages, STAGE_FUNNEL ("true"));
    funnel_entity_t *entity = funnel_entity_new ();
    const char *path[] = { "a", "d", "b", "c" };
    for (size_t index = 0; index < COUNT (path); index++)
        assert_int_equal (
            s_add_stage (&stages, entity, path[index], (int) index + 1, "ana", index + 1), 1);
    assert_int_equal (funnel_entity_hit_count (entity), 4);
    assert_int_equal (funnel_entity_hit (entity, 1)->step_mask, 0);
    assert_int_equal (funnel_entity_hit (entity, 1)->kind, FUNNEL_AMOUNT_NONE);
    /* the same row again changes nothing */
    assert_int_equal (s_add_stage (&stages, entity, "d", 2, "ana", 2), 0);
    /* the newest event, a row of rep zed, is kept but names nobody */
    assert_int_equal (s_add_stage (&stages, entity, "d", 10, "zed", 5), 1);
    assert_int_equal (funnel_entity_hit_count (entity), 5);
    assert_string_equal (funnel_entity_name (entity, FUNNEL_SCOPE_REP)->value, "ana");
    funnel_contribution_t contribution = s_stages_contribution (&stages, entity);
    assert_int_equal (contribution.steps.level, 1);
    assert_int_equal (contribution.scope_count, 2);
    assert_string_equal (contribution.scopes[1], "rep:ana");

    size_t size = 0;
    unsigned char *packed = funnel_entity_pack (entity, &size);
    assert_non_null (packed);
    assert_int_equal (packed[0], 2);
    funnel_entity_t *copy = funnel_entity_new ();
    char error[128] = "";
    assert_int_equal (funnel_entity_unpack (copy, packed, size, error, sizeof error), 0);
    funnel_contribution_t again = s_stages_contribution (&stages, copy);
    assert_memory_equal (&contribution, &again, sizeof again);
    /* the same bytes marked version 1 (hits only) are refused: a row there
       is no row of ours */
    packed[0] = 1;
    assert_int_equal (funnel_entity_unpack (copy, packed, size, error, sizeof error), -1);
    assert_string_equal (error, "entity record: malformed or truncated (231 bytes)");
    assert_int_equal (funnel_entity_hit_count (copy), 0);
    free (packed);

    /* a row-only entity contributes nothing, and a record without rows
       stays version 1 */
    funnel_entity_t *rows_only = funnel_entity_new ();
    assert_int_equal (s_add_stage (&stages, rows_only, "d", 1, "ana", 1), 1);
    assert_int_equal (s_add_stage (&stages, rows_only, "e", 2, "ana", 2), 1);
    contribution = s_stages_contribution (&stages, rows_only);
    assert_int_equal (contribution.scope_count, 0);
    assert_int_equal (contribution.steps.level, 0);
    funnel_entity_t *hits_only = funnel_entity_new ();
    assert_int_equal (s_add_stage (&stages, hits_only, "a", 1, "ana", 1), 1);
    packed = funnel_entity_pack (hits_only, &size);
    assert_non_null (packed);
    assert_int_equal (packed[0], 1);
    free (packed);
    funnel_entity_destroy (&hits_only);
    funnel_entity_destroy (&rows_only);
    funnel_entity_destroy (&copy);
    funnel_entity_destroy (&entity);
    s_stages_destroy (&stages);
}

/* The result does not depend on the order the events came in: a a b b d
   c c, in order, reversed and shuffled, reaches 2 with the same times. */
static void
test_strict_order_rows_in_any_order (void **state)
{
    (void) state;
    s_stages_t stages;
    s_stages_new (&stages, STAGE_FUNNEL ("true"));
    const char *path[] = { "a", "a", "b", "b", "d", "c", "c" };
    size_t order[COUNT (path)];
    funnel_contribution_t expected;
    uint32_t seed = 99;
    for (int round = 0; round < 60; round++) {
        for (size_t index = 0; index < COUNT (path); index++)
            order[index] = round == 1 ? COUNT (path) - 1 - index : index;
        for (size_t index = COUNT (path) - 1; round > 1 && index > 0; index--) {
            seed = seed * 1103515245u + 12345u;
            size_t other = (seed >> 16) % (index + 1);
            size_t swap = order[index];
            order[index] = order[other];
            order[other] = swap;
        }
        funnel_entity_t *entity = funnel_entity_new ();
        for (size_t index = 0; index < COUNT (path); index++)
            assert_int_equal (s_add_stage (&stages, entity, path[order[index]],
                                           (int) order[index] + 1, "ana", order[index] + 1),
                              1);
        funnel_contribution_t got = s_stages_contribution (&stages, entity);
        if (round == 0) {
            expected = got;
            assert_int_equal (expected.steps.level, 2);
            assert_int_equal (expected.steps.reached_ms[1], T0 + 3 * 3600000);
        }
        assert_memory_equal (&expected, &got, sizeof got);
        funnel_entity_destroy (&entity);
    }
    s_stages_destroy (&stages);
}

/* Only strict_order sequence funnels keep rows: without strict_order, or
   in pipeline mode, the same events store hits only and reach 3; an entity
   holding rows is refused by a definition that keeps none (rebuild). */
static void
test_rows_kept_only_by_strict_order (void **state)
{
    (void) state;
    s_stages_t loose;
    s_stages_new (&loose, STAGE_FUNNEL ("false"));
    funnel_entity_t *entity = funnel_entity_new ();
    const char *path[] = { "a", "d", "b", "c" };
    for (size_t index = 0; index < COUNT (path); index++)
        assert_int_equal (
            s_add_stage (&loose, entity, path[index], (int) index + 1, "ana", index + 1),
            index == 1 ? 2 : 1);
    assert_int_equal (funnel_entity_hit_count (entity), 3);
    assert_int_equal (s_stages_contribution (&loose, entity).steps.level, 3);
    size_t size = 0;
    unsigned char *packed = funnel_entity_pack (entity, &size);
    assert_non_null (packed);
    assert_int_equal (packed[0], 1);
    free (packed);

    s_stages_t strict;
    s_stages_new (&strict, STAGE_FUNNEL ("true"));
    funnel_entity_t *with_row = funnel_entity_new ();
    assert_int_equal (s_add_stage (&strict, with_row, "a", 1, "ana", 1), 1);
    assert_int_equal (s_add_stage (&strict, with_row, "d", 2, "ana", 2), 1);
    funnel_contribution_t contribution;
    assert_int_equal (funnel_entity_contribution (with_row, loose.definition, loose.evaluator,
                                                  loose.tz, &contribution),
                      -1);
    funnel_entity_destroy (&with_row);
    funnel_entity_destroy (&entity);
    s_stages_destroy (&strict);
    s_stages_destroy (&loose);
}

/* Rows count towards FUNNEL_ENTITY_MAX_HITS with the hits. */
static void
test_rows_count_towards_the_limit (void **state)
{
    (void) state;
    s_stages_t stages;
    s_stages_new (&stages, STAGE_FUNNEL ("true"));
    funnel_entity_t *entity = funnel_entity_new ();
    assert_int_equal (s_add_stage (&stages, entity, "a", 0, "ana", 1), 1);
    for (uint64_t sequence = 2; sequence <= FUNNEL_ENTITY_MAX_HITS; sequence++)
        assert_int_equal (s_add_stage (&stages, entity, "d", 1, "ana", sequence), 1);
    assert_int_equal (funnel_entity_hit_count (entity), FUNNEL_ENTITY_MAX_HITS);
    assert_int_equal (s_add_stage (&stages, entity, "d", 2, "ana", FUNNEL_ENTITY_MAX_HITS + 1), -1);
    assert_int_equal (s_add_stage (&stages, entity, "b", 2, "ana", FUNNEL_ENTITY_MAX_HITS + 2), -1);
    assert_int_equal (funnel_entity_hit_count (entity), FUNNEL_ENTITY_MAX_HITS);
    /* the full record still packs and reads back */
    size_t size = 0;
    unsigned char *packed = funnel_entity_pack (entity, &size);
    assert_non_null (packed);
    funnel_entity_t *copy = funnel_entity_new ();
    char error[128];
    assert_int_equal (funnel_entity_unpack (copy, packed, size, error, sizeof error), 0);
    assert_int_equal (funnel_entity_hit_count (copy), FUNNEL_ENTITY_MAX_HITS);
    assert_int_equal (s_stages_contribution (&stages, copy).steps.level, 1);
    free (packed);
    funnel_entity_destroy (&copy);
    funnel_entity_destroy (&entity);
    s_stages_destroy (&stages);
}

/* ------------------------------------------------ commands on a model */

/* Copies argument index of batch into buffer, terminated. */
static void
s_argument (const sp_consumer_batch_t *batch, size_t index, char *buffer, size_t size)
{
    size_t length = 0;
    const char *bytes = sp_consumer_batch_argument (batch, index, &length);
    assert_true (length < size);
    memcpy (buffer, bytes, length);
    buffer[length] = '\0';
}

/* Runs the batch's commands on model: "H|key|field" -> counter,
   "Z|key|member" -> score, "S|key|member" -> 1. SET is not modelled. */
static void
s_run (zhashx_t *model, const sp_consumer_batch_t *batch)
{
    size_t count = sp_consumer_batch_argument_count (batch);
    size_t index = 0;
    while (index < count) {
        /* arguments are stored back to back, without terminators */
        char argument_count[16] = "";
        s_argument (batch, index, argument_count, sizeof argument_count);
        int argc = (int) strtol (argument_count, NULL, 10);
        assert_true (argc >= 3 && argc < S_MODEL_ARGS);
        char copies[S_MODEL_ARGS][300] = { "" };
        const char *argv[S_MODEL_ARGS] = { NULL };
        for (int arg = 0; arg < argc; arg++) {
            s_argument (batch, index + 1 + (size_t) arg, copies[arg], sizeof copies[arg]);
            argv[arg] = copies[arg];
        }
        index += 1 + (size_t) argc;
        char name[600];
        /* summed increments: HINCRBY key field delta [field delta ...] */
        if (strcmp (argv[0], "HINCRBY") == 0) {
            assert_true (argc >= 4 && argc % 2 == 0);
            for (int arg = 2; arg + 1 < argc; arg += 2) {
                snprintf (name, sizeof name, "H|%s|%s", argv[1], argv[arg]);
                int64_t value = (int64_t) (intptr_t) zhashx_lookup (model, name);
                value += strtoll (argv[arg + 1], NULL, 10);
                zhashx_update (model, name, (void *) (intptr_t) value);
                if (value == 0)
                    zhashx_delete (model, name);
            }
        }
        /* the step's members of one key may go out in one command */
        else if (strcmp (argv[0], "ZADD") == 0) {
            for (int arg = 2; arg + 1 < argc; arg += 2) {
                snprintf (name, sizeof name, "Z|%s|%s", argv[1], argv[arg + 1]);
                zhashx_update (model, name,
                               (void *) (intptr_t) (strtoll (argv[arg], NULL, 10) + 1));
            }
        }
        else if (strcmp (argv[0], "ZREM") == 0) {
            for (int arg = 2; arg < argc; arg++) {
                snprintf (name, sizeof name, "Z|%s|%s", argv[1], argv[arg]);
                assert_non_null (zhashx_lookup (model, name));
                zhashx_delete (model, name);
            }
        }
        else if (strcmp (argv[0], "SADD") == 0) {
            for (int arg = 2; arg < argc; arg++) {
                snprintf (name, sizeof name, "S|%s|%s", argv[1], argv[arg]);
                zhashx_update (model, name, (void *) 1);
            }
        }
        else
            fail_msg ("unexpected command %s", argv[0]);
    }
}

/* Applies events (in the order given by order) one at a time onto a
   fresh model and returns it. */
static zhashx_t *
s_replay (s_fixture_t *fixture, const s_spec_t *events, const size_t *order, size_t count)
{
    zhashx_t *model = zhashx_new ();
    sp_consumer_batch_t *batch = sp_consumer_batch_new ("funnel-tracker");
    funnel_apply_t *apply = funnel_apply_new ();
    zhashx_t *entities = zhashx_new ();
    funnel_contribution_t old, updated;
    for (size_t step = 0; step < count; step++) {
        const s_spec_t *spec = &events[order[step]];
        funnel_entity_t *entity = zhashx_lookup (entities, spec->opportunity);
        if (!entity) {
            entity = funnel_entity_new ();
            zhashx_insert (entities, spec->opportunity, entity);
        }
        s_contribution (fixture, entity, &old);
        s_add (fixture, entity, spec, order[step] + 1);
        s_contribution (fixture, entity, &updated);
        sp_consumer_batch_reset (batch, 3, 0);
        assert_true (funnel_apply_change (apply, batch, fixture->definition, spec->opportunity,
                                          &old, &updated) >= 0);
        /* the step as it goes out: its summed increments become HINCRBYs */
        assert_int_equal (sp_consumer_batch_coalesce (batch), 0);
        s_run (model, batch);
    }
    for (funnel_entity_t *entity = zhashx_first (entities); entity; entity = zhashx_next (entities))
        funnel_entity_destroy (&entity);
    zhashx_destroy (&entities);
    funnel_apply_destroy (&apply);
    sp_consumer_batch_destroy (&batch);
    return model;
}

static void
s_assert_same_model (zhashx_t *expected, zhashx_t *got)
{
    assert_int_equal (zhashx_size (expected), zhashx_size (got));
    for (void *value = zhashx_first (expected); value; value = zhashx_next (expected)) {
        const char *key = zhashx_cursor (expected);
        if (zhashx_lookup (got, key) != value)
            fail_msg ("%s differs", key);
    }
}

static void
test_apply_any_order_gives_same_results (void **state)
{
    s_fixture_t *fixture = *state;
    /* two opportunities; o2 is lost after a reassignment to ben */
    const s_spec_t events[] = {
        s_journey[0],
        s_journey[1],
        s_journey[2],
        s_journey[3],
        s_journey[4],
        { LEAD, "o2", "ana", "north", "emea", T0 + DAY_MS, 1000, NULL, NULL },
        { DEMO, "o2", "ben", "south", NULL, T0 + 3 * DAY_MS, 0, NULL, NULL },
        { LOST, "o2", "ben", NULL, NULL, T0 + 70 * DAY_MS, 0, NULL, NULL },
    };
    size_t order[COUNT (events)];
    for (size_t index = 0; index < COUNT (events); index++)
        order[index] = index;
    zhashx_t *expected = s_replay (fixture, events, order, COUNT (events));
    /* spot checks of the in-order results */
    assert_int_equal ((intptr_t) zhashx_lookup (
                          expected, "H|funnel-tracker:{p3}:m:default:company:2017-05|reached:1"),
                      2);
    assert_int_equal (
        (intptr_t) zhashx_lookup (expected, "H|funnel-tracker:{p3}:m:default:rep:ben:2017-07|lost"),
        1);
    assert_null (zhashx_lookup (expected, "H|funnel-tracker:{p3}:m:default:rep:ana:2017-07|lost"));
    assert_int_equal ((intptr_t) zhashx_lookup (
                          expected, "Z|funnel-tracker:{p3}:z:default:rep:ana:2017-06:amount|o1"),
                      2400000 + 1);
    assert_null (zhashx_lookup (expected, "H|funnel-tracker:{p3}:o:default:company|count:1"));
    /* reversed, and a fixed pseudo-random shuffle per round */
    uint32_t seed = 12345;
    for (int round = 0; round < 40; round++) {
        for (size_t index = 0; index < COUNT (events); index++)
            order[index] = round == 0 ? COUNT (events) - 1 - index : index;
        for (size_t index = COUNT (events) - 1; round > 0 && index > 0; index--) {
            seed = seed * 1103515245u + 12345u;
            size_t other = (seed >> 16) % (index + 1);
            size_t swap = order[index];
            order[index] = order[other];
            order[other] = swap;
        }
        zhashx_t *got = s_replay (fixture, events, order, COUNT (events));
        s_assert_same_model (expected, got);
        zhashx_destroy (&got);
    }
    zhashx_destroy (&expected);
}

static void
test_default_funnel_is_the_shipped_file (void **state)
{
    (void) state;
    const char *root = getenv ("SP_SOURCE_DIR");
    char path[4096];
    snprintf (path, sizeof path, "%s/deploy/funnels/default.json", root ? root : ".");
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    char text[8192];
    size_t length = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text[length] = '\0';
    assert_string_equal (funnel_catalog_default_json (), text);
    funnel_catalog_t *catalog = funnel_catalog_new ();
    char error[256];
    assert_int_equal (funnel_catalog_add_default (catalog, error, sizeof error), 0);
    assert_int_equal (funnel_catalog_add_default (catalog, error, sizeof error), -1);
    assert_string_equal (error, "funnel \"default\" is in the catalog twice");
    size_t index = 9;
    assert_non_null (funnel_catalog_find (catalog, "default", &index));
    assert_int_equal (index, 0);
    assert_int_equal (funnel_catalog_version (catalog, 0), 0);
    assert_null (funnel_catalog_find (catalog, "crm", NULL));
    funnel_catalog_destroy (&catalog);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_pipeline_journey, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pipeline_order_does_not_matter, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_open_value_and_names, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lost_and_other_currency, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pack_round_trip_and_refusals, s_setup, s_teardown),
        cmocka_unit_test (test_sequence_hit_limit),
        cmocka_unit_test_setup_teardown (test_apply_any_order_gives_same_results, s_setup,
                                         s_teardown),
        cmocka_unit_test (test_default_funnel_is_the_shipped_file),
        cmocka_unit_test (test_strict_order_keeps_rows),
        cmocka_unit_test (test_strict_order_rows_in_any_order),
        cmocka_unit_test (test_rows_kept_only_by_strict_order),
        cmocka_unit_test (test_rows_count_towards_the_limit),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
