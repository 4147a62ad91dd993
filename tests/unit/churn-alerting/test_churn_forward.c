/*  test_churn_forward - churn alerts as Alertmanager takes them
    (churn_forward): the POST URL from --alertmanager-url and the URLs it
    refuses, RFC 3339 times, the generator URL with the customer
    percent-encoded, and the postable alert of a firing and of a resolved
    alert: labels, annotations, startsAt and endsAt.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "churn_forward.h"

#define DAY 20317                              /* 2025-08-17 */
#define FIRED_AT_MS INT64_C (1755511200123)    /* 2025-08-18T10:00:00.123Z */
#define NOW_MS INT64_C (1757000000000)         /* 2025-09-04T15:33:20.000Z */
#define RESOLVED_AT_MS INT64_C (1756980000000) /* 2025-09-04T10:00:00.000Z */
#define INTERVAL_MS 60000
#define FILL 'x'

/* The overdue alert of cust-stop as stored: fired on DAY, score 15 red,
   recency then payment, 15 previous periods, owned by rep-ana. */
static void
s_firing (churn_alert_t *alert)
{
    memset (alert, 0, sizeof *alert);
    alert->sequence = 42;
    snprintf (alert->customer_id, sizeof alert->customer_id, "cust-stop");
    alert->rule = CHURN_RULES_OVERDUE;
    alert->severity = CHURN_RULES_CRITICAL;
    alert->action = CHURN_LIFECYCLE_FIRE;
    alert->day = DAY;
    alert->fired_day = DAY;
    alert->has_score = true;
    alert->score = 15;
    alert->band = CHURN_BAND_RED;
    alert->previous_count = 3;
    alert->previous[0] = CHURN_ALERT_NO_SCORE;
    alert->previous[1] = 80;
    alert->previous[2] = 61;
    alert->factor_count = 2;
    alert->factors[0] = (churn_alert_factor_t){ CHURN_MODEL_RECENCY, 20322, 0, 3000 };
    alert->factors[1] = (churn_alert_factor_t){ CHURN_MODEL_PAYMENT, 10000, 100, 1250 };
    alert->has_interval = true;
    alert->days_since_order = 63;
    alert->typical_interval_days = 31;
    snprintf (alert->owner_rep, sizeof alert->owner_rep, "rep-ana");
    snprintf (alert->owner_team, sizeof alert->owner_team, "team-north");
    snprintf (alert->owner_region, sizeof alert->owner_region, "emea");
    alert->created_at_ms = FIRED_AT_MS;
}

static const char *
s_text (const json_t *object, const char *field)
{
    const char *value = json_string_value (json_object_get (object, field));
    return value ? value : "(none)";
}

static void
test_endpoint (void **state)
{
    (void) state;
    char url[CHURN_FORWARD_URL_MAX];
    assert_int_equal (churn_forward_endpoint ("http://127.0.0.1:9093", url, sizeof url), 0);
    assert_string_equal (url, "http://127.0.0.1:9093/api/v2/alerts");
    assert_int_equal (churn_forward_endpoint ("https://am.example.com/am//", url, sizeof url), 0);
    assert_string_equal (url, "https://am.example.com/am/api/v2/alerts");
    static const char *const refused[] = { "",          "127.0.0.1:9093",  "ftp://am:21", "http://",
                                           "https:///", "http://a b:9093", "http://a\tb" };
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        memset (url, FILL, sizeof url);
        assert_int_equal (churn_forward_endpoint (refused[index], url, sizeof url), -1);
        assert_string_equal (url, "");
    }
    /* too long for the buffer */
    char small[32];
    memset (small, FILL, sizeof small);
    assert_int_equal (
        churn_forward_endpoint ("http://alertmanager.example.com:9093", small, sizeof small), -1);
    assert_string_equal (small, "");
}

