/*  test_kpi_customers - reading, validating and writing customer tiers
    and owners, and looking customers up (kpi_customers).

    Every refusal is checked with its exact message, through
    kpi_customers_new and kpi_customers_check alike.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_customers.h"

#define ERROR_FILL 'x' /* pattern of an error buffer before a call */
#define NAME_FILL 'n'  /* pattern of a name buffer before a call */
#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* The example of docs/org.md, out of order. */
#define CUSTOMERS_JSON                                                                             \
    "{\"name\": \"accounts\", \"customers\": ["                                                    \
    "{\"id\": \"Zeta GmbH\", \"tier\": \"C\"},"                                                    \
    " {\"id\": \"Acme Corporation\", \"tier\": \"A\", \"owner\": \"Anna Snelling\"},"              \
    " {\"id\": \"Bolt & Nut\", \"tier\": \"B\", \"owner\": \"Boris Bear\"},"                       \
    " {\"id\": \"acme corporation\", \"tier\": \"A\"}]}"

#define CUSTOMERS_CANONICAL                                                                        \
    "{\"customers\":["                                                                             \
    "{\"id\":\"Acme Corporation\",\"owner\":\"Anna Snelling\",\"tier\":\"A\"},"                    \
    "{\"id\":\"Bolt & Nut\",\"owner\":\"Boris Bear\",\"tier\":\"B\"},"                             \
    "{\"id\":\"Zeta GmbH\",\"tier\":\"C\"},"                                                       \
    "{\"id\":\"acme corporation\",\"tier\":\"A\"}],\"name\":\"accounts\"}"

static kpi_customers_t *
s_read (const char *text)
{
    char error[KPI_CUSTOMERS_ERROR_SIZE] = "";
    kpi_customers_t *customers = kpi_customers_new (text, strlen (text), error, sizeof error);
    if (!customers)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (customers);
    return customers;
}

/* Refuses text with exactly message, through kpi_customers_new and
   kpi_customers_check (which leaves name and canonical untouched). */
static void
s_assert_refused (const char *text, const char *message)
{
    char error[KPI_CUSTOMERS_ERROR_SIZE];
    memset (error, ERROR_FILL, sizeof error);
    kpi_customers_t *customers = kpi_customers_new (text, strlen (text), error, sizeof error);
    if (customers || strcmp (error, message) != 0)
        print_error ("customers: %.200s\nexpected: %s\n", text, message);
    assert_null (customers);
    assert_string_equal (error, message);
    assert_null (kpi_customers_new (text, strlen (text), NULL, 0));

    char name[SP_REFDATA_NAME_SIZE];
    memset (name, NAME_FILL, sizeof name);
    char *canonical = NULL;
    memset (error, ERROR_FILL, sizeof error);
    assert_int_equal (kpi_customers_check (text, strlen (text), name, sizeof name, &canonical,
                                           error, sizeof error),
                      -1);
    assert_string_equal (error, message);
    assert_null (canonical);
    for (size_t index = 0; index < sizeof name; index++)
        assert_int_equal (name[index], NAME_FILL);
}

/* The kind, tiers and owners, byte-for-byte ids, listing in id order. */
static void
test_lookups (void **state)
{
    (void) state;
    assert_string_equal (kpi_customers_kind.kind, "customers");
    assert_string_equal (kpi_customers_kind.service, "kpi-evaluator");
    assert_int_equal (kpi_customers_kind.change, SP_REFDATA_REBUILD);
    assert_false (kpi_customers_kind.effective_dated);
    assert_ptr_equal (kpi_customers_kind.check, kpi_customers_check);

    kpi_customers_t *customers = s_read (CUSTOMERS_JSON);
    assert_string_equal (kpi_customers_name (customers), "accounts");
    assert_int_equal (kpi_customers_count (customers), 4);
    assert_string_equal (kpi_customers_id (customers, 0), "Acme Corporation");
    assert_string_equal (kpi_customers_id (customers, 1), "Bolt & Nut");
    assert_string_equal (kpi_customers_id (customers, 2), "Zeta GmbH");
    assert_string_equal (kpi_customers_id (customers, 3), "acme corporation");

    assert_int_equal (kpi_customers_tier (customers, "Acme Corporation"), 'A');
    assert_int_equal (kpi_customers_tier (customers, "Bolt & Nut"), 'B');
    assert_int_equal (kpi_customers_tier (customers, "Zeta GmbH"), 'C');
    assert_int_equal (kpi_customers_tier (customers, "acme corporation"), 'A');
    assert_int_equal (kpi_customers_tier (customers, "Acme"), 0);
    assert_int_equal (kpi_customers_tier (customers, "Acme Corporation "), 0);
    assert_int_equal (kpi_customers_tier (customers, ""), 0);
    assert_int_equal (kpi_customers_tier (customers, NULL), 0);
    assert_int_equal (kpi_customers_tier (NULL, "Acme Corporation"), 0);

    assert_string_equal (kpi_customers_owner (customers, "Acme Corporation"), "Anna Snelling");
    assert_string_equal (kpi_customers_owner (customers, "Bolt & Nut"), "Boris Bear");
    assert_null (kpi_customers_owner (customers, "Zeta GmbH"));
    assert_null (kpi_customers_owner (customers, "Nobody"));
    assert_null (kpi_customers_owner (customers, NULL));
    assert_null (kpi_customers_owner (NULL, "Acme Corporation"));

    kpi_customers_destroy (&customers);
    assert_null (customers);
    kpi_customers_destroy (&customers); /* a second call is a no-op */

    customers = s_read ("{\"name\": \"none\", \"customers\": []}");
    assert_int_equal (kpi_customers_count (customers), 0);
    assert_int_equal (kpi_customers_tier (customers, "Acme Corporation"), 0);
    assert_null (kpi_customers_owner (customers, "Acme Corporation"));
    kpi_customers_destroy (&customers);
}

