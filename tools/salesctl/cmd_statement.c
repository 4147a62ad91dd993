/*  salesctl statement / salesctl whatif - a rep's commission statement,
    and what one more deal would add to it.

        salesctl statement --rep REP --period PERIOD [--json]
        salesctl whatif --rep REP --deal AMOUNT [--period PERIOD] [--margin AMOUNT] [--json]
                        [--postgres URL] [--redis URL]

    PERIOD is a month, quarter or year ("2017-05", "2017-Q2", "2017") of
    incentive-calculator's time zone, of the kind the rep's plans pay per.
    The statement is computed from the rep's credits, cancellations and
    the plans loaded (incentive_query.h): every line with its explanation
    (deal, credit %, measure, base, attainment before and after, band,
    rate, mode, rule id, plan version), adjustments and clawbacks linked
    to their original line, draws and recoveries, opening and closing
    balance, net payout. A closed period's statement is the one stored at
    the close, byte for byte. With --json the document itself (money as
    integers in minor units; docs/incentive-calculator.md).

    whatif adds a deal of AMOUNT (major units of the payout currency,
    credited 100 % to REP) at the end of the period (or now, when the
    period is the current one) and shows the lines it would create and
    the payout before and after; it stores nothing. Without --period: the
    current period of the kind of the rep's plans.
*/
#include "salesctl.h"
#include "salesctl_complete.h"
#include "incentive-calculator/incentive_keys.h"
#include "incentive-calculator/incentive_query.h"
#include "incentive-calculator/incentive_statement.h"
#include "sp_event.h"
#include "sp_money.h"

#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The event id of a what-if deal: '~' sorts after every id a publisher
   uses at the same instant, so the deal changes no other line. */
#define S_WHATIF_EVENT "~whatif"

static const sp_config_option_t s_statement_options[] = {
    { "rep", NULL, SP_CONFIG_STRING, NULL, "the rep_id (required)", 0, 0 },
    { "period", NULL, SP_CONFIG_STRING, NULL,
      "the period: YYYY-MM, YYYY-Qn or YYYY, as the rep's plans pay (required)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print the statement as one JSON document", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

static const sp_config_option_t s_whatif_options[] = {
    { "rep", NULL, SP_CONFIG_STRING, NULL, "the rep_id (required)", 0, 0 },
    { "deal", NULL, SP_CONFIG_STRING, NULL,
      "the deal's amount in major units of the payout currency, e.g. 25000.00 (required)", 0, 0 },
    { "margin", NULL, SP_CONFIG_STRING, "", "the deal's margin, same currency (default: none)", 0,
      0 },
    { "period", NULL, SP_CONFIG_STRING, "",
      "the period the deal would fall in (default: the current one of the rep's plans)", 0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "print one JSON object", 0, 0 },
    SALESCTL_COMPLETE_OPTIONS,
};

/* Largest allocation glibc's malloc takes from its heap instead of a
   mapping of its own (its limit on 64-bit: 32 MiB). */
#define S_MMAP_THRESHOLD (32 << 20)

/* Makes freed memory serve the next allocations: a statement reads its
   credits and marks (megabytes of replies, freed once read), then makes
   its lines, their text and the document. By default glibc gives each
   allocation of more than about 128 KiB a fresh mapping and returns
   freed heap above 128 KiB to the system, so every phase pays the
   kernel's zeroing of fresh pages again (2 MiB: 1 to 4 ms on the
   benchmark's machine). Kept from the heap and not trimmed, the lines
   and their text take the pages the replies left. A hint: without glibc
   nothing changes. */
static void
s_keep_freed_memory (void)
{
#ifdef __GLIBC__
    mallopt (M_MMAP_THRESHOLD, S_MMAP_THRESHOLD);
    mallopt (M_TRIM_THRESHOLD, 2 * S_MMAP_THRESHOLD);
#endif
}

/* A session: the connections and the query. */
typedef struct {
    sp_pg_t *pg;
    sp_redis_t *redis;
    incentive_query_t *query;
    salesctl_complete_t complete; /* whether the state read held the whole log */
} s_session_t;

static void
s_close (s_session_t *session)
{
    salesctl_complete_close (&session->complete);
    incentive_query_destroy (&session->query);
    sp_redis_destroy (&session->redis);
    sp_pg_destroy (&session->pg);
}

static int
s_open (const sp_config_t *config, const char *command, s_session_t *session)
{
    memset (session, 0, sizeof *session);
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", command,
                 sp_config_arg (config, 0));
        return -1;
    }
    const char *rep = sp_config_string (config, "rep");
    if (!rep || !*rep || strlen (rep) >= INCENTIVE_RECORD_REP_SIZE) {
        fprintf (stderr, "salesctl %s: --rep is required (1..%d bytes)\n", command,
                 INCENTIVE_RECORD_REP_SIZE - 1);
        return -1;
    }
    uint32_t partitions = 0;
    char error[INCENTIVE_QUERY_ERROR_SIZE];
    session->pg = salesctl_postgres_connect (config, command);
    if (!session->pg || salesctl_partitions (session->pg, command, &partitions) != 0)
        return -1;
    session->redis = salesctl_redis_connect (config, command);
    if (!session->redis)
        return -1;
    session->query =
        incentive_query_new (session->redis, session->pg, partitions, error, sizeof error);
    if (!session->query) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        return -1;
    }
    /* plans apply forward: no reference data makes the state stale */
    return salesctl_complete_open (config, command, INCENTIVE_KEYS_SERVICE, session->pg, NULL, 0,
                                   &session->complete);
}