static void
test_time (void **state)
{
    (void) state;
    char text[CHURN_FORWARD_TIME_SIZE];
    assert_int_equal (churn_forward_time (0, text, sizeof text), 0);
    assert_string_equal (text, "1970-01-01T00:00:00.000Z");
    assert_int_equal (churn_forward_time (FIRED_AT_MS, text, sizeof text), 0);
    assert_string_equal (text, "2025-08-18T10:00:00.123Z");
    assert_int_equal (churn_forward_time (-1, text, sizeof text), 0);
    assert_string_equal (text, "1969-12-31T23:59:59.999Z");
    assert_int_equal (churn_forward_time (INT64_C (253402300799999), text, sizeof text), 0);
    assert_string_equal (text, "9999-12-31T23:59:59.999Z");
    memset (text, FILL, sizeof text);
    assert_int_equal (churn_forward_time (INT64_C (253402300800000), text, sizeof text), -1);
    assert_string_equal (text, "");
}

static void
test_generator_url (void **state)
{
    (void) state;
    char *url = churn_forward_generator_url ("https://crm.example.com/c/{customer}?back={customer}",
                                             "a b/\xc3\xa9~_.-Z9");
    assert_non_null (url);
    assert_string_equal (
        url, "https://crm.example.com/c/a%20b%2F%C3%A9~_.-Z9?back=a%20b%2F%C3%A9~_.-Z9");
    free (url);
    url = churn_forward_generator_url ("https://crm.example.com/", "cust-stop");
    assert_non_null (url);
    assert_string_equal (url, "https://crm.example.com/");
    free (url);
    url = churn_forward_generator_url ("{customer}{customer", "%");
    assert_non_null (url);
    assert_string_equal (url, "%25{customer");
    free (url);
}

static void
test_firing (void **state)
{
    (void) state;
    churn_alert_t alert;
    s_firing (&alert);
    alert.action = CHURN_LIFECYCLE_REPEAT; /* the identity's latest: still firing */
    json_t *posted = churn_forward_alert (&alert, FIRED_AT_MS, NOW_MS, INTERVAL_MS, NULL);
    assert_non_null (posted);
    json_t *labels = json_object_get (posted, "labels");
    assert_int_equal (json_object_size (labels), 7);
    assert_string_equal (s_text (labels, "alertname"), "ChurnAlert");
    assert_string_equal (s_text (labels, "customer"), "cust-stop");
    assert_string_equal (s_text (labels, "rule"), "overdue");
    assert_string_equal (s_text (labels, "severity"), "critical");
    assert_string_equal (s_text (labels, "region"), "emea");
    assert_string_equal (s_text (labels, "team"), "team-north");
    assert_string_equal (s_text (labels, "rep"), "rep-ana");
    json_t *annotations = json_object_get (posted, "annotations");
    assert_string_equal (s_text (annotations, "summary"),
                         "customer cust-stop: overdue (critical) since 2025-08-17, score 15 (red)");
    assert_string_equal (s_text (annotations, "description"),
                         "churn rule overdue fired on 2025-08-17; score 15 (red) on 2025-08-17; "
                         "63 days since the last order, typically 31; factors: recency 0 "
                         "(weight 30%), payment 100 (weight 12.5%); owner: rep rep-ana, team "
                         "team-north, region emea");
    assert_string_equal (s_text (annotations, "score"), "15");
    assert_string_equal (s_text (annotations, "band"), "red");
    assert_string_equal (s_text (annotations, "factors"),
                         "recency 0 (weight 30%), payment 100 (weight 12.5%)");
    assert_string_equal (s_text (annotations, "previous_scores"), "-, 80, 61");
    assert_string_equal (s_text (annotations, "days_since_order"), "63");
    assert_string_equal (s_text (annotations, "typical_interval_days"), "31");
    assert_string_equal (s_text (annotations, "fired_day"), "2025-08-17");
    assert_string_equal (s_text (annotations, "period"), "2025-08-17");
    assert_string_equal (s_text (annotations, "action"), "repeat");
    assert_string_equal (s_text (annotations, "alert_seq"), "42");
    assert_int_equal (json_object_size (annotations), 12);
    assert_string_equal (s_text (posted, "startsAt"), "2025-08-18T10:00:00.123Z");
    /* four intervals after now: sent again before then */
    assert_string_equal (s_text (posted, "endsAt"), "2025-09-04T15:37:20.000Z");
    assert_null (json_object_get (posted, "generatorURL"));
    assert_int_equal (json_object_size (posted), 4);
    json_decref (posted);

    posted = churn_forward_alert (&alert, FIRED_AT_MS, NOW_MS, INTERVAL_MS,
                                  "https://crm.example.com/customers/{customer}");
    assert_non_null (posted);
    assert_string_equal (s_text (posted, "generatorURL"),
                         "https://crm.example.com/customers/cust-stop");
    json_decref (posted);
    /* "" is no link */
    posted = churn_forward_alert (&alert, FIRED_AT_MS, NOW_MS, INTERVAL_MS, "");
    assert_non_null (posted);
    assert_null (json_object_get (posted, "generatorURL"));
    json_decref (posted);
}

