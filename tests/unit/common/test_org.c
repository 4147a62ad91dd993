/*  test_org - reading, validating and writing org charts, and the
    look-ups kpi-evaluator's handler makes for every event and
    incentive-calculator's statements make (sp_org).

    The org of docs/org.md is the fixture: Anna Snelling moves from team
    Dustin Brinkmann (Central) to Melvin Marxen (East) on 2017-05-15 and
    back on 2017-09-01. Every refusal is checked with its exact message,
    through sp_org_new and sp_org_check alike.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_org.h"
#include "sp_civil.h"

#define ERROR_FILL 'x' /* pattern of an error buffer before a call */
#define NAME_FILL 'n'  /* pattern of a name buffer before a call */
#define COUNT(array) (sizeof (array) / sizeof ((array)[0]))
#define DAY(year, month, day) sp_civil_days_from_date ((year), (month), (day))
#define CHILDREN_MAX 8

/* The org of docs/org.md. */
#define ORG_JSON                                                                                   \
    "{\"name\": \"crm\", \"company\": \"Maven\","                                                  \
    " \"regions\": [{\"id\": \"Central\"}, {\"id\": \"East\", \"title\": \"East coast\"}],"        \
    " \"teams\": [{\"id\": \"Melvin Marxen\", \"region\": \"East\"},"                              \
    " {\"id\": \"Dustin Brinkmann\", \"region\": \"Central\"},"                                    \
    " {\"id\": \"Rosalina Dieter\", \"region\": \"East\"}],"                                       \
    " \"reps\": [{\"id\": \"Anna Snelling\", \"memberships\": ["                                   \
    "{\"team\": \"Melvin Marxen\", \"from\": \"2017-05-15\", \"until\": \"2017-09-01\"},"          \
    " {\"team\": \"Dustin Brinkmann\", \"from\": \"2016-01-01\", \"until\": \"2017-05-15\"},"      \
    " {\"team\": \"Dustin Brinkmann\", \"from\": \"2017-09-01\"}]},"                               \
    " {\"id\": \"Cecily Lampkin\", \"memberships\": [{\"team\": \"Melvin Marxen\","                \
    " \"from\": \"2016-01-01\"}]},"                                                                \
    " {\"id\": \"Boris Bear\", \"memberships\": [{\"team\": \"Dustin Brinkmann\","                 \
    " \"from\": \"2016-06-01\", \"until\": \"2016-12-01\"}]}]}"

/* Its canonical form. */
#define ORG_CANONICAL                                                                              \
    "{\"company\":\"Maven\",\"name\":\"crm\","                                                     \
    "\"regions\":[{\"id\":\"Central\"},{\"id\":\"East\",\"title\":\"East coast\"}],"               \
    "\"reps\":[{\"id\":\"Anna Snelling\",\"memberships\":["                                        \
    "{\"from\":\"2016-01-01\",\"team\":\"Dustin Brinkmann\",\"until\":\"2017-05-15\"},"            \
    "{\"from\":\"2017-05-15\",\"team\":\"Melvin Marxen\",\"until\":\"2017-09-01\"},"               \
    "{\"from\":\"2017-09-01\",\"team\":\"Dustin Brinkmann\"}]},"                                   \
    "{\"id\":\"Boris Bear\",\"memberships\":[{\"from\":\"2016-06-01\","                            \
    "\"team\":\"Dustin Brinkmann\",\"until\":\"2016-12-01\"}]},"                                   \
    "{\"id\":\"Cecily Lampkin\",\"memberships\":[{\"from\":\"2016-01-01\","                        \
    "\"team\":\"Melvin Marxen\"}]}],"                                                              \
    "\"teams\":[{\"id\":\"Dustin Brinkmann\",\"region\":\"Central\"},"                             \
    "{\"id\":\"Melvin Marxen\",\"region\":\"East\"},"                                              \
    "{\"id\":\"Rosalina Dieter\",\"region\":\"East\"}]}"

static sp_org_t *
s_read (const char *text)
{
    char error[SP_ORG_ERROR_SIZE] = "";
    sp_org_t *org = sp_org_new (text, strlen (text), error, sizeof error);
    if (!org)
        print_error ("unexpected error: %s\n", error);
    assert_non_null (org);
    return org;
}

/* Refuses text with exactly message, through sp_org_new and
   sp_org_check (which leaves name and canonical untouched); a NULL
   error buffer is allowed. */
static void
s_assert_refused (const char *text, const char *message)
{
    char error[SP_ORG_ERROR_SIZE];
    memset (error, ERROR_FILL, sizeof error);
    sp_org_t *org = sp_org_new (text, strlen (text), error, sizeof error);
    if (org || strcmp (error, message) != 0)
        print_error ("org: %s\nexpected: %s\n", text, message);
    assert_null (org);
    assert_string_equal (error, message);
    assert_null (sp_org_new (text, strlen (text), NULL, 0));

    char name[SP_REFDATA_NAME_SIZE];
    memset (name, NAME_FILL, sizeof name);
    char *canonical = NULL;
    memset (error, ERROR_FILL, sizeof error);
    assert_int_equal (
        sp_org_check (text, strlen (text), name, sizeof name, &canonical, error, sizeof error), -1);
    assert_string_equal (error, message);
    assert_null (canonical);
    for (size_t index = 0; index < sizeof name; index++)
        assert_int_equal (name[index], NAME_FILL);
}

// ---------------------------------------------------------------- reading