/* Many customers given in reverse order: every one is found. */
static void
test_many (void **state)
{
    (void) state;
    const size_t count = 5000;
    const size_t size = count * 64 + 64;
    char *text = malloc (size);
    assert_non_null (text);
    size_t used = (size_t) snprintf (text, size, "{\"name\": \"many\", \"customers\": [");
    for (size_t index = count; index-- > 0;)
        used += (size_t) snprintf (text + used, size - used,
                                   "%s{\"id\": \"c%05zu\", \"tier\": \"%c\"%s}",
                                   index == count - 1 ? "" : ",", index, "ABC"[index % 3],
                                   index % 2 ? ", \"owner\": \"odd\"" : "");
    snprintf (text + used, size - used, "]}");
    assert_true (used + 3 < size);
    kpi_customers_t *customers = s_read (text);
    free (text);
    assert_int_equal (kpi_customers_count (customers), count);
    for (size_t index = 0; index < count; index++) {
        char id[16];
        snprintf (id, sizeof id, "c%05zu", index);
        assert_string_equal (kpi_customers_id (customers, index), id);
        assert_int_equal (kpi_customers_tier (customers, id), "ABC"[index % 3]);
        if (index % 2)
            assert_string_equal (kpi_customers_owner (customers, id), "odd");
        else
            assert_null (kpi_customers_owner (customers, id));
    }
    assert_int_equal (kpi_customers_tier (customers, "c"), 0);
    assert_int_equal (kpi_customers_tier (customers, "c05000"), 0);
    kpi_customers_destroy (&customers);
}

/* The canonical text is exact and the same however ordered or spaced. */
static void
test_canonical (void **state)
{
    (void) state;
    kpi_customers_t *customers = s_read (CUSTOMERS_JSON);
    char *text = kpi_customers_to_json (customers);
    assert_string_equal (text, CUSTOMERS_CANONICAL);
    free (text);
    kpi_customers_destroy (&customers);

    const char *reordered =
        "{\n  \"customers\": [\n"
        "    {\"tier\": \"A\", \"id\": \"acme corporation\"},\n"
        "    {\"owner\": \"Boris Bear\", \"tier\": \"B\", \"id\": \"Bolt & Nut\"},\n"
        "    {\"owner\": \"Anna Snelling\", \"id\": \"Acme Corporation\", \"tier\": \"A\"},\n"
        "    {\"tier\": \"C\", \"id\": \"Zeta GmbH\"}\n  ],\n"
        "  \"name\": \"accounts\"\n}\n";
    const char *inputs[] = { CUSTOMERS_JSON, reordered, CUSTOMERS_CANONICAL };
    for (size_t index = 0; index < COUNT (inputs); index++) {
        char name[SP_REFDATA_NAME_SIZE] = "";
        char error[KPI_CUSTOMERS_ERROR_SIZE] = "";
        char *canonical = NULL;
        assert_int_equal (kpi_customers_check (inputs[index], strlen (inputs[index]), name,
                                               sizeof name, &canonical, error, sizeof error),
                          0);
        assert_string_equal (name, "accounts");
        assert_string_equal (canonical, CUSTOMERS_CANONICAL);
        free (canonical);
    }
}

typedef struct {
    const char *text;    /* the document */
    const char *message; /* the exact error */
} error_case_t;

#define HEAD "{\"name\": \"c\", \"customers\": ["
#define ID_129                                                                                     \
    "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"                             \
    "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"

