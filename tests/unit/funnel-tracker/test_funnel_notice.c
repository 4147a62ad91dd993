/*  test_funnel_notice - bottleneck conditions and notices (funnel_notice).

    The condition fires when sample >= min_sample and converted * 10000 <
    conversion_bp * sample. Each boundary is checked on both sides: the
    minimum sample, the exact target, a target that is not a whole
    multiple of the observed share, a target of 0 and of 100 %, and the
    largest counts. Then the transition decision, the window of days (in
    UTC and across a daylight-saving change) and how far it stays behind
    the newest event so that only cohorts old enough to have converted
    are judged (a target's maturity_days: a young cohort is left out, the
    same cohort is judged once mature), the notice filled from a
    definition, the topic, the protobuf message both ways with every
    refusal, and the text spellings.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "funnel_notice.h"
#include "sp_proto.h"

#define TEST_ERROR_SIZE 256
#define TEST_DAY_MS INT64_C (86400000)
#define TEST_HOUR_MS INT64_C (3600000)
#define TEST_TRAILING_DAYS 30

/* The CRM funnel's target waits its window_days, 365, after a cohort's
   day. With the newest event at 2019-01-01T12:00:00Z its UTC window of 30
   days is 2017-12-02..2017-12-31: it ends 366 days before 2019-01-01. */
#define TEST_LATEST_MS INT64_C (1546344000000)
#define TEST_CRM_MATURITY_DAYS 365
#define TEST_WINDOW_START_MS INT64_C (1512172800000) /* 2017-12-02T00:00:00Z */
#define TEST_WINDOW_END_MS INT64_C (1514764800000)   /* 2018-01-01T00:00:00Z */

/* The CRM funnel of the demo: won has a 50 % target from lead, min 20. */
static const char s_crm[] =
    "{\"name\":\"crm\",\"mode\":\"pipeline\",\"window_days\":365,\"steps\":["
    "{\"name\":\"lead\",\"event\":\"lead_created\",\"probability\":0.1},"
    "{\"name\":\"engaging\",\"event\":\"stage_changed\",\"stage\":\"Engaging\","
    "\"probability\":0.5},"
    "{\"name\":\"won\",\"event\":\"deal_won\",\"outcome\":\"won\",\"probability\":1,"
    "\"target\":{\"conversion\":0.5,\"from\":\"lead\",\"min_sample\":20}},"
    "{\"name\":\"lost\",\"event\":\"deal_lost\",\"outcome\":\"lost\",\"probability\":0}]}";

static funnel_definition_target_t
s_target (uint32_t conversion_bp, uint32_t min_sample)
{
    funnel_definition_target_t target = {
        .set = true, .conversion_bp = conversion_bp, .from = 0, .min_sample = min_sample
    };
    return target;
}

static void
s_assert_condition (uint32_t conversion_bp, uint32_t min_sample, uint64_t sample,
                    uint64_t converted, funnel_notice_state_t state, funnel_notice_reason_t reason,
                    uint32_t observed_bp)
{
    funnel_definition_target_t target = s_target (conversion_bp, min_sample);
    funnel_notice_condition_t condition;
    memset (&condition, 0xA5, sizeof condition);
    funnel_notice_evaluate (&target, sample, converted, &condition);
    assert_int_equal (condition.state, state);
    assert_int_equal (condition.reason, reason);
    assert_int_equal (condition.observed_bp, observed_bp);
}

/* ---------------------------------------------------------------- evaluate */

static void
test_fires_below_target (void **state)
{
    (void) state;
    s_assert_condition (5000, 20, 120, 49, FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 4083);
    s_assert_condition (5000, 20, 100, 0, FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 0);
}

static void
test_clears_at_or_above_target (void **state)
{
    (void) state;
    s_assert_condition (5000, 20, 120, 80, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 6666);
    s_assert_condition (5000, 20, 100, 100, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 10000);
}

