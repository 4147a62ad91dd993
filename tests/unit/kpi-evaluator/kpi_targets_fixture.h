/*  kpi_targets_fixture - what the two kpi_targets test files share
    (test_kpi_targets.c: reading, refusals and the canonical form;
    test_kpi_targets_use.c: spreads, decompositions, carry, business
    days, the add-up check and the lookups): a document's head and tail
    to build cases from, and reading a valid document and getting a
    target from it, failing the test otherwise.

    Header only, every function static inline, so that a test file which
    does not use one is not warned about it.
*/
#ifndef KPI_TARGETS_FIXTURE_H_INCLUDED
#define KPI_TARGETS_FIXTURE_H_INCLUDED

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kpi_targets.h"

/* A document's head and tail, to build cases from. */
#define HEAD "{\"name\": \"fy2017\", \"currency\": \"USD\", \"targets\": ["
#define TAIL "]}"
#define ENTRY(node, kpi, period, rest)                                                             \
    "{\"node\": \"" node "\", \"kpi\": \"" kpi "\", \"period\": \"" period "\", " rest "}"

static inline kpi_targets_t *
s_read (const char *text)
{
    char error[KPI_TARGETS_ERROR_SIZE] = "";
    kpi_targets_t *targets = kpi_targets_new (text, strlen (text), error, sizeof error);
    if (!targets)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (targets);
    return targets;
}

/* The target of (node, kpi, period), which must exist. */
static inline kpi_target_t
s_get (const kpi_targets_t *targets, const char *node, const char *kpi, const char *period)
{
    kpi_target_t target;
    memset (&target, 0, sizeof target);
    int rc = kpi_targets_get (targets, node, kpi, period, &target);
    if (rc != 0)
        print_error ("no target for %s %s %s\n", node, kpi, period);
    assert_int_equal (rc, 0);
    return target;
}

static inline int64_t
s_target (const kpi_targets_t *targets, const char *node, const char *kpi, const char *period)
{
    return s_get (targets, node, kpi, period).target;
}

#endif