/* The kind, and everything read from the fixture, in id order. */
static void
test_read (void **state)
{
    (void) state;
    assert_string_equal (sp_org_kind.kind, "org");
    assert_string_equal (sp_org_kind.service, "kpi-evaluator");
    assert_int_equal (sp_org_kind.change, SP_REFDATA_REBUILD);
    assert_false (sp_org_kind.effective_dated);
    assert_ptr_equal (sp_org_kind.check, sp_org_check);

    sp_org_t *org = s_read (ORG_JSON);
    assert_string_equal (sp_org_name (org), "crm");
    assert_string_equal (sp_org_company (org), "Maven");
    assert_int_equal (sp_org_region_count (org), 2);
    assert_string_equal (sp_org_region_id (org, 0), "Central");
    assert_null (sp_org_region_title (org, 0));
    assert_string_equal (sp_org_region_id (org, 1), "East");
    assert_string_equal (sp_org_region_title (org, 1), "East coast");
    assert_int_equal (sp_org_team_count (org), 3);
    assert_string_equal (sp_org_team_id (org, 0), "Dustin Brinkmann");
    assert_string_equal (sp_org_team_id (org, 1), "Melvin Marxen");
    assert_string_equal (sp_org_team_id (org, 2), "Rosalina Dieter");
    assert_string_equal (sp_org_team_region (org, "Dustin Brinkmann"), "Central");
    assert_string_equal (sp_org_team_region (org, "Rosalina Dieter"), "East");
    assert_null (sp_org_team_region (org, "Nobody"));
    assert_int_equal (sp_org_rep_count (org), 3);
    assert_string_equal (sp_org_rep_id (org, 0), "Anna Snelling");
    assert_string_equal (sp_org_rep_id (org, 1), "Boris Bear");
    assert_string_equal (sp_org_rep_id (org, 2), "Cecily Lampkin");

    /* Anna's memberships, sorted by from. */
    assert_int_equal (sp_org_rep_membership_count (org, 0), 3);
    sp_org_membership_t membership = sp_org_rep_membership (org, 0, 0);
    assert_string_equal (membership.team, "Dustin Brinkmann");
    assert_int_equal (membership.from, DAY (2016, 1, 1));
    assert_int_equal (membership.until, DAY (2017, 5, 15));
    membership = sp_org_rep_membership (org, 0, 1);
    assert_string_equal (membership.team, "Melvin Marxen");
    assert_int_equal (membership.from, DAY (2017, 5, 15));
    assert_int_equal (membership.until, DAY (2017, 9, 1));
    membership = sp_org_rep_membership (org, 0, 2);
    assert_string_equal (membership.team, "Dustin Brinkmann");
    assert_int_equal (membership.from, DAY (2017, 9, 1));
    assert_int_equal (membership.until, SP_ORG_OPEN_END);

    sp_org_destroy (&org);
    assert_null (org);
    sp_org_destroy (&org); /* a second call is a no-op */
}

/* A minimal org: empty arrays, no company; ids of any text (U+00A0 is
   not a control character), 128 bytes; years 0000 and 9999. */
static void
test_minimal_and_long_ids (void **state)
{
    (void) state;
    sp_org_t *org = s_read ("{\"name\": \"o\", \"regions\": [], \"teams\": [], \"reps\": []}");
    assert_null (sp_org_company (org));
    assert_int_equal (sp_org_region_count (org) + sp_org_team_count (org) + sp_org_rep_count (org),
                      0);
    assert_int_equal (sp_org_children (org, "company", 0, 1, NULL, 0), 0);
    const char *team = "x";
    const char *region = "x";
    assert_int_equal (sp_org_resolve (org, "Anna", 0, &team, &region), -1);
    assert_null (team);
    assert_null (region);
    sp_org_destroy (&org);

    char id[SP_ORG_ID_MAX + 1];
    memset (id, 'r', SP_ORG_ID_MAX);
    id[SP_ORG_ID_MAX] = '\0';
    char text[1024];
    snprintf (text, sizeof text,
              "{\"name\": \"o\", \"regions\": [{\"id\": \"%s\"}], \"teams\": [{\"id\": \"%s\","
              " \"region\": \"%s\"}], \"reps\": [{\"id\": \"%s\", \"memberships\": [{\"team\":"
              " \"%s\", \"from\": \"0000-01-01\", \"until\": \"9999-12-31\"}]}, {\"id\":"
              " \"\u00e9l\u00e8ve\u00a0\\\"3\\\"\", \"memberships\": [{\"team\": \"%s\","
              " \"from\": \"2000-02-29\"}]}]}",
              id, id, id, id, id, id);
    org = s_read (text);
    assert_int_equal (sp_org_resolve (org, id, DAY (0, 1, 1), &team, &region), 0);
    assert_string_equal (team, id);
    assert_string_equal (region, id);
    assert_int_equal (sp_org_resolve (org, id, DAY (9999, 12, 30), NULL, NULL), 0);
    assert_int_equal (sp_org_resolve (org, id, DAY (9999, 12, 31), NULL, NULL), -1);
    assert_int_equal (
        sp_org_resolve (org, "\u00e9l\u00e8ve\u00a0\"3\"", DAY (2000, 2, 29), NULL, NULL), 0);
    sp_org_scopes_t scopes;
    sp_org_scopes (org, id, NULL, NULL, DAY (2000, 1, 1), &scopes);
    assert_int_equal (strlen (scopes.rep), strlen ("rep:") + SP_ORG_ID_MAX);
    assert_int_equal (strlen (scopes.team), strlen ("team:") + SP_ORG_ID_MAX);
    assert_int_equal (strlen (scopes.region), strlen ("region:") + SP_ORG_ID_MAX);
    assert_memory_equal (scopes.region, "region:rrr", 10);
    char *canonical = sp_org_to_json (org);
    assert_non_null (canonical);
    sp_org_t *back = s_read (canonical);
    char *again = sp_org_to_json (back);
    assert_string_equal (canonical, again);
    assert_non_null (strstr (canonical, "\"from\":\"0000-01-01\",\"team\""));
    free (again);
    free (canonical);
    sp_org_destroy (&back);
    sp_org_destroy (&org);
}

// ---------------------------------------------------------------- resolution