/* Exactly on the target is met; one entity less is a miss. */
static void
test_exact_target_boundary (void **state)
{
    (void) state;
    s_assert_condition (5000, 20, 100, 50, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 5000);
    s_assert_condition (5000, 20, 100, 49, FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 4900);
    /* 1 of 3 is 33.33..%: below a 33.34 % target, meets a 33.33 % one,
       and the observed value is rounded down, never up to the target. */
    s_assert_condition (3334, 1, 3, 1, FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 3333);
    s_assert_condition (3333, 1, 3, 1, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 3333);
    /* 2 of 3 is 66.66..%: 6667 is missed although round-to-nearest would
       show 6667; floor shows 6666, below the target, as it is. */
    s_assert_condition (6667, 1, 3, 2, FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 6666);
}

/* min_sample entities are enough to judge; one fewer is not. */
static void
test_min_sample_boundary (void **state)
{
    (void) state;
    s_assert_condition (5000, 20, 20, 0, FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 0);
    s_assert_condition (5000, 20, 19, 0, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM,
                        0);
    s_assert_condition (5000, 20, 19, 19, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM,
                        10000);
    s_assert_condition (5000, 1, 0, 0, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM,
                        0);
}

static void
test_extreme_targets_and_counts (void **state)
{
    (void) state;
    /* A 0 % target is always met; a 100 % one needs every entity. */
    s_assert_condition (0, 1, 50, 0, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 0);
    s_assert_condition (10000, 1, 50, 49, FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 9800);
    s_assert_condition (10000, 1, 50, 50, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 10000);
    /* Converted above sample (partials read mid-update) is a full conversion. */
    s_assert_condition (5000, 1, 10, 12, FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 10000);
    /* The largest counts stay exact. */
    s_assert_condition (10000, 1, FUNNEL_NOTICE_COUNT_MAX, FUNNEL_NOTICE_COUNT_MAX - 1,
                        FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 9999);
    s_assert_condition (10000, 1, FUNNEL_NOTICE_COUNT_MAX, FUNNEL_NOTICE_COUNT_MAX,
                        FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_RECOVERED, 10000);
}

/* ---------------------------------------------------------------- decide */

static void
test_transition_decisions (void **state)
{
    (void) state;
    assert_int_equal (funnel_notice_decide (FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_CLEARED),
                      FUNNEL_NOTICE_KEEP);
    assert_int_equal (funnel_notice_decide (FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_FIRING),
                      FUNNEL_NOTICE_KEEP);
    assert_int_equal (funnel_notice_decide (FUNNEL_NOTICE_CLEARED, FUNNEL_NOTICE_FIRING),
                      FUNNEL_NOTICE_RAISE);
    assert_int_equal (funnel_notice_decide (FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_CLEARED),
                      FUNNEL_NOTICE_CLEAR);

    /* A sequence of evaluations: one notice per change, none per repeat. */
    const uint64_t converted[] = { 60, 40, 41, 45, 55, 55, 10 };
    const uint64_t sample[] = { 100, 100, 100, 100, 100, 100, 10 };
    const funnel_notice_transition_t expected[] = { FUNNEL_NOTICE_KEEP,  FUNNEL_NOTICE_RAISE,
                                                    FUNNEL_NOTICE_KEEP,  FUNNEL_NOTICE_KEEP,
                                                    FUNNEL_NOTICE_CLEAR, FUNNEL_NOTICE_KEEP,
                                                    FUNNEL_NOTICE_KEEP };
    funnel_definition_target_t target = s_target (5000, 20);
    funnel_notice_state_t stored = FUNNEL_NOTICE_CLEARED;
    for (size_t index = 0; index < sizeof expected / sizeof expected[0]; index++) {
        funnel_notice_condition_t condition;
        funnel_notice_evaluate (&target, sample[index], converted[index], &condition);
        assert_int_equal (funnel_notice_decide (stored, condition.state), expected[index]);
        stored = condition.state;
    }
}

