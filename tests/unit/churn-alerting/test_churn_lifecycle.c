/*  test_churn_lifecycle - the life of a churn alert (churn_lifecycle):
    fire once, anti-flap, repeat interval, acknowledgement muting repeats
    and expiring, resolve while acknowledged, inhibition of warnings by a
    critical of the same customer and its release, a silent customer going
    overdue end to end (rules and lifecycle), and the storage form: round
    trips, and every malformed record refused with the state untouched.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "churn_lifecycle.h"

#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define FILL 0x5a /* pattern of an output before a call that must fail */
#define DAY 20000 /* 2024-10-04: the first period of most tests */
#define ERROR_SIZE 256
#define LONG_TEXT 300 /* longer than a note */

/* A condition for s_step. */
typedef enum {
    S_CLEAR = 0,   /* judged, clear */
    S_HOLDS = 1,   /* judged, holds */
    S_UNKNOWN = 2, /* not judged */
} s_verdict_t;

static churn_rules_settings_t
s_defaults (void)
{
    churn_rules_settings_t settings;
    churn_rules_settings_default (&settings);
    return settings;
}

static churn_rules_condition_t
s_condition (churn_rules_rule_t rule, int64_t day, s_verdict_t verdict)
{
    churn_rules_condition_t condition;
    memset (&condition, 0, sizeof condition);
    condition.rule = rule;
    condition.day = day;
    condition.judged = verdict != S_UNKNOWN;
    condition.holds = verdict == S_HOLDS;
    return condition;
}

/* One step of rule's state; must succeed. */
static churn_lifecycle_action_t
s_step (churn_lifecycle_t *state, const churn_rules_settings_t *settings, churn_rules_rule_t rule,
        int64_t day, s_verdict_t verdict, bool critical_firing)
{
    churn_rules_condition_t condition = s_condition (rule, day, verdict);
    churn_lifecycle_action_t action = (churn_lifecycle_action_t) FILL;
    assert_int_equal (churn_lifecycle_step (state, settings, &condition, critical_firing, &action),
                      0);
    assert_int_equal (state->last_day, day);
    assert_true (state->has_day);
    return action;
}

/* A critical rule's step (red_entry) without any other alert. */
static churn_lifecycle_action_t
s_red (churn_lifecycle_t *state, const churn_rules_settings_t *settings, int64_t day,
       s_verdict_t verdict)
{
    return s_step (state, settings, CHURN_RULES_RED_ENTRY, day, verdict, false);
}

static void
s_assert_state_equal (const churn_lifecycle_t *left, const churn_lifecycle_t *right)
{
    assert_int_equal (left->status, right->status);
    assert_int_equal (left->has_day, right->has_day);
    assert_int_equal (left->last_day, right->last_day);
    assert_int_equal (left->fired_day, right->fired_day);
    assert_int_equal (left->last_sent_day, right->last_sent_day);
    assert_int_equal (left->periods_since_sent, right->periods_since_sent);
    assert_int_equal (left->clear_periods, right->clear_periods);
    assert_int_equal (left->has_ack, right->has_ack);
    assert_int_equal (left->ack_day, right->ack_day);
    assert_int_equal (left->ack_until_day, right->ack_until_day);
    assert_string_equal (left->ack_rep, right->ack_rep);
    assert_string_equal (left->ack_note, right->ack_note);
}

// ---------------------------------------------------------------- fire and replay

/* One firing alert per identity: the condition holding again sends
   nothing; a period stepped twice is refused. */
static void
test_fire_once (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t alert;
    memset (&alert, FILL, sizeof alert);
    churn_lifecycle_init (&alert);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_NONE);
    assert_false (alert.has_day);

    assert_int_equal (s_red (&alert, &settings, DAY, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_NONE);
    assert_int_equal (s_red (&alert, &settings, DAY + 1, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_FIRING);
    assert_int_equal (alert.fired_day, DAY + 1);
    assert_int_equal (alert.last_sent_day, DAY + 1);
    assert_int_equal (alert.periods_since_sent, 0);
    for (int64_t day = DAY + 2; day < DAY + 8; day++)
        assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.fired_day, DAY + 1);
    assert_int_equal (alert.periods_since_sent, 6);

    /* Replays and earlier periods are refused, state and action untouched. */
    churn_lifecycle_t before = alert;
    churn_lifecycle_action_t action = (churn_lifecycle_action_t) FILL;
    churn_rules_condition_t condition = s_condition (CHURN_RULES_RED_ENTRY, DAY + 7, S_CLEAR);
    assert_int_equal (churn_lifecycle_step (&alert, &settings, &condition, false, &action), -1);
    condition.day = DAY;
    assert_int_equal (churn_lifecycle_step (&alert, &settings, &condition, false, &action), -1);
    assert_int_equal (action, (churn_lifecycle_action_t) FILL);
    s_assert_state_equal (&alert, &before);

    /* Periods need not be days apart (a weekly period). */
    assert_int_equal (s_red (&alert, &settings, DAY + 14, S_HOLDS), CHURN_LIFECYCLE_REPEAT);
}