/* What the completeness check saw, as JSON members of a statement of an
   open period: "complete", "behind" (events logged and not applied) and
   "completeness" (malloc'd), or NULL when out of memory. */
static char *
s_completeness_members (const salesctl_complete_t *complete)
{
    const sp_completeness_t *check = complete->completeness;
    json_t *members =
        json_pack ("{s:b, s:I, s:o}", "complete", salesctl_complete_ok (complete), "behind",
                   (json_int_t) (sp_completeness_events (check) - sp_completeness_applied (check)),
                   "completeness", sp_completeness_json (check));
    char *text = members ? json_dumps (members, JSON_COMPACT) : NULL;
    json_decref (members);
    size_t length = text ? strlen (text) : 0;
    if (length <= 2) {
        free (text);
        return NULL;
    }
    /* "{members}" -> "members" */
    memmove (text, text + 1, length - 2);
    text[length - 2] = '\0';
    return text;
}

/* Appends to *text, a statement of an open period (a JSON object), what
   the completeness check saw (s_completeness_members). Returns 0, or -1
   when out of memory. */
static int
s_add_completeness (char **text, const salesctl_complete_t *complete)
{
    char *members = s_completeness_members (complete);
    size_t length = strlen (*text);
    size_t members_length = members ? strlen (members) : 0;
    /* grown in place: a statement of 10,000 deals is 8 MiB, not copied again */
    char *joined = members_length > 0 && length >= 2 && (*text)[length - 1] == '}'
                       ? realloc (*text, length + members_length + 2)
                       : NULL;
    if (!joined) {
        free (members);
        return -1;
    }
    /* "{...}" + "members" -> "{...,members}" */
    joined[length - 1] = ',';
    memcpy (joined + length, members, members_length);
    joined[length + members_length] = '}';
    joined[length + members_length + 1] = '\0';
    free (members);
    *text = joined;
    return 0;
}

/* One line of the statement in words. */
static void
s_print_line (const json_t *line, const char *currency)
{
    char amount[SALESCTL_MONEY_TEXT_SIZE];
    const json_t *why = json_object_get (line, "explanation");
    const char *kind = salesctl_json_text (line, "kind");
    printf ("  %-10s %14s  ", kind,
            salesctl_money (salesctl_json_number (line, "amount"), currency, amount));
    if (strcmp (kind, "earning") == 0 || strcmp (kind, "clawback") == 0) {
        char base[SALESCTL_MONEY_TEXT_SIZE];
        const json_t *rate = json_object_get (why, "rate");
        printf ("deal %s (%s%%) %s base %s, attainment %s -> %s, band %s %s%s%s, rule %s, plan %s",
                salesctl_json_text (why, "deal"), salesctl_json_text (why, "credit_percent"),
                salesctl_json_text (why, "measure"),
                salesctl_money (salesctl_json_number (why, "base"), currency, base),
                salesctl_json_text (why, "attainment_before"),
                salesctl_json_text (why, "attainment_after"), salesctl_json_text (why, "band"),
                salesctl_json_text (why, "mode"), json_is_string (rate) ? " at " : "",
                json_is_string (rate) ? json_string_value (rate) : "",
                salesctl_json_text (why, "rule_id"), salesctl_json_text (why, "plan_version"));
        if (strcmp (kind, "clawback") == 0)
            printf (", reverses %s (%s)", salesctl_json_text (why, "reverses"),
                    salesctl_json_text (why, "reason"));
    }
    else if (strcmp (kind, "adjustment") == 0 || strcmp (kind, "true_up") == 0)
        printf ("%s: %s%s%s", salesctl_json_text (why, "type"), salesctl_json_text (why, "reason"),
                *salesctl_json_text (why, "link") ? ", on " : "", salesctl_json_text (why, "link"));
    else {
        char draw[SALESCTL_MONEY_TEXT_SIZE], before[SALESCTL_MONEY_TEXT_SIZE],
            after[SALESCTL_MONEY_TEXT_SIZE];
        printf ("draw %s, owed %s -> %s",
                salesctl_money (salesctl_json_number (why, "draw"), currency, draw),
                salesctl_money (salesctl_json_number (why, "balance_before"), currency, before),
                salesctl_money (salesctl_json_number (why, "balance_after"), currency, after));
    }
    printf ("  [%s]\n", salesctl_json_text (line, "event_id"));
}