/* ---------------------------------------------------------------- window */

static void
test_window_utc (void **state)
{
    (void) state;
    char error[TEST_ERROR_SIZE];
    sp_tz_t *tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (tz);
    funnel_notice_window_t window;
    char days[TEST_TRAILING_DAYS][FUNNEL_KEYS_DAY_SIZE];
    assert_int_equal (funnel_notice_window (tz, TEST_LATEST_MS, TEST_TRAILING_DAYS,
                                            TEST_CRM_MATURITY_DAYS, &window, days),
                      0);
    assert_string_equal (window.first_day, "2017-12-02");
    assert_string_equal (window.last_day, "2017-12-31");
    assert_int_equal (window.start_ms, TEST_WINDOW_START_MS);
    assert_int_equal (window.end_ms, TEST_WINDOW_END_MS);
    assert_string_equal (days[0], "2017-12-02");
    assert_string_equal (days[1], "2017-12-03");
    assert_string_equal (days[TEST_TRAILING_DAYS - 1], "2017-12-31");

    /* The last instant of a day and the first of the next: with
       maturity 0 the window is the day that is over. */
    assert_int_equal (funnel_notice_window (tz, TEST_WINDOW_END_MS - 1, 1, 0, &window, NULL), 0);
    assert_string_equal (window.first_day, "2017-12-30");
    assert_string_equal (window.last_day, "2017-12-30");
    assert_int_equal (funnel_notice_window (tz, TEST_WINDOW_END_MS, 1, 0, &window, NULL), 0);
    assert_string_equal (window.first_day, "2017-12-31");
    assert_int_equal (window.end_ms - window.start_ms, TEST_DAY_MS);
    assert_int_equal (window.end_ms, TEST_WINDOW_END_MS);
    sp_tz_destroy (&tz);
}

/* How far the window stays behind the newest event: its last day is
   maturity_days + 1 days before the newest event's day, so every entity
   judged reached "from" at least maturity_days whole days before. */
static void
test_window_maturity (void **state)
{
    (void) state;
    char error[TEST_ERROR_SIZE];
    sp_tz_t *tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (tz);
    funnel_notice_window_t window;
    /* 2017-12-31T12:00Z: the demo's newest event. */
    const int64_t latest = INT64_C (1514721600000);
    const struct {
        uint32_t maturity_days;
        const char *first_day;
        const char *last_day;
    } cases[] = {
        { 0, "2017-12-01", "2017-12-30" },   /* every day that is over */
        { 1, "2017-11-30", "2017-12-29" },   /* and one more whole day */
        { 90, "2017-09-02", "2017-10-01" },  /* the default funnel's window */
        { 365, "2016-12-01", "2016-12-30" }, /* the CRM funnel's window */
        { FUNNEL_DEFINITION_WINDOW_DAYS_MAX, "2007-12-04", "2008-01-02" },
    };
    char days[TEST_TRAILING_DAYS][FUNNEL_KEYS_DAY_SIZE];
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        assert_int_equal (funnel_notice_window (tz, latest, TEST_TRAILING_DAYS,
                                                cases[index].maturity_days, &window, days),
                          0);
        assert_string_equal (window.first_day, cases[index].first_day);
        assert_string_equal (window.last_day, cases[index].last_day);
        assert_string_equal (days[0], cases[index].first_day);
        assert_string_equal (days[TEST_TRAILING_DAYS - 1], cases[index].last_day);
        assert_int_equal (window.end_ms - window.start_ms, TEST_TRAILING_DAYS * TEST_DAY_MS);
    }
    /* The newest cohort judged has had at least maturity_days whole days:
       the end of its day is that long before the newest event's day. */
    assert_int_equal (funnel_notice_window (tz, latest, 1, 90, &window, NULL), 0);
    assert_int_equal (window.end_ms + 90 * TEST_DAY_MS, INT64_C (1514678400000)); /* 12-31 */
    sp_tz_destroy (&tz);
}