static void
s_assert_resolves (const sp_org_t *org, const char *rep, int64_t day, const char *team,
                   const char *region)
{
    const char *got_team = "unset";
    const char *got_region = "unset";
    int rc = sp_org_resolve (org, rep, day, &got_team, &got_region);
    if (!team) {
        assert_int_equal (rc, -1);
        assert_null (got_team);
        assert_null (got_region);
        return;
    }
    assert_int_equal (rc, 0);
    assert_string_equal (got_team, team);
    assert_string_equal (got_region, region);
}

/* A team move: the day before, the day of and the day after each change;
   "until" is exclusive. */
static void
test_resolve_team_move (void **state)
{
    (void) state;
    sp_org_t *org = s_read (ORG_JSON);
    const char *anna = "Anna Snelling";
    s_assert_resolves (org, anna, DAY (2015, 12, 31), NULL, NULL);
    s_assert_resolves (org, anna, DAY (2016, 1, 1), "Dustin Brinkmann", "Central");
    s_assert_resolves (org, anna, DAY (2017, 5, 14), "Dustin Brinkmann", "Central");
    s_assert_resolves (org, anna, DAY (2017, 5, 15), "Melvin Marxen", "East");
    s_assert_resolves (org, anna, DAY (2017, 5, 16), "Melvin Marxen", "East");
    s_assert_resolves (org, anna, DAY (2017, 8, 31), "Melvin Marxen", "East");
    s_assert_resolves (org, anna, DAY (2017, 9, 1), "Dustin Brinkmann", "Central");
    s_assert_resolves (org, anna, DAY (2030, 1, 1), "Dustin Brinkmann", "Central");
    /* Boris left: nothing from his "until" on, nor before his "from". */
    s_assert_resolves (org, "Boris Bear", DAY (2016, 5, 31), NULL, NULL);
    s_assert_resolves (org, "Boris Bear", DAY (2016, 6, 1), "Dustin Brinkmann", "Central");
    s_assert_resolves (org, "Boris Bear", DAY (2016, 11, 30), "Dustin Brinkmann", "Central");
    s_assert_resolves (org, "Boris Bear", DAY (2016, 12, 1), NULL, NULL);
    /* Unknown reps, byte for byte. */
    s_assert_resolves (org, "anna snelling", DAY (2017, 1, 1), NULL, NULL);
    s_assert_resolves (org, "Anna Snelling ", DAY (2017, 1, 1), NULL, NULL);
    s_assert_resolves (org, "", DAY (2017, 1, 1), NULL, NULL);
    /* Either output may be skipped. */
    const char *team = NULL;
    assert_int_equal (sp_org_resolve (org, anna, DAY (2017, 6, 1), &team, NULL), 0);
    assert_string_equal (team, "Melvin Marxen");
    assert_int_equal (sp_org_resolve (org, anna, DAY (2017, 6, 1), NULL, NULL), 0);
    sp_org_destroy (&org);
}

/* Many reps given in reverse order, each with several memberships: the
   binary searches find every one. */
static void
test_resolve_many (void **state)
{
    (void) state;
    const size_t reps = 500;
    const size_t size = reps * 320 + 256;
    char *text = malloc (size);
    assert_non_null (text);
    size_t used = (size_t) snprintf (text, size,
                                     "{\"name\": \"big\", \"regions\": [{\"id\": \"R\"}],"
                                     " \"teams\": [{\"id\": \"A\", \"region\": \"R\"},"
                                     " {\"id\": \"B\", \"region\": \"R\"}], \"reps\": [");
    for (size_t index = reps; index-- > 0;)
        used += (size_t) snprintf (
            text + used, size - used,
            "%s{\"id\": \"rep-%04zu\", \"memberships\": [{\"team\": \"B\", \"from\":"
            " \"2017-03-01\", \"until\": \"2017-04-01\"}, {\"team\": \"A\", \"from\":"
            " \"2017-01-01\", \"until\": \"2017-02-01\"}, {\"team\": \"A\", \"from\":"
            " \"2017-04-01\"}]}",
            index == reps - 1 ? "" : ", ", index);
    snprintf (text + used, size - used, "]}");
    assert_true (used + 3 < size);
    sp_org_t *org = s_read (text);
    free (text);
    assert_int_equal (sp_org_rep_count (org), reps);
    for (size_t index = 0; index < reps; index++) {
        char rep[16];
        snprintf (rep, sizeof rep, "rep-%04zu", index);
        assert_string_equal (sp_org_rep_id (org, index), rep);
        s_assert_resolves (org, rep, DAY (2016, 12, 31), NULL, NULL);
        s_assert_resolves (org, rep, DAY (2017, 1, 31), "A", "R");
        s_assert_resolves (org, rep, DAY (2017, 2, 1), NULL, NULL);
        s_assert_resolves (org, rep, DAY (2017, 3, 1), "B", "R");
        s_assert_resolves (org, rep, DAY (2017, 4, 1), "A", "R");
    }
    const char *children[CHILDREN_MAX];
    assert_int_equal (sp_org_children (org, "team:A", DAY (2017, 1, 1), DAY (2018, 1, 1), children,
                                       COUNT (children)),
                      reps);
    assert_string_equal (children[0], "rep:rep-0000");
    assert_string_equal (children[CHILDREN_MAX - 1], "rep:rep-0007");
    assert_int_equal (sp_org_children (org, "team:A", DAY (2017, 2, 1), DAY (2017, 4, 1), children,
                                       COUNT (children)),
                      0);
    sp_org_destroy (&org);
}

// ---------------------------------------------------------------- scopes

static void
s_assert_scopes (const sp_org_t *org, const char *rep, const char *team, const char *region,
                 int64_t day, const char *want_rep, const char *want_team, const char *want_region)
{
    sp_org_scopes_t scopes;
    memset (&scopes, ERROR_FILL, sizeof scopes);
    sp_org_scopes (org, rep, team, region, day, &scopes);
    assert_string_equal (scopes.company, "company");
    assert_int_equal (scopes.has_rep, want_rep != NULL);
    assert_string_equal (scopes.rep, want_rep ? want_rep : "");
    assert_int_equal (scopes.has_team, want_team != NULL);
    assert_string_equal (scopes.team, want_team ? want_team : "");
    assert_int_equal (scopes.has_region, want_region != NULL);
    assert_string_equal (scopes.region, want_region ? want_region : "");
}