/* The statement in words. */
static void
s_print_statement (const json_t *root)
{
    const char *currency = salesctl_json_text (root, "currency");
    char money[SALESCTL_MONEY_TEXT_SIZE];
    const json_t *lines = json_object_get (root, "lines");
    printf ("statement of %s for %s (%s)%s\n", salesctl_json_text (root, "rep_id"),
            salesctl_json_text (root, "period"), currency,
            json_is_true (json_object_get (root, "closed")) ? ", closed" : "");
    printf ("  opening balance owed %s\n",
            salesctl_money (salesctl_json_number (root, "opening_balance"), currency, money));
    size_t index;
    json_t *line;
    json_array_foreach (lines, index, line)
    {
        s_print_line (line, currency);
    }
    char advances[SALESCTL_MONEY_TEXT_SIZE], recoveries[SALESCTL_MONEY_TEXT_SIZE],
        closing[SALESCTL_MONEY_TEXT_SIZE];
    printf ("  commission %s, advances %s, recoveries %s, closing balance owed %s\n",
            salesctl_money (salesctl_json_number (root, "commission"), currency, money),
            salesctl_money (salesctl_json_number (root, "advances"), currency, advances),
            salesctl_money (salesctl_json_number (root, "recoveries"), currency, recoveries),
            salesctl_money (salesctl_json_number (root, "closing_balance"), currency, closing));
    const json_t *unpaid = json_object_get (root, "not_credited");
    json_array_foreach (unpaid, index, line)
    {
        printf ("  not credited: %s: %s\n", salesctl_json_text (line, "event_id"),
                salesctl_json_text (line, "reason"));
    }
    printf ("  net payout %s\n",
            salesctl_money (salesctl_json_number (root, "net_payout"), currency, money));
}

/* The statement in words: computed whole, then printed. */
static int
s_statement_text (const sp_config_t *config, s_session_t *session, const char *period)
{
    static const char command[] = "statement";
    char error[INCENTIVE_QUERY_ERROR_SIZE];
    char *text = NULL;
    incentive_query_summary_t summary;
    int exit_code = SALESCTL_EXIT_FAILURE;
    int again;
    do {
        free (text);
        text = NULL;
        if (salesctl_complete_begin (&session->complete, session->pg, session->redis) != 0)
            return SALESCTL_EXIT_FAILURE;
        /* "" for members: the completeness check's are added below */
        text =
            incentive_query_statement_with (session->query, sp_config_string (config, "rep"),
                                            period, NULL, false, "", &summary, error, sizeof error);
        if (!text) {
            fprintf (stderr, "salesctl %s: %s\n", command, error);
            return SALESCTL_EXIT_FAILURE;
        }
    } while ((again = salesctl_complete_end (&session->complete, session->redis)) == 1);
    if (again < 0)
        goto out;
    /* a closed period's statement is as stored: nothing to catch up on */
    if (!summary.statement.closed && s_add_completeness (&text, &session->complete) != 0) {
        fprintf (stderr, "salesctl %s: out of memory\n", command);
        goto out;
    }
    if (!summary.statement.closed)
        salesctl_complete_text (&session->complete, stdout);
    json_t *root = json_loads (text, 0, NULL);
    if (root)
        s_print_statement (root);
    json_decref (root);
    exit_code = fflush (stdout) == 0 && !ferror (stdout)
                    ? salesctl_complete_exit (&session->complete)
                    : SALESCTL_EXIT_FAILURE;
out:
    free (text);
    return exit_code;
}

/* The statement as one JSON document: the rep's facts read until the
   completeness check confirms the read, then the statement computed and
   written to stdout as it is made (8 MiB for 10,000 deals, never held
   whole), with the check's members when the period is open. */