/* The rule as the notifier applies it: the CRM target (50 % of leads won,
   judged from 20, maturity 365 by default) on the same cohort day. While
   the day is young it is outside the window, whatever its conversion;
   once the newest event is 366 days after it, it is judged, and fires. */
static void
test_young_cohort_not_judged_mature_one_is (void **state)
{
    (void) state;
    char error[TEST_ERROR_SIZE];
    funnel_definition_t *definition =
        funnel_definition_new (s_crm, strlen (s_crm), error, sizeof error);
    assert_non_null (definition);
    const funnel_definition_target_t *target = &funnel_definition_step (definition, 2)->target;
    assert_int_equal (target->maturity_days, TEST_CRM_MATURITY_DAYS);
    sp_tz_t *tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (tz);
    /* 30 leads on 2017-12-31 (their day), 2 of them won so far */
    const char *cohort = "2017-12-31";
    const uint64_t sample = 30, converted = 2;
    const struct {
        int64_t latest_ms;
        bool judged;
    } moments[] = {
        { INT64_C (1514721600000), false }, /* 2017-12-31T12:00Z: the cohort's own day */
        { INT64_C (1517400000000), false }, /* 2018-01-31T12:00Z: a month on */
        { INT64_C (1546257600000), false }, /* 2018-12-31T12:00Z: 365 days on */
        { INT64_C (1546300800000), true },  /* 2019-01-01T00:00Z: 365 whole days after it */
        { INT64_C (1548806400000), true },  /* 2019-01-30T00:00Z: its last day in the window */
        { INT64_C (1548892800000), false }, /* 2019-01-31T00:00Z: out of the window */
    };
    for (size_t index = 0; index < sizeof moments / sizeof moments[0]; index++) {
        funnel_notice_window_t window;
        char days[TEST_TRAILING_DAYS][FUNNEL_KEYS_DAY_SIZE];
        assert_int_equal (funnel_notice_window (tz, moments[index].latest_ms, TEST_TRAILING_DAYS,
                                                target->maturity_days, &window, days),
                          0);
        bool in_window = false;
        for (size_t day = 0; day < TEST_TRAILING_DAYS; day++)
            in_window = in_window || strcmp (days[day], cohort) == 0;
        if (in_window != moments[index].judged)
            fail_msg ("moment %zu: window %s..%s", index, window.first_day, window.last_day);
        /* what the notifier sums over the window, and judges */
        funnel_notice_condition_t condition;
        funnel_notice_evaluate (target, in_window ? sample : 0, in_window ? converted : 0,
                                &condition);
        assert_int_equal (condition.state,
                          in_window ? FUNNEL_NOTICE_FIRING : FUNNEL_NOTICE_CLEARED);
        assert_int_equal (condition.reason, in_window ? FUNNEL_NOTICE_BELOW_TARGET
                                                      : FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM);
    }
    funnel_definition_destroy (&definition);
    sp_tz_destroy (&tz);
}

/* Days are cut in the service's zone: a window over the end of summer
   time in Berlin is 30 days and one hour long. */
static void
test_window_daylight_saving (void **state)
{
    (void) state;
    char error[TEST_ERROR_SIZE];
    sp_tz_t *tz = sp_tz_new ("Europe/Berlin", error, sizeof error);
    assert_non_null (tz);
    funnel_notice_window_t window;
    /* 2017-11-11T12:00 local (11:00Z), maturity 0: ending the day before. */
    assert_int_equal (
        funnel_notice_window (tz, INT64_C (1510398000000), TEST_TRAILING_DAYS, 0, &window, NULL),
        0);
    assert_string_equal (window.first_day, "2017-10-12");
    assert_string_equal (window.last_day, "2017-11-10");
    assert_int_equal (window.start_ms, INT64_C (1507759200000)); /* 2017-10-11T22:00Z */
    assert_int_equal (window.end_ms - window.start_ms,
                      TEST_TRAILING_DAYS * TEST_DAY_MS + TEST_HOUR_MS);
    sp_tz_destroy (&tz);
}