/* A period not judged (no score) changes nothing: it neither counts as
   clear nor breaks a clear run, nor moves the repeat on. */
static void
test_not_judged (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_UNKNOWN), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_NONE);
    assert_int_equal (s_red (&alert, &settings, DAY + 1, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (s_red (&alert, &settings, DAY + 2, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.clear_periods, 1);
    for (int64_t day = DAY + 3; day < DAY + 20; day++)
        assert_int_equal (s_red (&alert, &settings, day, S_UNKNOWN), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_FIRING);
    assert_int_equal (alert.clear_periods, 1);
    assert_int_equal (alert.periods_since_sent, 1);
    assert_int_equal (s_red (&alert, &settings, DAY + 20, S_CLEAR), CHURN_LIFECYCLE_RESOLVE);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_NONE);
}

// ---------------------------------------------------------------- anti-flap

/* Resolved after K clear periods in a row; K − 1 and back keeps the one
   alert: no second FIRE. */
static void
test_anti_flap (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults (); /* K = 2 */
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    int64_t day = DAY;
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.clear_periods, 1);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_FIRING);
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.clear_periods, 0);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.fired_day, DAY);

    /* Flapping does not hold the repeat back: 7 periods after the fire. */
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_REPEAT);
    assert_int_equal (alert.last_sent_day, DAY + 7);

    /* Two clear periods in a row: resolved; then holding again is a new alert. */
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_RESOLVE);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_NONE);
    assert_int_equal (alert.fired_day, 0);
    assert_int_equal (alert.clear_periods, 0);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (alert.fired_day, day);

    /* K = 3: two clear and back is still the same alert. */
    settings.resolve_after = 3;
    churn_lifecycle_init (&alert);
    day = DAY;
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.clear_periods, 2);
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_RESOLVE);

    /* K = 1: the first clear period resolves. */
    settings.resolve_after = 1;
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_RESOLVE);

    /* K lowered under a running clear count: resolves at the next clear period. */
    settings.resolve_after = 5;
    assert_int_equal (s_red (&alert, &settings, day++, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    for (int index = 0; index < 3; index++)
        assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    settings.resolve_after = 2;
    assert_int_equal (s_red (&alert, &settings, day++, S_CLEAR), CHURN_LIFECYCLE_RESOLVE);
}

// ---------------------------------------------------------------- repeat

/* An unchanged firing alert is sent again every repeat_periods periods
   while its condition holds; never with repeat_periods 0. */
static void
test_repeat_interval (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults (); /* every 7 periods */
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    int repeats = 0;
    for (int64_t day = DAY + 1; day <= DAY + 21; day++) {
        churn_lifecycle_action_t action = s_red (&alert, &settings, day, S_HOLDS);
        if ((day - DAY) % 7 == 0) {
            assert_int_equal (action, CHURN_LIFECYCLE_REPEAT);
            assert_int_equal (alert.last_sent_day, day);
            assert_int_equal (alert.periods_since_sent, 0);
            repeats++;
        }
        else
            assert_int_equal (action, CHURN_LIFECYCLE_NOTHING);
    }
    assert_int_equal (repeats, 3);
    assert_int_equal (alert.fired_day, DAY);

    /* A repeat falling on a clear period waits for the condition to hold. */
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    for (int64_t day = DAY + 1; day < DAY + 7; day++)
        assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, DAY + 7, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, DAY + 8, S_HOLDS), CHURN_LIFECYCLE_REPEAT);

    /* Every period, and never. */
    settings.repeat_periods = 1;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (s_red (&alert, &settings, DAY + 1, S_HOLDS), CHURN_LIFECYCLE_REPEAT);
    assert_int_equal (s_red (&alert, &settings, DAY + 2, S_HOLDS), CHURN_LIFECYCLE_REPEAT);
    settings.repeat_periods = 0;
    for (int64_t day = DAY + 3; day < DAY + 100; day++)
        assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (alert.periods_since_sent, 97);
}

// ---------------------------------------------------------------- acknowledgement

/* An acknowledgement mutes the repeats up to its day, inclusive; after
   it the repeats come back, the first at once. */