static int
s_statement_json (const sp_config_t *config, s_session_t *session, const char *period)
{
    static const char command[] = "statement";
    char error[INCENTIVE_QUERY_ERROR_SIZE];
    incentive_query_read_t *read = NULL;
    int exit_code = SALESCTL_EXIT_FAILURE;
    char *members = NULL;
    int again;
    do {
        incentive_query_read_destroy (&read);
        if (salesctl_complete_begin (&session->complete, session->pg, session->redis) != 0)
            return SALESCTL_EXIT_FAILURE;
        read = incentive_query_read (session->query, sp_config_string (config, "rep"), period, NULL,
                                     error, sizeof error);
        if (!read) {
            fprintf (stderr, "salesctl %s: %s\n", command, error);
            return SALESCTL_EXIT_FAILURE;
        }
    } while ((again = salesctl_complete_end (&session->complete, session->redis)) == 1);
    if (again < 0)
        goto out;
    /* left out of a closed period's statement (as stored: nothing to catch up on) */
    members = s_completeness_members (&session->complete);
    if (!members) {
        fprintf (stderr, "salesctl %s: out of memory\n", command);
        goto out;
    }
    if (incentive_query_read_write (read, members, stdout, NULL, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        goto out;
    }
    exit_code = putchar ('\n') != EOF && fflush (stdout) == 0 && !ferror (stdout)
                    ? salesctl_complete_exit (&session->complete)
                    : SALESCTL_EXIT_FAILURE;
out:
    free (members);
    incentive_query_read_destroy (&read);
    return exit_code;
}

int
salesctl_statement (int argc, char **argv)
{
    static const char command[] = "statement";
    int exit_code = SALESCTL_EXIT_FAILURE;
    s_keep_freed_memory ();
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show a rep's commission statement for a month, quarter or year: every line with its "
        "explanation, adjustments, clawbacks, draws, balances and the net payout.",
        s_statement_options, sizeof s_statement_options / sizeof s_statement_options[0],
        &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    s_session_t session;
    const char *period = sp_config_string (config, "period");
    if (!period || !*period) {
        fprintf (stderr, "salesctl %s: --period is required (e.g. --period 2017-Q2)\n", command);
        goto out;
    }
    if (s_open (config, command, &session) != 0)
        goto out_close;
    if (sp_config_bool (config, "json"))
        exit_code = s_statement_json (config, &session, period);
    else
        exit_code = s_statement_text (config, &session, period);
out_close:
    s_close (&session);
out:
    sp_config_destroy (&config);
    return exit_code;
}

/* ---------------------------------------------------------------- whatif */

/* The what-if deal: amount (and margin) in the payout currency, at the
   end of period or now when now falls in it. */
static int
s_whatif_credit (const sp_config_t *config, const incentive_query_t *query,
                 const sp_period_t *period, incentive_record_credit_t *credit)
{
    const char *currency = incentive_query_currency (query);
    memset (credit, 0, sizeof *credit);
    snprintf (credit->event_id, sizeof credit->event_id, "%s", S_WHATIF_EVENT);
    snprintf (credit->rep, sizeof credit->rep, "%s", sp_config_string (config, "rep"));
    snprintf (credit->deal, sizeof credit->deal, "what-if");
    snprintf (credit->currency, sizeof credit->currency, "%s", currency);
    const char *deal = sp_config_string (config, "deal");
    const char *margin = sp_config_string (config, "margin");
    if (!deal || sp_money_parse (deal, currency, &credit->deal_amount) != SP_MONEY_OK ||
        credit->deal_amount < 0) {
        fprintf (stderr, "salesctl whatif: --deal \"%s\" is not an amount of %s such as 25000.00\n",
                 deal ? deal : "", currency);
        return -1;
    }
    if (margin && *margin) {
        if (sp_money_parse (margin, currency, &credit->margin) != SP_MONEY_OK) {
            fprintf (stderr, "salesctl whatif: --margin \"%s\" is not an amount of %s\n", margin,
                     currency);
            return -1;
        }
        credit->has_margin = true;
    }
    credit->revenue = credit->deal_amount;
    credit->credit_bp = 10000;
    int64_t now = salesctl_wall_ms ();
    credit->occurred_at = sp_period_contains (period, now) ? now : period->end_ms - 1;
    return 0;
}

/* The lines of statement made by the what-if deal, and their sum. */
static json_t *
s_whatif_lines (const json_t *statement, int64_t *adds)
{
    json_t *lines = json_array ();
    size_t index;
    json_t *line;
    *adds = 0;
    json_array_foreach (json_object_get (statement, "lines"), index, line)
    {
        if (strcmp (salesctl_json_text (line, "event_id"), S_WHATIF_EVENT) != 0)
            continue;
        *adds += salesctl_json_number (line, "amount");
        json_array_append (lines, line);
    }
    return lines;
}

int
salesctl_whatif (int argc, char **argv)
{
    static const char command[] = "whatif";
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config = salesctl_config (
        argc, argv,
        "Show what one more deal would add to a rep's statement, line by line; stores nothing.",
        s_whatif_options, sizeof s_whatif_options / sizeof s_whatif_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    s_session_t session;
    json_t *before = NULL, *after = NULL, *lines = NULL;
    char *before_text = NULL, *after_text = NULL;
    if (s_open (config, command, &session) != 0)
        goto out;
    const char *rep = sp_config_string (config, "rep");
    const char *label = sp_config_string (config, "period");
    char error[INCENTIVE_QUERY_ERROR_SIZE];
    sp_period_t period;
    sp_period_kind_t kind;
    if (!*label) {
        if (incentive_query_rep_kind (session.query, rep, &kind, error, sizeof error) != 0 ||
            sp_period_cut (incentive_query_tz (session.query), kind, salesctl_wall_ms (),
                           &period) != 0) {
            fprintf (stderr, "salesctl %s: %s\n", command, error);
            goto out;
        }
        label = period.label;
    }
    else if (sp_period_parse (incentive_query_tz (session.query), label, &period, error,
                              sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: --period: %s\n", command, error);
        goto out;
    }
    incentive_record_credit_t credit;
    if (s_whatif_credit (config, session.query, &period, &credit) != 0)
        goto out;
    int again;
    do {
        free (before_text);
        free (after_text);
        before_text = after_text = NULL;
        if (salesctl_complete_begin (&session.complete, session.pg, session.redis) != 0)
            goto out;
        before_text = incentive_query_statement_with (session.query, rep, period.label, NULL, false,
                                                      "", NULL, error, sizeof error);
        after_text =
            before_text ? incentive_query_statement_with (session.query, rep, period.label, &credit,
                                                          false, "", NULL, error, sizeof error)
                        : NULL;
        if (!after_text) {
            fprintf (stderr, "salesctl %s: %s\n", command, error);
            goto out;
        }
    } while ((again = salesctl_complete_end (&session.complete, session.redis)) == 1);
    if (again < 0)
        goto out;
    before = json_loads (before_text, 0, NULL);
    after = json_loads (after_text, 0, NULL);
    int64_t adds = 0;
    lines = after ? s_whatif_lines (after, &adds) : NULL;
    if (!before || !lines) {
        fprintf (stderr, "salesctl %s: out of memory\n", command);
        goto out;
    }
    const char *currency = incentive_query_currency (session.query);
    int64_t net_before = salesctl_json_number (before, "net_payout");
    int64_t net_after = salesctl_json_number (after, "net_payout");
    if (sp_config_bool (config, "json")) {
        json_t *document =
            json_pack ("{s:s, s:s, s:s, s:I, s:I, s:O, s:I, s:I, s:I}", "rep_id", rep, "period",
                       period.label, "currency", currency, "deal", (json_int_t) credit.deal_amount,
                       "occurred_at", (json_int_t) credit.occurred_at, "lines", lines, "adds",
                       (json_int_t) adds, "net_payout_before", (json_int_t) net_before,
                       "net_payout_after", (json_int_t) net_after);
        if (!document || salesctl_complete_json (&session.complete, document) != 0 ||
            salesctl_print_json (document) != 0) /* takes document */
            goto out;
    }
    else {
        char money[SALESCTL_MONEY_TEXT_SIZE];
        salesctl_complete_text (&session.complete, stdout);
        printf ("what if %s won a deal of %s in %s:\n", rep,
                salesctl_money (credit.deal_amount, currency, money), period.label);
        size_t index;
        json_t *line;
        json_array_foreach (lines, index, line)
        {
            s_print_line (line, currency);
        }
        char before_money[SALESCTL_MONEY_TEXT_SIZE], after_money[SALESCTL_MONEY_TEXT_SIZE];
        printf ("  adds %s; net payout %s -> %s (stored: nothing)\n",
                salesctl_money (adds, currency, money),
                salesctl_money (net_before, currency, before_money),
                salesctl_money (net_after, currency, after_money));
    }
    exit_code =
        fflush (stdout) == 0 ? salesctl_complete_exit (&session.complete) : SALESCTL_EXIT_FAILURE;
out:
    json_decref (lines);
    json_decref (before);
    json_decref (after);
    free (before_text);
    free (after_text);
    s_close (&session);
    sp_config_destroy (&config);
    return exit_code;
}