static void
test_window_refusals (void **state)
{
    (void) state;
    char error[TEST_ERROR_SIZE];
    sp_tz_t *tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (tz);
    funnel_notice_window_t window;
    memset (&window, 0x5A, sizeof window);
    funnel_notice_window_t untouched = window;
    char days[2][FUNNEL_KEYS_DAY_SIZE];
    memset (days, 0x5A, sizeof days);
    char days_untouched[2][FUNNEL_KEYS_DAY_SIZE];
    memcpy (days_untouched, days, sizeof days);
    assert_int_equal (funnel_notice_window (tz, TEST_LATEST_MS, 0, 0, &window, NULL), -1);
    assert_int_equal (funnel_notice_window (tz, TEST_LATEST_MS, FUNNEL_NOTICE_TRAILING_DAYS_MAX + 1,
                                            0, &window, NULL),
                      -1);
    assert_int_equal (funnel_notice_window (tz, TEST_LATEST_MS, 1,
                                            FUNNEL_DEFINITION_WINDOW_DAYS_MAX + 1, &window, NULL),
                      -1);
    /* 0001-01-01 has no day before it: the newest event on 0001-01-02
       has a window of one day with maturity 0, none of two days, none
       with maturity 1. */
    const int64_t second_day = INT64_C (-62135596800000) + TEST_DAY_MS;
    assert_int_equal (funnel_notice_window (tz, second_day, 2, 0, &window, days), -1);
    assert_int_equal (funnel_notice_window (tz, second_day, 1, 1, &window, days), -1);
    assert_memory_equal (&window, &untouched, sizeof window);
    assert_memory_equal (days, days_untouched, sizeof days);
    assert_int_equal (funnel_notice_window (tz, second_day, 1, 0, &window, days), 0);
    assert_string_equal (window.first_day, "0001-01-01");
    assert_string_equal (days[0], "0001-01-01");
    sp_tz_destroy (&tz);
}

/* ---------------------------------------------------------------- notices */

/* A firing notice of crm/won in region:West over the UTC window. */
static void
s_crm_notice (funnel_notice_t *notice)
{
    char error[TEST_ERROR_SIZE];
    funnel_definition_t *definition =
        funnel_definition_new (s_crm, strlen (s_crm), error, sizeof error);
    assert_non_null (definition);
    sp_tz_t *tz = sp_tz_new ("UTC", error, sizeof error);
    assert_non_null (tz);
    funnel_notice_window_t window;
    const funnel_definition_step_t *won = funnel_definition_step (definition, 2);
    assert_int_equal (funnel_notice_window (tz, TEST_LATEST_MS, TEST_TRAILING_DAYS,
                                            won->target.maturity_days, &window, NULL),
                      0);
    funnel_notice_condition_t condition;
    funnel_notice_evaluate (&funnel_definition_step (definition, 2)->target, 120, 49, &condition);
    assert_int_equal (
        funnel_notice_fill (notice, definition, 3, 2, "region:West", &condition, 120, 49, &window),
        0);
    funnel_definition_destroy (&definition);
    sp_tz_destroy (&tz);
}