/* Which scopes an event counts in (docs/org.md). */
static void
test_scopes (void **state)
{
    (void) state;
    sp_org_t *org = s_read (ORG_JSON);
    const char *anna = "Anna Snelling";
    /* The membership in force on the event's day, across the move. */
    s_assert_scopes (org, anna, NULL, NULL, DAY (2017, 5, 14), "rep:Anna Snelling",
                     "team:Dustin Brinkmann", "region:Central");
    s_assert_scopes (org, anna, "", "", DAY (2017, 5, 15), "rep:Anna Snelling",
                     "team:Melvin Marxen", "region:East");
    s_assert_scopes (org, anna, NULL, NULL, DAY (2017, 9, 1), "rep:Anna Snelling",
                     "team:Dustin Brinkmann", "region:Central");
    /* No membership that day, or a rep the org does not know: the rep only. */
    s_assert_scopes (org, anna, NULL, NULL, DAY (2015, 1, 1), "rep:Anna Snelling", NULL, NULL);
    s_assert_scopes (org, "Zed", NULL, NULL, DAY (2017, 1, 1), "rep:Zed", NULL, NULL);
    /* The event's own ids win. */
    s_assert_scopes (org, anna, "Rosalina Dieter", "Central", DAY (2017, 5, 14),
                     "rep:Anna Snelling", "team:Rosalina Dieter", "region:Central");
    s_assert_scopes (org, anna, "Ad hoc", "Nowhere", DAY (2017, 5, 14), "rep:Anna Snelling",
                     "team:Ad hoc", "region:Nowhere");
    /* A team_id only: the region is the team's region in the org ... */
    s_assert_scopes (org, anna, "Rosalina Dieter", NULL, DAY (2017, 5, 14), "rep:Anna Snelling",
                     "team:Rosalina Dieter", "region:East");
    s_assert_scopes (org, NULL, "Dustin Brinkmann", NULL, DAY (2017, 5, 14), NULL,
                     "team:Dustin Brinkmann", "region:Central");
    /* ... and none when the org does not know the team. */
    s_assert_scopes (org, anna, "Ad hoc", NULL, DAY (2017, 5, 14), "rep:Anna Snelling",
                     "team:Ad hoc", NULL);
    /* A region_id only: the rep's team when it is in that region, else no team. */
    s_assert_scopes (org, anna, NULL, "Central", DAY (2017, 5, 14), "rep:Anna Snelling",
                     "team:Dustin Brinkmann", "region:Central");
    s_assert_scopes (org, anna, NULL, "East", DAY (2017, 5, 14), "rep:Anna Snelling", NULL,
                     "region:East");
    /* No ids: the company only. */
    s_assert_scopes (org, NULL, NULL, NULL, DAY (2017, 5, 14), NULL, NULL, NULL);
    s_assert_scopes (org, "", "", "", DAY (2017, 5, 14), NULL, NULL, NULL);
    /* No org: the event's own ids only. */
    s_assert_scopes (NULL, anna, NULL, NULL, DAY (2017, 5, 14), "rep:Anna Snelling", NULL, NULL);
    s_assert_scopes (NULL, anna, "Dustin Brinkmann", NULL, DAY (2017, 5, 14), "rep:Anna Snelling",
                     "team:Dustin Brinkmann", NULL);
    s_assert_scopes (NULL, NULL, NULL, "East", 0, NULL, NULL, "region:East");
    /* An id too long to be a scope counts as not given. */
    char longest[SP_ORG_ID_MAX + 2];
    memset (longest, 'T', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    s_assert_scopes (org, anna, longest, NULL, DAY (2017, 5, 14), "rep:Anna Snelling",
                     "team:Dustin Brinkmann", "region:Central");
    sp_org_destroy (&org);
}

// ---------------------------------------------------------------- children and parents

/* Asserts the children of node over [first_day, end_day) are want
   (NULL-terminated). */
static void
s_assert_children (const sp_org_t *org, const char *node, int64_t first_day, int64_t end_day,
                   const char *const *want)
{
    const char *children[CHILDREN_MAX];
    size_t count = sp_org_children (org, node, first_day, end_day, children, COUNT (children));
    size_t expected = 0;
    while (want[expected])
        expected++;
    assert_int_equal (count, expected);
    for (size_t index = 0; index < count; index++)
        assert_string_equal (children[index], want[index]);
}

static void
test_children (void **state)
{
    (void) state;
    sp_org_t *org = s_read (ORG_JSON);
    const int64_t start = DAY (2016, 1, 1);
    const int64_t end = DAY (2018, 1, 1);
    s_assert_children (org, "company", start, end,
                       (const char *[]){ "region:Central", "region:East", NULL });
    s_assert_children (org, "region:East", start, end,
                       (const char *[]){ "team:Melvin Marxen", "team:Rosalina Dieter", NULL });
    s_assert_children (org, "region:Central", start, end,
                       (const char *[]){ "team:Dustin Brinkmann", NULL });
    /* Anna has two memberships in Dustin Brinkmann: listed once. */
    s_assert_children (org, "team:Dustin Brinkmann", start, end,
                       (const char *[]){ "rep:Anna Snelling", "rep:Boris Bear", NULL });
    s_assert_children (org, "team:Melvin Marxen", start, end,
                       (const char *[]){ "rep:Anna Snelling", "rep:Cecily Lampkin", NULL });
    s_assert_children (org, "team:Rosalina Dieter", start, end, (const char *[]){ NULL });
    /* The window: while Anna was in East, Dustin Brinkmann had nobody. */
    s_assert_children (org, "team:Dustin Brinkmann", DAY (2017, 5, 15), DAY (2017, 9, 1),
                       (const char *[]){ NULL });
    s_assert_children (org, "team:Dustin Brinkmann", DAY (2017, 5, 14), DAY (2017, 9, 1),
                       (const char *[]){ "rep:Anna Snelling", NULL });
    s_assert_children (org, "team:Dustin Brinkmann", DAY (2017, 5, 15), DAY (2017, 9, 2),
                       (const char *[]){ "rep:Anna Snelling", NULL });
    s_assert_children (org, "team:Dustin Brinkmann", DAY (2016, 11, 30), DAY (2016, 12, 1),
                       (const char *[]){ "rep:Anna Snelling", "rep:Boris Bear", NULL });
    s_assert_children (org, "team:Dustin Brinkmann", DAY (2016, 12, 1), DAY (2016, 12, 2),
                       (const char *[]){ "rep:Anna Snelling", NULL });
    s_assert_children (org, "team:Melvin Marxen", DAY (2017, 9, 1), DAY (2017, 10, 1),
                       (const char *[]){ "rep:Cecily Lampkin", NULL });
    s_assert_children (org, "team:Melvin Marxen", DAY (2017, 9, 1), DAY (2017, 9, 1),
                       (const char *[]){ NULL });
    /* Reps, unknown nodes and malformed ones have no children. */
    const char *none[] = { "rep:Anna Snelling", "region:West", "team:Nobody", "Central", "",
                           "company:",          "region:",     "team:" };
    for (size_t index = 0; index < COUNT (none); index++)
        s_assert_children (org, none[index], start, end, (const char *[]){ NULL });
    /* More children than room: all counted, capacity written. */
    const char *children[2] = { "unset", "unset" };
    assert_int_equal (sp_org_children (org, "company", start, end, children, 1), 2);
    assert_string_equal (children[0], "region:Central");
    assert_string_equal (children[1], "unset");
    assert_int_equal (sp_org_children (org, "team:Melvin Marxen", start, end, NULL, 0), 2);
    sp_org_destroy (&org);
}

static void
test_parent (void **state)
{
    (void) state;
    sp_org_t *org = s_read (ORG_JSON);
    const char *anna = "rep:Anna Snelling";
    assert_string_equal (sp_org_parent (org, anna, DAY (2017, 5, 14)), "team:Dustin Brinkmann");
    assert_string_equal (sp_org_parent (org, anna, DAY (2017, 5, 15)), "team:Melvin Marxen");
    assert_string_equal (sp_org_parent (org, anna, DAY (2017, 9, 1)), "team:Dustin Brinkmann");
    assert_null (sp_org_parent (org, anna, DAY (2015, 12, 31)));
    assert_null (sp_org_parent (org, "rep:Boris Bear", DAY (2016, 12, 1)));
    assert_string_equal (sp_org_parent (org, "team:Melvin Marxen", 0), "region:East");
    assert_string_equal (sp_org_parent (org, "team:Dustin Brinkmann", 0), "region:Central");
    assert_string_equal (sp_org_parent (org, "region:East", 0), "company");
    assert_null (sp_org_parent (org, "company", 0));
    assert_null (sp_org_parent (org, "region:West", 0));
    assert_null (sp_org_parent (org, "team:Nobody", 0));
    assert_null (sp_org_parent (org, "rep:Nobody", 0));
    assert_null (sp_org_parent (org, "Anna Snelling", DAY (2017, 5, 14)));
    assert_null (sp_org_parent (org, "", 0));

    assert_true (sp_org_contains (org, "company"));
    assert_true (sp_org_contains (org, "region:Central"));
    assert_true (sp_org_contains (org, "team:Rosalina Dieter"));
    assert_true (sp_org_contains (org, "rep:Boris Bear"));
    assert_false (sp_org_contains (org, "rep:Rosalina Dieter"));
    assert_false (sp_org_contains (org, "team:Central"));
    assert_false (sp_org_contains (org, "Central"));
    assert_false (sp_org_contains (org, ""));
    sp_org_destroy (&org);
}

// ---------------------------------------------------------------- canonical form

/* The canonical text is exact, and the same for the same org however
   ordered or spaced; sp_org_check gives it with the name. */
static void
test_canonical (void **state)
{
    (void) state;
    sp_org_t *org = s_read (ORG_JSON);
    char *text = sp_org_to_json (org);
    assert_non_null (text);
    assert_string_equal (text, ORG_CANONICAL);
    free (text);
    sp_org_destroy (&org);

    const char *reordered =
        "{\n  \"reps\": [\n"
        "    {\"memberships\": [{\"from\": \"2016-06-01\", \"until\": \"2016-12-01\","
        " \"team\": \"Dustin Brinkmann\"}], \"id\": \"Boris Bear\"},\n"
        "    {\"memberships\": [{\"team\": \"Melvin Marxen\", \"from\": \"2016-01-01\"}],"
        " \"id\": \"Cecily Lampkin\"},\n"
        "    {\"id\": \"Anna Snelling\", \"memberships\": ["
        "{\"team\": \"Dustin Brinkmann\", \"from\": \"2017-09-01\"},"
        "{\"team\": \"Melvin Marxen\", \"until\": \"2017-09-01\", \"from\": \"2017-05-15\"},"
        "{\"team\": \"Dustin Brinkmann\", \"from\": \"2016-01-01\", \"until\": \"2017-05-15\"}"
        "]}],\n"
        "  \"teams\": [{\"region\": \"East\", \"id\": \"Rosalina Dieter\"},"
        " {\"region\": \"Central\", \"id\": \"Dustin Brinkmann\"},"
        " {\"region\": \"East\", \"id\": \"Melvin Marxen\"}],\n"
        "  \"regions\": [{\"title\": \"East coast\", \"id\": \"East\"}, {\"id\": \"Central\"}],\n"
        "  \"company\": \"Maven\", \"name\": \"crm\"\n}\n";
    const char *inputs[] = { ORG_JSON, reordered, ORG_CANONICAL };
    for (size_t index = 0; index < COUNT (inputs); index++) {
        char name[SP_REFDATA_NAME_SIZE] = "";
        char error[SP_ORG_ERROR_SIZE] = "";
        char *canonical = NULL;
        assert_int_equal (sp_org_check (inputs[index], strlen (inputs[index]), name, sizeof name,
                                        &canonical, error, sizeof error),
                          0);
        assert_string_equal (name, "crm");
        assert_string_equal (canonical, ORG_CANONICAL);
        free (canonical);
    }
    /* The text need not be NUL-terminated: only length bytes are read. */
    char *copy = strdup (ORG_JSON "garbage");
    assert_non_null (copy);
    org = sp_org_new (copy, strlen (ORG_JSON), NULL, 0);
    assert_non_null (org);
    sp_org_destroy (&org);
    free (copy);
}

// ---------------------------------------------------------------- errors

typedef struct {
    const char *text;    /* the org */
    const char *message; /* the exact error */
} error_case_t;

#define REGIONS "\"regions\": [{\"id\": \"C\"}, {\"id\": \"E\"}]"
#define TEAMS "\"teams\": [{\"id\": \"T\", \"region\": \"C\"}, {\"id\": \"U\", \"region\": \"E\"}]"
#define HEAD "{\"name\": \"o\", " REGIONS ", " TEAMS ", "
#define REPS(reps) HEAD "\"reps\": [" reps "]}"
#define M(membership) REPS ("{\"id\": \"A\", \"memberships\": [" membership "]}")
#define ID_129                                                                                     \
    "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"                             \
    "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"

static const error_case_t s_errors[] = {
    { "{", "invalid JSON at line 1 column 1: string or '}' expected near end of file" },
    { "[]", "an org must be a JSON object, got an array" },
    { "{\"name\": \"o\", \"name\": \"p\"}",
      "invalid JSON at line 1 column 20: duplicate object key near '\"name\"'" },
    { "{\"name\": \"o\", \"colour\": 1, " REGIONS ", " TEAMS ", \"reps\": []}",
      "field \"colour\": unknown field" },
    { "{" REGIONS ", " TEAMS ", \"reps\": []}", "field \"name\": required" },
    { "{\"name\": \"Crm\", " REGIONS ", " TEAMS ", \"reps\": []}",
      "field \"name\": invalid name \"Crm\": use 1 to 63 characters of a-z, 0-9, \"_\" and \"-\"" },
    { "{\"name\": \"o\", \"company\": \"\", " REGIONS ", " TEAMS ", \"reps\": []}",
      "field \"company\": must not be empty" },
    { "{\"name\": \"o\", \"company\": 1, " REGIONS ", " TEAMS ", \"reps\": []}",
      "field \"company\": expected a string, got an integer" },
    { "{\"name\": \"o\", \"company\": \"M\\taven\", " REGIONS ", " TEAMS ", \"reps\": []}",
      "field \"company\": control character U+0009 at byte 1" },
    { "{\"name\": \"o\", " TEAMS ", \"reps\": []}", "field \"regions\": required" },
    { "{\"name\": \"o\", \"regions\": {}, " TEAMS ", \"reps\": []}",
      "field \"regions\": expected an array, got an object" },
    { "{\"name\": \"o\", \"regions\": [\"C\"], \"teams\": [], \"reps\": []}",
      "field \"regions[0]\": expected an object, got a string" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"C\", \"colour\": 1}], \"teams\": [],"
      " \"reps\": []}",
      "field \"regions[0].colour\": unknown field" },
    { "{\"name\": \"o\", \"regions\": [{\"title\": \"C\"}], \"teams\": [], \"reps\": []}",
      "field \"regions[0].id\": required" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": 7}], \"teams\": [], \"reps\": []}",
      "field \"regions[0].id\": expected a string, got an integer" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"\"}], \"teams\": [], \"reps\": []}",
      "field \"regions[0].id\": must not be empty" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"" ID_129 "\"}], \"teams\": [], \"reps\": []}",
      "field \"regions[0].id\": longer than 128 bytes" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"a\\u0000b\"}], \"teams\": [], \"reps\": []}",
      "invalid JSON at line 1 column 43: \\u0000 is not allowed without JSON_ALLOW_NUL near"
      " '\"a\\u0000b\"'" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"a\\u007f\"}], \"teams\": [], \"reps\": []}",
      "field \"regions[0].id\": control character U+007F at byte 1" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"a\\u0085\"}], \"teams\": [], \"reps\": []}",
      "field \"regions[0].id\": control character U+0085 at byte 1" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"C\", \"title\": \"\"}], \"teams\": [],"
      " \"reps\": []}",
      "field \"regions[0].title\": must not be empty" },
    { "{\"name\": \"o\", \"regions\": [{\"id\": \"C\"}, {\"id\": \"E\"}, {\"id\": \"C\"}],"
      " \"teams\": [], \"reps\": []}",
      "field \"regions[2].id\": \"C\" is already the id of regions[0]" },
    { "{\"name\": \"o\", " REGIONS ", \"reps\": []}", "field \"teams\": required" },
    { "{\"name\": \"o\", " REGIONS ", \"teams\": [{\"id\": \"T\"}], \"reps\": []}",
      "field \"teams[0].region\": required" },
    { "{\"name\": \"o\", " REGIONS ", \"teams\": [{\"id\": \"T\", \"region\": \"c\"}],"
      " \"reps\": []}",
      "field \"teams[0].region\": unknown region \"c\"" },
    { "{\"name\": \"o\", " REGIONS ", \"teams\": [{\"id\": \"T\", \"region\": [\"C\"]}],"
      " \"reps\": []}",
      "field \"teams[0].region\": expected a string, got an array" },
    { "{\"name\": \"o\", " REGIONS ", \"teams\": [{\"id\": \"T\", \"region\": \"C\","
      " \"title\": \"x\"}], \"reps\": []}",
      "field \"teams[0].title\": unknown field" },
    { "{\"name\": \"o\", " REGIONS ", \"teams\": [{\"region\": \"C\"}], \"reps\": []}",
      "field \"teams[0].id\": required" },
    { "{\"name\": \"o\", " REGIONS ", \"teams\": [{\"id\": \"T\", \"region\": \"C\"},"
      " {\"id\": \"T\", \"region\": \"E\"}], \"reps\": []}",
      "field \"teams[1].id\": \"T\" is already the id of teams[0]" },
    { HEAD "\"reps\": null}", "field \"reps\": expected an array, got null" },
    { HEAD "\"reps\": [[]]}", "field \"reps[0]\": expected an object, got an array" },
    { REPS ("{\"memberships\": []}"), "field \"reps[0].id\": required" },
    { REPS ("{\"id\": \"A\"}"), "field \"reps[0].memberships\": required" },
    { REPS ("{\"id\": \"A\", \"role\": \"AE\", \"memberships\": []}"),
      "field \"reps[0].role\": invalid name \"AE\": use 1 to 63 characters of a-z, 0-9, "
      "\"_\" and \"-\"" },
    { REPS ("{\"id\": \"A\", \"memberships\": [], \"team\": \"T\"}"),
      "field \"reps[0].team\": unknown field" },
    { REPS ("{\"id\": \"A\", \"memberships\": []}"),
      "field \"reps[0].memberships\": at least one membership is required" },
    { REPS ("{\"id\": \"A\", \"memberships\": {}}"),
      "field \"reps[0].memberships\": expected an array, got an object" },
    { M ("\"T\""), "field \"reps[0].memberships[0]\": expected an object, got a string" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\", \"to\": \"2018-01-01\"}"),
      "field \"reps[0].memberships[0].to\": unknown field" },
    { M ("{\"from\": \"2017-01-01\"}"), "field \"reps[0].memberships[0].team\": required" },
    { M ("{\"team\": \"t\", \"from\": \"2017-01-01\"}"),
      "field \"reps[0].memberships[0].team\": unknown team \"t\"" },
    { M ("{\"team\": \"C\", \"from\": \"2017-01-01\"}"),
      "field \"reps[0].memberships[0].team\": unknown team \"C\"" },
    { M ("{\"team\": \"T\"}"), "field \"reps[0].memberships[0].from\": required" },
    { M ("{\"team\": \"T\", \"from\": 20170101}"),
      "field \"reps[0].memberships[0].from\": expected a string, got an integer" },
    { M ("{\"team\": \"T\", \"from\": \"2017-13-01\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"2017-13-01\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017-02-29\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"2017-02-29\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017-00-10\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"2017-00-10\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-00\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"2017-01-00\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017-1-01\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"2017-1-01\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017/01/01\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"2017/01/01\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01T00:00:00Z\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"2017-01-01T00:00:00Z\":"
      " use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"+017-01-01\"}"),
      "field \"reps[0].memberships[0].from\": invalid date \"+017-01-01\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\", \"until\": \"2017-04-31\"}"),
      "field \"reps[0].memberships[0].until\": invalid date \"2017-04-31\": use YYYY-MM-DD" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\", \"until\": null}"),
      "field \"reps[0].memberships[0].until\": expected a string, got null" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\", \"until\": \"2017-01-01\"}"),
      "field \"reps[0].memberships[0].until\": \"2017-01-01\" is not after \"from\""
      " \"2017-01-01\"" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-02\", \"until\": \"2017-01-01\"}"),
      "field \"reps[0].memberships[0].until\": \"2017-01-01\" is not after \"from\""
      " \"2017-01-02\"" },
    /* Overlaps, named by both paths, the later one first. */
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\", \"until\": \"2017-03-01\"},"
         " {\"team\": \"U\", \"from\": \"2017-02-28\"}"),
      "field \"reps[0].memberships[1]\": overlaps reps[0].memberships[0]" },
    { M ("{\"team\": \"U\", \"from\": \"2017-02-28\"},"
         " {\"team\": \"T\", \"from\": \"2017-01-01\", \"until\": \"2017-03-01\"}"),
      "field \"reps[0].memberships[1]\": overlaps reps[0].memberships[0]" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\"},"
         " {\"team\": \"U\", \"from\": \"2018-01-01\", \"until\": \"2018-02-01\"}"),
      "field \"reps[0].memberships[1]\": overlaps reps[0].memberships[0]" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\", \"until\": \"2017-02-01\"},"
         " {\"team\": \"U\", \"from\": \"2017-02-01\", \"until\": \"2017-03-01\"},"
         " {\"team\": \"T\", \"from\": \"2017-02-01\", \"until\": \"2017-02-02\"}"),
      "field \"reps[0].memberships[2]\": overlaps reps[0].memberships[1]" },
    { M ("{\"team\": \"T\", \"from\": \"2017-01-01\", \"until\": \"2017-02-01\"},"
         " {\"team\": \"T\", \"from\": \"2017-01-15\", \"until\": \"2017-01-16\"}"),
      "field \"reps[0].memberships[1]\": overlaps reps[0].memberships[0]" },
    /* Duplicate reps: the earliest repetition in the document is named. */
    { REPS ("{\"id\": \"Y\", \"memberships\": [{\"team\": \"T\", \"from\": \"2017-01-01\"}]},"
            " {\"id\": \"X\", \"memberships\": [{\"team\": \"T\", \"from\": \"2017-01-01\"}]},"
            " {\"id\": \"Y\", \"memberships\": [{\"team\": \"U\", \"from\": \"2016-01-01\"}]},"
            " {\"id\": \"X\", \"memberships\": [{\"team\": \"T\", \"from\": \"2017-01-01\"}]}"),
      "field \"reps[2].id\": \"Y\" is already the id of reps[0]" },
    { REPS ("{\"id\": \"X\", \"memberships\": [{\"team\": \"T\", \"from\": \"2017-01-01\"}]},"
            " {\"id\": \"Y\", \"memberships\": [{\"team\": \"T\", \"from\": \"2017-01-01\"}]},"
            " {\"id\": \"Y\", \"memberships\": [{\"team\": \"U\", \"from\": \"2016-01-01\"}]},"
            " {\"id\": \"X\", \"memberships\": [{\"team\": \"T\", \"from\": \"2017-01-01\"}]},"
            " {\"id\": \"X\", \"memberships\": [{\"team\": \"T\", \"from\": \"2017-01-01\"}]}"),
      "field \"reps[2].id\": \"Y\" is already the id of reps[1]" },
    { REPS ("{\"id\": \"" ID_129 "\", \"memberships\": []}"),
      "field \"reps[0].id\": longer than 128 bytes" },
};