static const error_case_t s_errors[] = {
    { "{", "invalid JSON at line 1 column 1: string or '}' expected near end of file" },
    { "[\"c\"]", "a customers document must be a JSON object, got an array" },
    { "{\"name\": \"c\", \"customers\": [], \"tiers\": []}", "field \"tiers\": unknown field" },
    { "{\"customers\": []}", "field \"name\": required" },
    { "{\"name\": \"\", \"customers\": []}",
      "field \"name\": invalid name \"\": use 1 to 63 characters of a-z, 0-9, \"_\" and \"-\"" },
    { "{\"name\": \"c\"}", "field \"customers\": required" },
    { "{\"name\": \"c\", \"customers\": {}}",
      "field \"customers\": expected an array, got an object" },
    { HEAD "1]}", "field \"customers[0]\": expected an object, got an integer" },
    { HEAD "{\"id\": \"a\", \"tier\": \"A\", \"segment\": \"x\"}]}",
      "field \"customers[0].segment\": unknown field" },
    { HEAD "{\"tier\": \"A\"}]}", "field \"customers[0].id\": required" },
    { HEAD "{\"id\": \"\", \"tier\": \"A\"}]}", "field \"customers[0].id\": must not be empty" },
    { HEAD "{\"id\": 12, \"tier\": \"A\"}]}",
      "field \"customers[0].id\": expected a string, got an integer" },
    { HEAD "{\"id\": \"" ID_129 "\", \"tier\": \"A\"}]}",
      "field \"customers[0].id\": longer than 128 bytes" },
    { HEAD "{\"id\": \"a\\nb\", \"tier\": \"A\"}]}",
      "field \"customers[0].id\": control character U+000A at byte 1" },
    { HEAD "{\"id\": \"a\"}]}", "field \"customers[0].tier\": required" },
    { HEAD "{\"id\": \"a\", \"tier\": \"D\"}]}",
      "field \"customers[0].tier\": unknown tier \"D\": use \"A\", \"B\" or \"C\"" },
    { HEAD "{\"id\": \"a\", \"tier\": \"a\"}]}",
      "field \"customers[0].tier\": unknown tier \"a\": use \"A\", \"B\" or \"C\"" },
    { HEAD "{\"id\": \"a\", \"tier\": 1}]}",
      "field \"customers[0].tier\": expected a string, got an integer" },
    { HEAD "{\"id\": \"a\", \"tier\": \"A\", \"owner\": \"\"}]}",
      "field \"customers[0].owner\": must not be empty" },
    { HEAD "{\"id\": \"a\", \"tier\": \"A\", \"owner\": null}]}",
      "field \"customers[0].owner\": expected a string, got null" },
    { HEAD "{\"id\": \"a\", \"tier\": \"A\", \"owner\": \"" ID_129 "\"}]}",
      "field \"customers[0].owner\": longer than 128 bytes" },
    { HEAD "{\"id\": \"a\", \"tier\": \"A\"}, {\"id\": \"b\", \"tier\": \"B\"},"
           " {\"id\": \"a\", \"tier\": \"C\"}]}",
      "field \"customers[2].id\": \"a\" is already the id of customers[0]" },
    { HEAD "{\"id\": \"b\", \"tier\": \"A\"}, {\"id\": \"a\", \"tier\": \"B\"},"
           " {\"id\": \"a\", \"tier\": \"C\"}, {\"id\": \"b\", \"tier\": \"C\"}]}",
      "field \"customers[2].id\": \"a\" is already the id of customers[1]" },
    /* Entries are read in order: a bad entry after a duplicate is reported first. */
    { HEAD "{\"id\": \"a\", \"tier\": \"A\"}, {\"id\": \"a\", \"tier\": \"A\"},"
           " {\"id\": \"b\"}]}",
      "field \"customers[2].tier\": required" },
};

static void
test_errors (void **state)
{
    (void) state;
    for (size_t index = 0; index < COUNT (s_errors); index++)
        s_assert_refused (s_errors[index].text, s_errors[index].message);
}

/* More than KPI_CUSTOMERS_MAX customers, checked before the entries. */
static void
test_bound (void **state)
{
    (void) state;
    const char *head = "{\"name\": \"c\", \"customers\": [";
    size_t count = KPI_CUSTOMERS_MAX + 1;
    size_t size = strlen (head) + 2 * count + 3;
    char *text = malloc (size);
    assert_non_null (text);
    size_t used = (size_t) snprintf (text, size, "%s", head);
    for (size_t index = 0; index < count; index++) {
        if (index)
            text[used++] = ',';
        text[used++] = '0';
    }
    snprintf (text + used, size - used, "]}");
    s_assert_refused (text, "field \"customers\": 1000001 customers, at most 1000000 are allowed");
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lookups),   cmocka_unit_test (test_many),
        cmocka_unit_test (test_canonical), cmocka_unit_test (test_errors),
        cmocka_unit_test (test_bound),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