static void
test_fill_from_definition (void **state)
{
    (void) state;
    funnel_notice_t notice;
    s_crm_notice (&notice);
    assert_int_equal (notice.sequence, 0);
    assert_int_equal (notice.state, FUNNEL_NOTICE_FIRING);
    assert_int_equal (notice.reason, FUNNEL_NOTICE_BELOW_TARGET);
    assert_string_equal (notice.funnel, "crm");
    assert_int_equal (notice.funnel_version, 3);
    assert_string_equal (notice.step, "won");
    assert_int_equal (notice.step_index, 3);
    assert_string_equal (notice.from_step, "lead");
    assert_string_equal (notice.scope, "region:West");
    assert_int_equal (notice.observed_bp, 4083);
    assert_int_equal (notice.target_bp, 5000);
    assert_int_equal (notice.min_sample, 20);
    assert_int_equal (notice.sample, 120);
    assert_int_equal (notice.converted, 49);
    assert_string_equal (notice.window.first_day, "2017-12-02");
    assert_int_equal (notice.window.end_ms, TEST_WINDOW_END_MS);

    /* A scope too long for the record is refused. */
    char error[TEST_ERROR_SIZE];
    funnel_definition_t *definition =
        funnel_definition_new (s_crm, strlen (s_crm), error, sizeof error);
    assert_non_null (definition);
    char scope[FUNNEL_KEYS_SCOPE_SIZE + 8];
    memset (scope, 'x', sizeof scope - 1);
    scope[sizeof scope - 1] = '\0';
    funnel_notice_condition_t condition = { FUNNEL_NOTICE_FIRING, FUNNEL_NOTICE_BELOW_TARGET, 0 };
    funnel_notice_t before = notice;
    assert_int_equal (
        funnel_notice_fill (&notice, definition, 1, 2, scope, &condition, 1, 0, &notice.window),
        -1);
    assert_memory_equal (&notice, &before, sizeof notice);
    funnel_definition_destroy (&definition);
}

static void
test_topic (void **state)
{
    (void) state;
    char topic[FUNNEL_NOTICE_TOPIC_SIZE];
    assert_int_equal (funnel_notice_topic (topic, sizeof topic, "region:West"),
                      (int) strlen ("funnel.bottleneck.region:West"));
    assert_string_equal (topic, "funnel.bottleneck.region:West");
    assert_int_equal (funnel_notice_topic (topic, sizeof topic, "company"),
                      (int) strlen ("funnel.bottleneck.company"));
    assert_string_equal (topic, "funnel.bottleneck.company");
    char small[20];
    assert_int_equal (funnel_notice_topic (small, sizeof small, "team:T"), -1);
    assert_string_equal (small, "");
}

/* Every field equal (struct padding aside). */
static void
s_assert_same_notice (const funnel_notice_t *left, const funnel_notice_t *right)
{
    assert_int_equal (left->sequence, right->sequence);
    assert_int_equal (left->state, right->state);
    assert_int_equal (left->reason, right->reason);
    assert_string_equal (left->funnel, right->funnel);
    assert_int_equal (left->funnel_version, right->funnel_version);
    assert_string_equal (left->step, right->step);
    assert_int_equal (left->step_index, right->step_index);
    assert_string_equal (left->from_step, right->from_step);
    assert_string_equal (left->scope, right->scope);
    assert_int_equal (left->observed_bp, right->observed_bp);
    assert_int_equal (left->target_bp, right->target_bp);
    assert_int_equal (left->min_sample, right->min_sample);
    assert_int_equal (left->sample, right->sample);
    assert_int_equal (left->converted, right->converted);
    assert_int_equal (left->window.start_ms, right->window.start_ms);
    assert_int_equal (left->window.end_ms, right->window.end_ms);
    assert_string_equal (left->window.first_day, right->window.first_day);
    assert_string_equal (left->window.last_day, right->window.last_day);
    assert_int_equal (left->created_at_ms, right->created_at_ms);
}

/* Packs a message and reads it back into read. */
static int
s_round_trip (Salespulse__FunnelBottleneck *edit, funnel_notice_t *read, char *error,
              size_t error_size)
{
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal (
        sp_proto_pack (&edit->base, FUNNEL_NOTICE_MESSAGE_MAX, &data, &size, error, error_size), 0);
    Salespulse__FunnelBottleneck *message = (Salespulse__FunnelBottleneck *) sp_proto_unpack (
        &salespulse__funnel_bottleneck__descriptor, data, size, FUNNEL_NOTICE_MESSAGE_MAX, NULL,
        NULL, error, error_size);
    free (data);
    assert_non_null (message);
    int rc = funnel_notice_from_message (message, read, error, error_size);
    ProtobufCMessage *base = &message->base;
    sp_proto_free (&base);
    return rc;
}