static void
test_errors (void **state)
{
    (void) state;
    for (size_t index = 0; index < COUNT (s_errors); index++)
        s_assert_refused (s_errors[index].text, s_errors[index].message);
}

/* A JSON array of count zeros: the bound is checked before the entries. */
static char *
s_zeros (const char *head, size_t count, const char *tail)
{
    size_t size = strlen (head) + 2 * count + strlen (tail) + 1;
    char *text = malloc (size);
    assert_non_null (text);
    size_t used = (size_t) snprintf (text, size, "%s", head);
    for (size_t index = 0; index < count; index++) {
        text[used++] = index ? ',' : '[';
        text[used++] = '0';
    }
    snprintf (text + used, size - used, "%s", tail);
    return text;
}

/* The bounds of a document, and a message cut to a small buffer. */
static void
test_bounds (void **state)
{
    (void) state;
    char *text =
        s_zeros ("{\"name\": \"o\", " REGIONS ", " TEAMS ", \"reps\": ", SP_ORG_REPS_MAX + 1, "]}");
    s_assert_refused (text, "field \"reps\": 100001 reps, at most 100000 are allowed");
    free (text);
    text = s_zeros ("{\"name\": \"o\", " REGIONS ", \"teams\": ", SP_ORG_TEAMS_MAX + 1,
                    "], \"reps\": []}");
    s_assert_refused (text, "field \"teams\": 100001 teams, at most 100000 are allowed");
    free (text);
    text = s_zeros ("{\"name\": \"o\", \"regions\": ", SP_ORG_REGIONS_MAX + 1,
                    "], \"teams\": [], \"reps\": []}");
    s_assert_refused (text, "field \"regions\": 10001 regions, at most 10000 are allowed");
    free (text);

    /* 64 memberships are fine, 65 are too many. */
    char memberships[8192] = "";
    size_t used = 0;
    for (int index = 0; index <= SP_ORG_MEMBERSHIPS_MAX; index++) {
        if (index == SP_ORG_MEMBERSHIPS_MAX) {
            char allowed[sizeof memberships + 512];
            snprintf (allowed, sizeof allowed,
                      HEAD "\"reps\": [{\"id\": \"A\", \"memberships\": [%s]}]}", memberships);
            sp_org_t *org = s_read (allowed);
            assert_int_equal (sp_org_rep_membership_count (org, 0), SP_ORG_MEMBERSHIPS_MAX);
            sp_org_destroy (&org);
        }
        used += (size_t) snprintf (memberships + used, sizeof memberships - used,
                                   "%s{\"team\": \"T\", \"from\": \"%04d-01-01\","
                                   " \"until\": \"%04d-01-01\"}",
                                   index ? ", " : "", 2000 + index, 2001 + index);
        assert_true (used < sizeof memberships);
    }
    char refused[sizeof memberships + 512];
    snprintf (refused, sizeof refused, HEAD "\"reps\": [{\"id\": \"A\", \"memberships\": [%s]}]}",
              memberships);
    s_assert_refused (refused, "field \"reps[0].memberships\": 65 memberships, at most 64 are"
                               " allowed");

    char small[12];
    memset (small, ERROR_FILL, sizeof small);
    assert_null (sp_org_new (refused, strlen (refused), small, sizeof small));
    assert_string_equal (small, "field \"reps");
}