static void
test_resolved (void **state)
{
    (void) state;
    churn_alert_t alert;
    s_firing (&alert);
    alert.action = CHURN_LIFECYCLE_RESOLVE;
    alert.day = DAY + 16; /* 2025-09-02 */
    alert.has_score = false;
    alert.has_interval = false;
    alert.factor_count = 0;
    alert.previous_count = 0;
    alert.owner_rep[0] = alert.owner_team[0] = alert.owner_region[0] = '\0';
    alert.created_at_ms = RESOLVED_AT_MS;
    json_t *posted = churn_forward_alert (&alert, FIRED_AT_MS, NOW_MS, INTERVAL_MS, NULL);
    assert_non_null (posted);
    json_t *labels = json_object_get (posted, "labels");
    /* no owner: no region, team nor rep */
    assert_int_equal (json_object_size (labels), 4);
    assert_null (json_object_get (labels, "region"));
    json_t *annotations = json_object_get (posted, "annotations");
    assert_string_equal (s_text (annotations, "summary"),
                         "customer cust-stop: overdue resolved on 2025-09-02, not scored");
    assert_string_equal (s_text (annotations, "description"),
                         "churn rule overdue fired on 2025-08-17 and resolved on 2025-09-02; not "
                         "scored on 2025-09-02");
    assert_string_equal (s_text (annotations, "action"), "resolve");
    assert_string_equal (s_text (annotations, "period"), "2025-09-02");
    assert_null (json_object_get (annotations, "score"));
    assert_null (json_object_get (annotations, "band"));
    assert_null (json_object_get (annotations, "factors"));
    assert_null (json_object_get (annotations, "previous_scores"));
    assert_null (json_object_get (annotations, "days_since_order"));
    assert_int_equal (json_object_size (annotations), 6);
    assert_string_equal (s_text (posted, "startsAt"), "2025-08-18T10:00:00.123Z");
    /* resolved when the resolve was stored */
    assert_string_equal (s_text (posted, "endsAt"), "2025-09-04T10:00:00.000Z");
    json_decref (posted);

    /* clocks apart: never an end before the start */
    posted = churn_forward_alert (&alert, RESOLVED_AT_MS + 5, NOW_MS, INTERVAL_MS, NULL);
    assert_non_null (posted);
    assert_string_equal (s_text (posted, "startsAt"), "2025-09-04T10:00:00.000Z");
    assert_string_equal (s_text (posted, "endsAt"), "2025-09-04T10:00:00.000Z");
    json_decref (posted);

    /* a time out of range makes no alert */
    alert.created_at_ms = INT64_C (253402300800000);
    assert_null (churn_forward_alert (&alert, FIRED_AT_MS, NOW_MS, INTERVAL_MS, NULL));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_endpoint),      cmocka_unit_test (test_time),
        cmocka_unit_test (test_generator_url), cmocka_unit_test (test_firing),
        cmocka_unit_test (test_resolved),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