static void
test_message_round_trip (void **state)
{
    (void) state;
    funnel_notice_t notice;
    s_crm_notice (&notice);
    notice.sequence = 12;
    notice.created_at_ms = INT64_C (1700000000123);
    Salespulse__FunnelBottleneck message;
    funnel_notice_to_message (&notice, &message);
    assert_int_equal (message.state, SALESPULSE__FUNNEL_BOTTLENECK__STATE__FIRING);
    assert_int_equal (message.reason, SALESPULSE__FUNNEL_BOTTLENECK__REASON__BELOW_TARGET);
    funnel_notice_t read;
    char error[TEST_ERROR_SIZE] = "";
    assert_int_equal (s_round_trip (&message, &read, error, sizeof error), 0);
    s_assert_same_notice (&read, &notice);

    notice.state = FUNNEL_NOTICE_CLEARED;
    notice.reason = FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM;
    funnel_notice_to_message (&notice, &message);
    assert_int_equal (s_round_trip (&message, &read, error, sizeof error), 0);
    assert_int_equal (read.state, FUNNEL_NOTICE_CLEARED);
    assert_int_equal (read.reason, FUNNEL_NOTICE_SAMPLE_BELOW_MINIMUM);
}

/* Each broken field is refused with its name; the output is untouched. */
static void
test_message_refusals (void **state)
{
    (void) state;
    funnel_notice_t notice;
    s_crm_notice (&notice);
    notice.sequence = 5;
    struct {
        const char *field; /* expected in the error */
        int change;        /* what to break */
    } cases[] = {
        { "sequence", 0 },   { "state", 1 },       { "reason", 2 },     { "reason", 3 },
        { "funnel", 4 },     { "step", 5 },        { "from_step", 6 },  { "scope", 7 },
        { "scope", 8 },      { "observed_bp", 9 }, { "target_bp", 10 }, { "min_sample", 11 },
        { "sample", 12 },    { "first_day", 13 },  { "first_day", 14 }, { "step_index", 15 },
        { "first_day", 16 }, { "first_day", 17 },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        Salespulse__FunnelBottleneck message;
        funnel_notice_to_message (&notice, &message);
        switch (cases[index].change) {
            case 0:
                message.sequence = 0;
                break;
            case 1:
                message.state = SALESPULSE__FUNNEL_BOTTLENECK__STATE__STATE_UNSPECIFIED;
                break;
            case 2:
                message.reason = SALESPULSE__FUNNEL_BOTTLENECK__REASON__REASON_UNSPECIFIED;
                break;
            case 3:
                message.reason = SALESPULSE__FUNNEL_BOTTLENECK__REASON__RECOVERED;
                break;
            case 4:
                message.funnel = (char *) "CRM";
                break;
            case 5:
                message.step = (char *) "";
                break;
            case 6:
                message.from_step = (char *) "le ad";
                break;
            case 7:
                message.scope = (char *) "galaxy:Far";
                break;
            case 8:
                message.scope = (char *) "team:";
                break;
            case 9:
                message.observed_bp = 10001;
                break;
            case 10:
                message.target_bp = 20000;
                break;
            case 11:
                message.min_sample = 0;
                break;
            case 12:
                message.sample = FUNNEL_NOTICE_COUNT_MAX + 1;
                break;
            case 13:
                message.first_day = (char *) "2017-1-02";
                break;
            case 14:
                message.last_day = (char *) "2017-12-01";
                break;
            case 15:
                message.step_index = 0;
                break;
            case 16:
                message.window_end_ms = message.window_start_ms;
                break;
            case 17:
                message.first_day = (char *) "2017-11-31"; /* shaped as a day, not one */
                break;
        }
        funnel_notice_t read;
        memset (&read, 0x3C, sizeof read);
        funnel_notice_t untouched = read;
        char error[TEST_ERROR_SIZE] = "";
        assert_int_equal (funnel_notice_from_message (&message, &read, error, sizeof error), -1);
        if (!strstr (error, cases[index].field))
            fail_msg ("case %zu: \"%s\" does not name %s", index, error, cases[index].field);
        assert_memory_equal (&read, &untouched, sizeof read);
    }
}