/* A rep's optional role: read, looked up by rep id, written back in the
   canonical form only when given. */
static void
test_role (void **state)
{
    (void) state;
    const char *text =
        "{\"name\": \"o\", \"regions\": [{\"id\": \"C\"}], \"teams\": [{\"id\": \"T\","
        " \"region\": \"C\"}], \"reps\": [{\"id\": \"B\", \"memberships\": [{\"team\": \"T\","
        " \"from\": \"2025-01-01\"}]}, {\"role\": \"ae\", \"id\": \"A\", \"memberships\":"
        " [{\"team\": \"T\", \"from\": \"2025-01-01\"}]}]}";
    sp_org_t *org = s_read (text);
    assert_string_equal (sp_org_rep_role (org, "A"), "ae");
    assert_null (sp_org_rep_role (org, "B"));
    assert_null (sp_org_rep_role (org, "rep:A")); /* an id, not a scope */
    assert_null (sp_org_rep_role (org, "Z"));
    char *canonical = sp_org_to_json (org);
    assert_string_equal (
        canonical, "{\"name\":\"o\",\"regions\":[{\"id\":\"C\"}],\"reps\":[{\"id\":\"A\","
                   "\"memberships\":[{\"from\":\"2025-01-01\",\"team\":\"T\"}],\"role\":\"ae\"},"
                   "{\"id\":\"B\",\"memberships\":[{\"from\":\"2025-01-01\",\"team\":\"T\"}]}],"
                   "\"teams\":[{\"id\":\"T\",\"region\":\"C\"}]}");
    free (canonical);
    sp_org_destroy (&org);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_read),
        cmocka_unit_test (test_minimal_and_long_ids),
        cmocka_unit_test (test_resolve_team_move),
        cmocka_unit_test (test_resolve_many),
        cmocka_unit_test (test_scopes),
        cmocka_unit_test (test_children),
        cmocka_unit_test (test_parent),
        cmocka_unit_test (test_canonical),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_bounds),
        cmocka_unit_test (test_role),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