static void
test_ack_mutes_and_expires (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_lifecycle_ack (&alert, DAY + 2, DAY + 10, "rep-7",
                                           "called, visit on Friday", error, sizeof error),
                      0);
    assert_true (alert.has_ack);
    assert_int_equal (alert.ack_day, DAY + 2);
    assert_int_equal (alert.ack_until_day, DAY + 10);
    assert_string_equal (alert.ack_rep, "rep-7");
    assert_string_equal (alert.ack_note, "called, visit on Friday");
    assert_true (churn_lifecycle_muted (&alert, DAY + 10));
    assert_false (churn_lifecycle_muted (&alert, DAY + 11));

    for (int64_t day = DAY + 1; day < DAY + 7; day++)
        assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    /* Due from day 7 on, muted to day 10. */
    for (int64_t day = DAY + 7; day <= DAY + 10; day++) {
        assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_MUTED);
        assert_true (alert.has_ack);
        assert_int_equal (alert.last_sent_day, DAY);
    }
    /* Expired: the acknowledgement is gone and the repeat goes out. */
    assert_int_equal (s_red (&alert, &settings, DAY + 11, S_HOLDS), CHURN_LIFECYCLE_REPEAT);
    assert_false (alert.has_ack);
    assert_string_equal (alert.ack_rep, "");
    assert_string_equal (alert.ack_note, "");
    assert_int_equal (alert.ack_until_day, 0);
    assert_int_equal (alert.last_sent_day, DAY + 11);
    for (int64_t day = DAY + 12; day < DAY + 18; day++)
        assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, DAY + 18, S_HOLDS), CHURN_LIFECYCLE_REPEAT);

    /* An acknowledgement without a note; a new one replaces it. An
       acknowledgement that ends on a clear or unjudged period ends too. */
    assert_int_equal (churn_lifecycle_ack (&alert, DAY + 18, DAY + 30, "rep-7", NULL, NULL, 0), 0);
    assert_string_equal (alert.ack_note, "");
    assert_int_equal (churn_lifecycle_ack (&alert, DAY + 18, DAY + 19, "rep-9", "short", NULL, 0),
                      0);
    assert_string_equal (alert.ack_rep, "rep-9");
    assert_string_equal (alert.ack_note, "short");
    assert_int_equal (alert.ack_until_day, DAY + 19);
    assert_int_equal (s_red (&alert, &settings, DAY + 19, S_UNKNOWN), CHURN_LIFECYCLE_NOTHING);
    assert_true (alert.has_ack);
    assert_int_equal (s_red (&alert, &settings, DAY + 20, S_UNKNOWN), CHURN_LIFECYCLE_NOTHING);
    assert_false (alert.has_ack);
}

/* An acknowledgement that must be refused, alert untouched. */
static void
s_assert_ack_refused (churn_lifecycle_t *alert, int64_t day, int64_t until_day, const char *rep,
                      const char *note, const char *message)
{
    churn_lifecycle_t before = *alert;
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_lifecycle_ack (alert, day, until_day, rep, note, error, sizeof error),
                      -1);
    assert_string_equal (error, message);
    s_assert_state_equal (alert, &before);
}

static void
test_ack_refused (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    s_assert_ack_refused (&alert, DAY, DAY + 1, "rep-7", NULL, "no firing alert to acknowledge");
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);

    s_assert_ack_refused (&alert, DAY, DAY - 1, "rep-7", NULL,
                          "the expiry is before the day of the acknowledgement");
    s_assert_ack_refused (&alert, DAY, DAY + 367, "rep-7", NULL,
                          "the expiry is more than 366 days after the day");
    s_assert_ack_refused (&alert, INT64_MIN, INT64_MAX, "rep-7", NULL,
                          "the expiry is more than 366 days after the day");
    s_assert_ack_refused (&alert, DAY, DAY, "", NULL, "the rep must not be empty");
    s_assert_ack_refused (&alert, DAY, DAY, NULL, NULL, "the rep must not be empty");
    char text[LONG_TEXT + 1];
    memset (text, 'x', LONG_TEXT);
    text[CHURN_LIFECYCLE_REP_MAX + 1] = '\0';
    s_assert_ack_refused (&alert, DAY, DAY, text, NULL, "the rep is longer than 64 bytes");
    s_assert_ack_refused (&alert, DAY, DAY, "rep\t7", NULL, "the rep has a control character");
    s_assert_ack_refused (&alert, DAY, DAY, "rep\xff", NULL, "the rep is not valid UTF-8");
    memset (text, 'x', LONG_TEXT);
    text[CHURN_LIFECYCLE_NOTE_MAX + 1] = '\0';
    s_assert_ack_refused (&alert, DAY, DAY, "rep-7", text, "the note is longer than 256 bytes");
    s_assert_ack_refused (&alert, DAY, DAY, "rep-7", "line\nbreak",
                          "the note has a control character");
    s_assert_ack_refused (&alert, DAY, DAY, "rep-7", "c1 \xc2\x85 next line",
                          "the note has a control character");
    s_assert_ack_refused (&alert, DAY, DAY, "rep-7", "delete \x7f",
                          "the note has a control character");
    s_assert_ack_refused (&alert, DAY, DAY, "rep-7", "\xc3\x28", "the note is not valid UTF-8");

    /* The limits themselves are fine. */
    text[CHURN_LIFECYCLE_NOTE_MAX] = '\0';
    assert_int_equal (churn_lifecycle_ack (&alert, DAY, DAY + CHURN_LIFECYCLE_ACK_DAYS_MAX,
                                           "r\xc3\xa9p", text, NULL, 0),
                      0);
    assert_int_equal (strlen (alert.ack_note), CHURN_LIFECYCLE_NOTE_MAX);
    memset (text, 'y', LONG_TEXT);
    text[CHURN_LIFECYCLE_REP_MAX] = '\0';
    assert_int_equal (churn_lifecycle_ack (&alert, DAY, DAY, text, "ok \xc2\xa0 nbsp", NULL, 0), 0);
    assert_int_equal (strlen (alert.ack_rep), CHURN_LIFECYCLE_REP_MAX);
    assert_string_equal (alert.ack_note, "ok \xc2\xa0 nbsp");
}