/* ---------------------------------------------------------------- text */

static void
test_names_and_percent (void **state)
{
    (void) state;
    assert_string_equal (funnel_notice_state_name (FUNNEL_NOTICE_FIRING), "firing");
    assert_string_equal (funnel_notice_state_name (FUNNEL_NOTICE_CLEARED), "cleared");
    const char *reasons[] = { "below_target", "recovered", "sample_below_minimum",
                              "target_removed" };
    for (size_t index = 0; index < 4; index++) {
        assert_string_equal (funnel_notice_reason_name ((funnel_notice_reason_t) index),
                             reasons[index]);
        funnel_notice_reason_t reason = FUNNEL_NOTICE_BELOW_TARGET;
        assert_int_equal (funnel_notice_reason_parse (reasons[index], &reason), 0);
        assert_int_equal (reason, (funnel_notice_reason_t) index);
    }
    funnel_notice_state_t parsed = FUNNEL_NOTICE_CLEARED;
    assert_int_equal (funnel_notice_state_parse ("firing", &parsed), 0);
    assert_int_equal (parsed, FUNNEL_NOTICE_FIRING);
    assert_int_equal (funnel_notice_state_parse ("FIRING", &parsed), -1);
    assert_int_equal (funnel_notice_state_parse (NULL, &parsed), -1);
    assert_int_equal (parsed, FUNNEL_NOTICE_FIRING);
    funnel_notice_reason_t reason = FUNNEL_NOTICE_RECOVERED;
    assert_int_equal (funnel_notice_reason_parse ("lost", &reason), -1);
    assert_int_equal (reason, FUNNEL_NOTICE_RECOVERED);

    char text[FUNNEL_NOTICE_PERCENT_SIZE];
    funnel_notice_percent (4120, text, sizeof text);
    assert_string_equal (text, "41.2%");
    funnel_notice_percent (5000, text, sizeof text);
    assert_string_equal (text, "50.0%");
    funnel_notice_percent (2525, text, sizeof text);
    assert_string_equal (text, "25.25%");
    funnel_notice_percent (7, text, sizeof text);
    assert_string_equal (text, "0.07%");
    funnel_notice_percent (0, text, sizeof text);
    assert_string_equal (text, "0.0%");
    funnel_notice_percent (10000, text, sizeof text);
    assert_string_equal (text, "100.0%");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fires_below_target),
        cmocka_unit_test (test_clears_at_or_above_target),
        cmocka_unit_test (test_exact_target_boundary),
        cmocka_unit_test (test_min_sample_boundary),
        cmocka_unit_test (test_extreme_targets_and_counts),
        cmocka_unit_test (test_transition_decisions),
        cmocka_unit_test (test_window_utc),
        cmocka_unit_test (test_window_daylight_saving),
        cmocka_unit_test (test_window_refusals),
        cmocka_unit_test (test_window_maturity),
        cmocka_unit_test (test_young_cohort_not_judged_mature_one_is),
        cmocka_unit_test (test_fill_from_definition),
        cmocka_unit_test (test_topic),
        cmocka_unit_test (test_message_round_trip),
        cmocka_unit_test (test_message_refusals),
        cmocka_unit_test (test_names_and_percent),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
