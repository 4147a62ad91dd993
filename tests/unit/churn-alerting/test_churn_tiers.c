/*  test_churn_tiers - customer tiers read from the customers reference
    data (churn_tiers): kpi-evaluator's canonical form and a spaced
    document, lookups of listed and unknown ids, keys left to their owner,
    and every refusal with its JSON path.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "churn_tiers.h"

static churn_tiers_t *
s_tiers (const char *text)
{
    char error[CHURN_TIERS_ERROR_SIZE] = "";
    churn_tiers_t *tiers = churn_tiers_new (text, strlen (text), error, sizeof error);
    if (!tiers)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (tiers);
    return tiers;
}

/* The canonical form kpi-evaluator stores (keys sorted, customers by id,
   owners), and lookups. */
static void
test_canonical_document (void **state)
{
    (void) state;
    churn_tiers_t *tiers =
        s_tiers ("{\"customers\":[{\"id\":\"Acme Corporation\",\"owner\":\"Anna Snelling\","
                 "\"tier\":\"A\"},{\"id\":\"Beta Ltd\",\"tier\":\"B\"},"
                 "{\"id\":\"cust-1\",\"tier\":\"C\"}],\"name\":\"accounts\"}");
    assert_int_equal (churn_tiers_count (tiers), 3);
    assert_int_equal (churn_tiers_tier (tiers, "Acme Corporation"), 'A');
    assert_int_equal (churn_tiers_tier (tiers, "Beta Ltd"), 'B');
    assert_int_equal (churn_tiers_tier (tiers, "cust-1"), 'C');
    assert_int_equal (churn_tiers_tier (tiers, "cust-2"), 0);
    assert_int_equal (churn_tiers_tier (tiers, "Acme"), 0);
    assert_int_equal (churn_tiers_tier (tiers, ""), 0);
    assert_int_equal (churn_tiers_tier (tiers, NULL), 0);
    assert_int_equal (churn_tiers_tier (NULL, "cust-1"), 0);
    churn_tiers_destroy (&tiers);
    assert_null (tiers);
    churn_tiers_destroy (&tiers); /* no-op */
}

/* Any order, spaced, keys it does not read (a later version of the kind
   may add some), and an empty list. */
static void
test_order_and_other_keys (void **state)
{
    (void) state;
    churn_tiers_t *tiers =
        s_tiers ("{ \"name\": \"x\", \"customers\": [\n"
                 "  { \"tier\": \"C\", \"id\": \"z\", \"region\": \"emea\" },\n"
                 "  { \"id\": \"a\", \"tier\": \"A\" },\n"
                 "  { \"id\": \"m\", \"tier\": \"B\", \"owner\": \"rep-1\" } ],\n"
                 "  \"source\": \"crm\" }");
    assert_int_equal (churn_tiers_count (tiers), 3);
    assert_int_equal (churn_tiers_tier (tiers, "a"), 'A');
    assert_int_equal (churn_tiers_tier (tiers, "m"), 'B');
    assert_int_equal (churn_tiers_tier (tiers, "z"), 'C');
    churn_tiers_destroy (&tiers);
    tiers = s_tiers ("{\"customers\": [], \"name\": \"none\"}");
    assert_int_equal (churn_tiers_count (tiers), 0);
    assert_int_equal (churn_tiers_tier (tiers, "a"), 0);
    churn_tiers_destroy (&tiers);
}

/* Many customers: every one found by binary search. */
static void
test_many_customers (void **state)
{
    (void) state;
    enum { COUNT = 500 };
    static const char tiers_of[] = { 'A', 'B', 'C' };
    char *text = malloc (COUNT * 48 + 64);
    assert_non_null (text);
    size_t used = (size_t) snprintf (text, 64, "{\"customers\": [");
    for (int index = COUNT - 1; index >= 0; index--) /* reversed: read sorts */
        used += (size_t) snprintf (text + used, 48, "%s{\"id\": \"c%04d\", \"tier\": \"%c\"}",
                                   index == COUNT - 1 ? "" : ", ", index, tiers_of[index % 3]);
    snprintf (text + used, 64, "]}");
    churn_tiers_t *tiers = s_tiers (text);
    assert_int_equal (churn_tiers_count (tiers), COUNT);
    char id[16];
    for (int index = 0; index < COUNT; index++) {
        snprintf (id, sizeof id, "c%04d", index);
        assert_int_equal (churn_tiers_tier (tiers, id), tiers_of[index % 3]);
    }
    assert_int_equal (churn_tiers_tier (tiers, "c0500"), 0);
    assert_int_equal (churn_tiers_tier (tiers, "b"), 0);
    assert_int_equal (churn_tiers_tier (tiers, "d"), 0);
    churn_tiers_destroy (&tiers);
    free (text);
}

/* What it cannot use is refused, naming the path. */
static void
test_refusals (void **state)
{
    (void) state;
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        { "[]", "a customers document must be a JSON object, got an array" },
        { "{\"name\": \"x\"}", "field \"customers\": required" },
        { "{\"customers\": {}}", "field \"customers\": expected an array, got an object" },
        { "{\"customers\": [7]}", "field \"customers[0]\": expected an object, got an integer" },
        { "{\"customers\": [{\"tier\": \"A\"}]}", "field \"customers[0].id\": required" },
        { "{\"customers\": [{\"id\": \"\", \"tier\": \"A\"}]}",
          "field \"customers[0].id\": must not be empty" },
        { "{\"customers\": [{\"id\": 5, \"tier\": \"A\"}]}",
          "field \"customers[0].id\": expected a string, got an integer" },
        { "{\"customers\": [{\"id\": \"a\", \"tier\": \"A\"}, {\"id\": \"b\"}]}",
          "field \"customers[1].tier\": required" },
        { "{\"customers\": [{\"id\": \"a\", \"tier\": \"D\"}]}",
          "field \"customers[0].tier\": unknown tier \"D\": use \"A\", \"B\" or \"C\"" },
        { "{\"customers\": [{\"id\": \"a\", \"tier\": \"A\"}, {\"id\": \"b\", \"tier\": \"B\"}, "
          "{\"id\": \"a\", \"tier\": \"C\"}]}",
          "field \"customers[2].id\": the id of customers[0] again" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char error[CHURN_TIERS_ERROR_SIZE] = "";
        churn_tiers_t *tiers =
            churn_tiers_new (cases[index].text, strlen (cases[index].text), error, sizeof error);
        assert_null (tiers);
        if (strcmp (error, cases[index].error) != 0)
            print_error ("case %zu: got \"%s\"\n", index, error);
        assert_string_equal (error, cases[index].error);
    }
    /* an id of 129 bytes */
    char text[256];
    char id[130];
    memset (id, 'x', 129);
    id[129] = '\0';
    snprintf (text, sizeof text, "{\"customers\": [{\"id\": \"%s\", \"tier\": \"A\"}]}", id);
    char error[CHURN_TIERS_ERROR_SIZE] = "";
    assert_null (churn_tiers_new (text, strlen (text), error, sizeof error));
    assert_non_null (strstr (error, "field \"customers[0].id\": "));
    assert_null (churn_tiers_new ("{", 1, error, sizeof error));
    assert_non_null (strstr (error, "invalid JSON"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_canonical_document),
        cmocka_unit_test (test_order_and_other_keys),
        cmocka_unit_test (test_many_customers),
        cmocka_unit_test (test_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