/* A resolve while acknowledged resolves (the resolve is sent) and ends
   the acknowledgement; the next alert is new and repeats unmuted. */
static void
test_resolve_while_acknowledged (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (churn_lifecycle_ack (&alert, DAY, DAY + 100, "rep-7", "on it", NULL, 0), 0);
    assert_int_equal (s_red (&alert, &settings, DAY + 1, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    assert_true (alert.has_ack);
    assert_int_equal (s_red (&alert, &settings, DAY + 2, S_CLEAR), CHURN_LIFECYCLE_RESOLVE);
    assert_int_equal (alert.status, CHURN_LIFECYCLE_NONE);
    assert_false (alert.has_ack);
    assert_string_equal (alert.ack_rep, "");
    assert_string_equal (alert.ack_note, "");
    assert_int_equal (alert.ack_until_day, 0);
    assert_false (churn_lifecycle_muted (&alert, DAY + 3));

    assert_int_equal (s_red (&alert, &settings, DAY + 3, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    for (int64_t day = DAY + 4; day < DAY + 10; day++)
        assert_int_equal (s_red (&alert, &settings, day, S_HOLDS), CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (s_red (&alert, &settings, DAY + 10, S_HOLDS), CHURN_LIFECYCLE_REPEAT);
}

// ---------------------------------------------------------------- inhibition

/* Conditions of one customer for one day: red_entry (critical) and
   single_drop (warning) as given, the others clear. */
static void
s_customer (churn_rules_condition_t *conditions, int64_t day, s_verdict_t red, s_verdict_t drop)
{
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        conditions[rule] = s_condition ((churn_rules_rule_t) rule, day, S_CLEAR);
    conditions[CHURN_RULES_RED_ENTRY] = s_condition (CHURN_RULES_RED_ENTRY, day, red);
    conditions[CHURN_RULES_SINGLE_DROP] = s_condition (CHURN_RULES_SINGLE_DROP, day, drop);
}

/* Steps a customer; returns the actions of red_entry and single_drop and
   checks the other two did nothing. */
static void
s_step_customer (churn_lifecycle_t *states, const churn_rules_settings_t *settings, int64_t day,
                 s_verdict_t red, s_verdict_t drop, churn_lifecycle_action_t red_action,
                 churn_lifecycle_action_t drop_action)
{
    churn_rules_condition_t conditions[CHURN_RULES_COUNT];
    s_customer (conditions, day, red, drop);
    churn_lifecycle_action_t actions[CHURN_RULES_COUNT];
    memset (actions, FILL, sizeof actions);
    assert_int_equal (churn_lifecycle_step_customer (states, settings, conditions, actions), 0);
    assert_int_equal (actions[CHURN_RULES_RED_ENTRY], red_action);
    assert_int_equal (actions[CHURN_RULES_SINGLE_DROP], drop_action);
    assert_int_equal (actions[CHURN_RULES_CONSECUTIVE_DROPS], CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (actions[CHURN_RULES_OVERDUE], CHURN_LIFECYCLE_NOTHING);
}

static void
s_init_customer (churn_lifecycle_t *states)
{
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        churn_lifecycle_init (&states[rule]);
}

/* A warning whose condition holds while a critical of the customer fires
   is not fired; it fires the period the critical resolves. */
static void
test_inhibition (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    s_init_customer (states);
    int64_t day = DAY;
    /* Both start the same period: the critical is stepped first. */
    s_step_customer (states, &settings, day++, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_FIRE,
                     CHURN_LIFECYCLE_INHIBITED);
    assert_int_equal (states[CHURN_RULES_SINGLE_DROP].status, CHURN_LIFECYCLE_NONE);
    s_step_customer (states, &settings, day++, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_INHIBITED);
    s_step_customer (states, &settings, day++, S_HOLDS, S_CLEAR, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_NOTHING);
    /* The critical clear once: still firing, still inhibiting. */
    s_step_customer (states, &settings, day++, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_INHIBITED);
    /* The critical resolves: the warning fires in that same period. */
    s_step_customer (states, &settings, day++, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_RESOLVE,
                     CHURN_LIFECYCLE_FIRE);
    assert_int_equal (states[CHURN_RULES_SINGLE_DROP].status, CHURN_LIFECYCLE_FIRING);
    assert_int_equal (states[CHURN_RULES_SINGLE_DROP].fired_day, day - 1);

    /* A critical for another customer does not inhibit: other states. */
    churn_lifecycle_t other[CHURN_RULES_COUNT];
    s_init_customer (other);
    s_step_customer (other, &settings, DAY, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_FIRE);

    /* A critical never inhibits a critical; severities are settings. */
    settings.severity[CHURN_RULES_SINGLE_DROP] = CHURN_RULES_CRITICAL;
    s_init_customer (states);
    s_step_customer (states, &settings, DAY, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_FIRE,
                     CHURN_LIFECYCLE_FIRE);
    settings = s_defaults ();
    settings.severity[CHURN_RULES_RED_ENTRY] = CHURN_RULES_WARNING;
    s_init_customer (states);
    s_step_customer (states, &settings, DAY, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_FIRE,
                     CHURN_LIFECYCLE_FIRE);

    /* Directly: critical_firing is not read for a critical rule. */
    settings = s_defaults ();
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_step (&alert, &settings, CHURN_RULES_OVERDUE, DAY, S_HOLDS, true),
                      CHURN_LIFECYCLE_FIRE);
    churn_lifecycle_init (&alert);
    assert_int_equal (s_step (&alert, &settings, CHURN_RULES_CONSECUTIVE_DROPS, DAY, S_HOLDS, true),
                      CHURN_LIFECYCLE_INHIBITED);
}

/* A warning already firing when a critical starts stays firing: its
   repeats are inhibited, its resolve is sent, and the repeat comes back
   once the critical resolves. */
static void
test_inhibition_of_a_firing_warning (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    s_init_customer (states);
    s_step_customer (states, &settings, DAY, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_FIRE);
    s_step_customer (states, &settings, DAY + 1, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_FIRE,
                     CHURN_LIFECYCLE_NOTHING);
    assert_int_equal (states[CHURN_RULES_SINGLE_DROP].status, CHURN_LIFECYCLE_FIRING);
    for (int64_t day = DAY + 2; day < DAY + 7; day++)
        s_step_customer (states, &settings, day, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                         CHURN_LIFECYCLE_NOTHING);
    /* The warning's repeat is due at DAY + 7 and held back; so are the
       critical's until its own is due at DAY + 8. */
    s_step_customer (states, &settings, DAY + 7, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_INHIBITED);
    s_step_customer (states, &settings, DAY + 8, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_REPEAT,
                     CHURN_LIFECYCLE_INHIBITED);
    assert_int_equal (states[CHURN_RULES_SINGLE_DROP].last_sent_day, DAY);
    /* The critical resolves: the warning's overdue repeat goes out with it. */
    s_step_customer (states, &settings, DAY + 9, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_INHIBITED);
    s_step_customer (states, &settings, DAY + 10, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_RESOLVE,
                     CHURN_LIFECYCLE_REPEAT);
    assert_int_equal (states[CHURN_RULES_SINGLE_DROP].last_sent_day, DAY + 10);

    /* A firing warning resolves while a critical fires. */
    s_step_customer (states, &settings, DAY + 11, S_HOLDS, S_CLEAR, CHURN_LIFECYCLE_FIRE,
                     CHURN_LIFECYCLE_NOTHING);
    s_step_customer (states, &settings, DAY + 12, S_HOLDS, S_CLEAR, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_RESOLVE);
    assert_int_equal (states[CHURN_RULES_SINGLE_DROP].status, CHURN_LIFECYCLE_NONE);

    /* An acknowledged warning under a critical: inhibited wins. */
    s_init_customer (states);
    s_step_customer (states, &settings, DAY, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_FIRE);
    assert_int_equal (churn_lifecycle_ack (&states[CHURN_RULES_SINGLE_DROP], DAY, DAY + 30, "rep-7",
                                           NULL, NULL, 0),
                      0);
    for (int64_t day = DAY + 1; day < DAY + 7; day++)
        s_step_customer (states, &settings, day, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                         CHURN_LIFECYCLE_NOTHING);
    s_step_customer (states, &settings, DAY + 7, S_CLEAR, S_HOLDS, CHURN_LIFECYCLE_NOTHING,
                     CHURN_LIFECYCLE_MUTED);
    s_step_customer (states, &settings, DAY + 8, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_FIRE,
                     CHURN_LIFECYCLE_INHIBITED);
}

/* The customer step refuses a period already stepped for any rule, and
   changes nothing. */
static void
test_customer_replay (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    s_init_customer (states);
    s_step_customer (states, &settings, DAY, S_HOLDS, S_HOLDS, CHURN_LIFECYCLE_FIRE,
                     CHURN_LIFECYCLE_INHIBITED);
    /* One rule stepped alone ahead of the others. */
    assert_int_equal (s_step (&states[CHURN_RULES_OVERDUE], &settings, CHURN_RULES_OVERDUE, DAY + 1,
                              S_CLEAR, false),
                      CHURN_LIFECYCLE_NOTHING);
    churn_lifecycle_t before[CHURN_RULES_COUNT];
    memcpy (before, states, sizeof before);
    churn_rules_condition_t conditions[CHURN_RULES_COUNT];
    churn_lifecycle_action_t actions[CHURN_RULES_COUNT];
    churn_lifecycle_action_t untouched[CHURN_RULES_COUNT];
    memset (actions, FILL, sizeof actions);
    memset (untouched, FILL, sizeof untouched);
    s_customer (conditions, DAY + 1, S_CLEAR, S_CLEAR);
    assert_int_equal (churn_lifecycle_step_customer (states, &settings, conditions, actions), -1);
    s_customer (conditions, DAY, S_CLEAR, S_CLEAR);
    assert_int_equal (churn_lifecycle_step_customer (states, &settings, conditions, actions), -1);
    assert_memory_equal (actions, untouched, sizeof actions);
    for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
        s_assert_state_equal (&states[rule], &before[rule]);
}

// ---------------------------------------------------------------- silent customer

#define S_LAST_ORDER (DAY - 5) /* the customer's last order */
#define S_TYPICAL 10           /* its typical interval: overdue after 20 days */

/* A customer with no events: a period a day with a steady green score and
   the days since the last order growing. The caller evaluates each day;
   the customer goes overdue on its own, fires, repeats, and resolves two
   periods after a new order. */
static void
test_silent_customer (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t states[CHURN_RULES_COUNT];
    s_init_customer (states);
    churn_rules_period_t history[CHURN_RULES_HISTORY_MAX];
    size_t count = 0;
    int64_t last_order = S_LAST_ORDER;
    int64_t fired = 0;
    int64_t repeated = 0;
    int64_t resolved = 0;
    for (int64_t day = DAY; day < DAY + 40; day++) {
        if (day == DAY + 30)
            last_order = day; /* a new order at last */
        churn_rules_period_t period = {
            .day = day,
            .has_score = true,
            .score = 80,
            .band = CHURN_BAND_GREEN,
            .has_interval = true,
            .days_since_order = day - last_order,
            .typical_interval_days = S_TYPICAL,
        };
        if (count == CHURN_RULES_HISTORY_MAX) {
            memmove (history, history + 1, (count - 1) * sizeof *history);
            count--;
        }
        history[count++] = period;
        churn_rules_condition_t conditions[CHURN_RULES_COUNT];
        assert_int_equal (churn_rules_evaluate (&settings, history, count, conditions), 0);
        churn_lifecycle_action_t actions[CHURN_RULES_COUNT];
        assert_int_equal (churn_lifecycle_step_customer (states, &settings, conditions, actions),
                          0);
        for (int rule = 0; rule < CHURN_RULES_COUNT; rule++)
            if (rule != CHURN_RULES_OVERDUE)
                assert_int_equal (actions[rule], CHURN_LIFECYCLE_NOTHING);
        const churn_rules_condition_t *overdue = &conditions[CHURN_RULES_OVERDUE];
        assert_int_equal (overdue->limit_days, 2 * S_TYPICAL);
        switch (actions[CHURN_RULES_OVERDUE]) {
            case CHURN_LIFECYCLE_FIRE:
                assert_int_equal (fired, 0);
                assert_int_equal (overdue->days_since_order, 2 * S_TYPICAL + 1);
                fired = day;
                break;
            case CHURN_LIFECYCLE_REPEAT:
                assert_int_equal (repeated, 0);
                repeated = day;
                break;
            case CHURN_LIFECYCLE_RESOLVE:
                assert_int_equal (resolved, 0);
                assert_int_equal (overdue->days_since_order, 1);
                resolved = day;
                break;
            case CHURN_LIFECYCLE_NOTHING:
                break;
            default:
                fail_msg ("unexpected action %s",
                          churn_lifecycle_action_name (actions[CHURN_RULES_OVERDUE]));
        }
    }
    assert_int_equal (fired, S_LAST_ORDER + 2 * S_TYPICAL + 1); /* DAY + 16 */
    assert_int_equal (repeated, fired + 7);
    assert_int_equal (resolved, DAY + 31);
    assert_int_equal (states[CHURN_RULES_OVERDUE].status, CHURN_LIFECYCLE_NONE);
}

// ---------------------------------------------------------------- storage form

/* Packs state, unpacks it, and checks the round trip; returns the size. */
static size_t
s_round_trip (const churn_lifecycle_t *alert)
{
    unsigned char buffer[CHURN_LIFECYCLE_PACKED_MAX];
    size_t size = churn_lifecycle_pack (alert, buffer, sizeof buffer);
    assert_true (size > 0);
    churn_lifecycle_t back;
    memset (&back, FILL, sizeof back);
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_lifecycle_unpack (&back, buffer, size, error, sizeof error), 0);
    assert_string_equal (error, "");
    s_assert_state_equal (&back, alert);
    /* Too small a buffer: 0. */
    assert_int_equal (churn_lifecycle_pack (alert, buffer, size - 1), 0);
    assert_int_equal (churn_lifecycle_pack (alert, NULL, 0), 0);
    return size;
}

static void
test_pack_round_trip (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_round_trip (&alert), 63); /* header, 7 integers, two empty texts */
    assert_int_equal (s_red (&alert, &settings, -5, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (s_red (&alert, &settings, 3, S_CLEAR), CHURN_LIFECYCLE_NOTHING);
    s_round_trip (&alert);
    assert_int_equal (
        churn_lifecycle_ack (&alert, 3, 40, "rep-\xc3\xa9", "caf\xc3\xa9 note", NULL, 0), 0);
    assert_int_equal (s_round_trip (&alert), 63 + 6 + 10);
    char text[LONG_TEXT + 1];
    memset (text, 'n', LONG_TEXT);
    text[CHURN_LIFECYCLE_NOTE_MAX] = '\0';
    char rep[CHURN_LIFECYCLE_REP_MAX + 1];
    memset (rep, 'r', CHURN_LIFECYCLE_REP_MAX);
    rep[CHURN_LIFECYCLE_REP_MAX] = '\0';
    assert_int_equal (churn_lifecycle_ack (&alert, 3, 40, rep, text, NULL, 0), 0);
    assert_int_equal (s_round_trip (&alert), CHURN_LIFECYCLE_PACKED_MAX);
    assert_int_equal (s_red (&alert, &settings, 4, S_CLEAR), CHURN_LIFECYCLE_RESOLVE);
    assert_int_equal (s_round_trip (&alert), 63);

    /* The record is little-endian and laid out as documented. */
    unsigned char buffer[CHURN_LIFECYCLE_PACKED_MAX];
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, 0x0102, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (churn_lifecycle_pack (&alert, buffer, sizeof buffer), 63);
    assert_int_equal (buffer[0], 'L');
    assert_int_equal (buffer[1], 1);
    assert_int_equal (buffer[2], CHURN_LIFECYCLE_FIRING);
    assert_int_equal (buffer[3], 1);
    assert_int_equal (buffer[4], 0x02);
    assert_int_equal (buffer[5], 0x01);
}

/* Field offsets of the storage form. */
#define AT_KIND 0
#define AT_VERSION 1
#define AT_STATUS 2
#define AT_FLAGS 3
#define AT_LAST_DAY 4
#define AT_FIRED_DAY 12
#define AT_PERIODS_SINCE_SENT 28
#define AT_CLEAR_PERIODS 36
#define AT_ACK_DAY 44
#define AT_ACK_UNTIL_DAY 52
#define AT_REP 60

/* Writes a little-endian integer at offset. */
static void
s_poke (unsigned char *buffer, size_t offset, int64_t value)
{
    for (int index = 0; index < 8; index++)
        buffer[offset + (size_t) index] = (unsigned char) ((uint64_t) value >> (8 * index));
}

/* A record that must be refused with message, the state untouched. */
static void
s_assert_unpack_fails (const unsigned char *data, size_t size, const char *message)
{
    churn_lifecycle_t alert;
    churn_lifecycle_t before;
    memset (&alert, FILL, sizeof alert);
    memset (&before, FILL, sizeof before);
    char error[ERROR_SIZE] = "";
    assert_int_equal (churn_lifecycle_unpack (&alert, data, size, error, sizeof error), -1);
    if (message)
        assert_string_equal (error, message);
    else
        assert_true (strlen (error) > 0);
    assert_memory_equal (&alert, &before, sizeof alert);
}

static void
test_unpack_refused (void **state)
{
    (void) state;
    churn_rules_settings_t settings = s_defaults ();
    churn_lifecycle_t alert;
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    assert_int_equal (churn_lifecycle_ack (&alert, DAY, DAY + 5, "rep", "note", NULL, 0), 0);
    unsigned char good[CHURN_LIFECYCLE_PACKED_MAX + 1];
    size_t size = churn_lifecycle_pack (&alert, good, sizeof good);
    assert_int_equal (size, 63 + 3 + 4);
    size_t at_note = AT_REP + 1 + 3;
    unsigned char bad[CHURN_LIFECYCLE_PACKED_MAX + 1];

    s_assert_unpack_fails (NULL, 0, "not a churn alert state");
    s_assert_unpack_fails (good, 1, "not a churn alert state");
    memcpy (bad, good, size);
    bad[AT_KIND] = 'K';
    s_assert_unpack_fails (bad, size, "not a churn alert state");
    memcpy (bad, good, size);
    bad[AT_VERSION] = 2;
    s_assert_unpack_fails (bad, size, "unknown churn alert state version 2");
    memcpy (bad, good, size);
    bad[AT_STATUS] = 2;
    s_assert_unpack_fails (bad, size, "churn alert state: unknown status 2");
    memcpy (bad, good, size);
    bad[AT_FLAGS] = 7;
    s_assert_unpack_fails (bad, size, "churn alert state: unknown flags 0x07");

    /* Every truncation, and a byte too many. */
    for (size_t length = 2; length < size; length++)
        s_assert_unpack_fails (good, length, NULL);
    s_assert_unpack_fails (good, size - 1, "churn alert state: truncated at byte 66 of 69");
    memcpy (bad, good, size);
    bad[size] = 0;
    s_assert_unpack_fails (bad, size + 1, "churn alert state: 1 bytes after the end");

    /* Text lengths and contents. */
    memcpy (bad, good, size);
    bad[AT_REP] = CHURN_LIFECYCLE_REP_MAX + 1;
    s_assert_unpack_fails (bad, size, "churn alert state: rep of 65 bytes");
    memcpy (bad, good, size);
    bad[at_note] = 0x01;
    bad[at_note + 1] = 0x01;
    s_assert_unpack_fails (bad, size, "churn alert state: note of 257 bytes");
    memcpy (bad, good, size);
    bad[at_note + 3] = '\0';
    s_assert_unpack_fails (bad, size, "churn alert state: NUL in acknowledgement text");
    memcpy (bad, good, size);
    bad[at_note + 3] = '\n';
    s_assert_unpack_fails (bad, size, "churn alert state: invalid acknowledgement");
    memcpy (bad, good, size);
    bad[AT_REP + 1] = 0xff;
    s_assert_unpack_fails (bad, size, "churn alert state: invalid acknowledgement");

    /* Inconsistent states. */
    memcpy (bad, good, size);
    s_poke (bad, AT_ACK_UNTIL_DAY, DAY - 1);
    s_assert_unpack_fails (bad, size, "churn alert state: invalid acknowledgement");
    memcpy (bad, good, size);
    s_poke (bad, AT_FIRED_DAY, DAY + 1);
    s_assert_unpack_fails (bad, size, "churn alert state: days out of order");
    memcpy (bad, good, size);
    s_poke (bad, AT_PERIODS_SINCE_SENT, -1);
    s_assert_unpack_fails (bad, size, "churn alert state: periods since sent out of range");
    memcpy (bad, good, size);
    s_poke (bad, AT_CLEAR_PERIODS, CHURN_RULES_RESOLVE_AFTER_MAX);
    s_assert_unpack_fails (bad, size, "churn alert state: clear periods out of range");
    memcpy (bad, good, size);
    bad[AT_FLAGS] = 2; /* firing, acknowledged, never stepped */
    s_assert_unpack_fails (bad, size,
                           "churn alert state: a day or an alert without a period stepped");
    memcpy (bad, good, size);
    bad[AT_STATUS] = CHURN_LIFECYCLE_NONE;
    s_assert_unpack_fails (bad, size, "churn alert state: alert fields without a firing alert");

    /* No acknowledgement flag, but acknowledgement fields. */
    churn_lifecycle_init (&alert);
    assert_int_equal (s_red (&alert, &settings, DAY, S_HOLDS), CHURN_LIFECYCLE_FIRE);
    size = churn_lifecycle_pack (&alert, good, sizeof good);
    assert_int_equal (size, 63);
    memcpy (bad, good, size);
    s_poke (bad, AT_ACK_DAY, DAY);
    s_assert_unpack_fails (bad, size,
                           "churn alert state: acknowledgement fields without an acknowledgement");
    memcpy (bad, good, size);
    s_poke (bad, AT_LAST_DAY, DAY - 1);
    s_assert_unpack_fails (bad, size, "churn alert state: days out of order");

    /* A NONE state with a day but no flag. */
    churn_lifecycle_init (&alert);
    size = churn_lifecycle_pack (&alert, good, sizeof good);
    memcpy (bad, good, size);
    s_poke (bad, AT_LAST_DAY, DAY);
    s_assert_unpack_fails (bad, size,
                           "churn alert state: a day or an alert without a period stepped");
    memcpy (bad, good, size);
    s_poke (bad, AT_FIRED_DAY, DAY);
    s_assert_unpack_fails (bad, size, "churn alert state: alert fields without a firing alert");
}

// ---------------------------------------------------------------- names

static void
test_names (void **state)
{
    (void) state;
    assert_string_equal (churn_lifecycle_status_name (CHURN_LIFECYCLE_NONE), "none");
    assert_string_equal (churn_lifecycle_status_name (CHURN_LIFECYCLE_FIRING), "firing");
    const char *const names[] = { "nothing", "fire", "repeat", "resolve", "inhibited", "muted" };
    assert_int_equal (COUNT (names), CHURN_LIFECYCLE_ACTION_COUNT);
    for (int action = 0; action < CHURN_LIFECYCLE_ACTION_COUNT; action++)
        assert_string_equal (churn_lifecycle_action_name ((churn_lifecycle_action_t) action),
                             names[action]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fire_once),
        cmocka_unit_test (test_not_judged),
        cmocka_unit_test (test_anti_flap),
        cmocka_unit_test (test_repeat_interval),
        cmocka_unit_test (test_ack_mutes_and_expires),
        cmocka_unit_test (test_ack_refused),
        cmocka_unit_test (test_resolve_while_acknowledged),
        cmocka_unit_test (test_inhibition),
        cmocka_unit_test (test_inhibition_of_a_firing_warning),
        cmocka_unit_test (test_customer_replay),
        cmocka_unit_test (test_silent_customer),
        cmocka_unit_test (test_pack_round_trip),
        cmocka_unit_test (test_unpack_refused),
        cmocka_unit_test (test_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
