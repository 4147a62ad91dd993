/*  funnel_render - JSON and text forms of funnel reports (see funnel_render.h). */
#include "funnel_render.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sp_event.h"
#include "sp_money.h"

#define S_REAL_DIGITS_MAX 17  /* significant digits that always round-trip a double */
#define S_REAL_SIZE 64        /* room for "%.17g" of any double, "%.17f" below 1e16 */
#define S_POSITIONAL_MIN 1e-4 /* reals written without exponent: 1e-4 <= |x| < 1e16 */
#define S_POSITIONAL_MAX 1e16
#define S_CELL_SIZE 48 /* room for one table cell */
#define S_EIGHTHS 8    /* partial block characters per column */
#define S_PERCENT 100.0
#define S_NAME_WIDTH_MIN 4 /* "step" */

#define S_BOLD "\033[1m"
#define S_RESET "\033[0m"
#define S_GREEN "\033[32m"
#define S_RED "\033[31m"
#define S_CYAN "\033[36m"

static const char s_full_block[] = "\xe2\x96\x88"; /* U+2588 */
/* U+258F .. U+2589: one to seven eighths of a column. */
static const char *const s_partial_blocks[S_EIGHTHS] = {
    "",
    "\xe2\x96\x8f",
    "\xe2\x96\x8e",
    "\xe2\x96\x8d",
    "\xe2\x96\x8c",
    "\xe2\x96\x8b",
    "\xe2\x96\x8a",
    "\xe2\x96\x89",
};

/* ---------------------------------------------------------------- JSON */

static json_t *
s_optional (funnel_report_value_t value)
{
    return value.set ? json_real (value.value) : json_null ();
}

/* Sets key to value (taken); false when value is NULL or it failed. */
static bool
s_put (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

static json_t *
s_months (const funnel_report_months_t *months)
{
    json_t *array = json_array ();
    for (size_t index = 0; array && index < months->count; index++)
        if (json_array_append_new (array, json_string (months->month[index])) != 0) {
            json_decref (array);
            return NULL;
        }
    return array;
}

static json_t *
s_step_json (const funnel_render_context_t *context, const funnel_report_t *report, size_t step)
{
    const funnel_definition_step_t *defined =
        funnel_definition_step (context->definition, step - 1);
    const funnel_report_step_t *line = &report->steps[step - 1];
    json_t *object = json_object ();
    const char *event = sp_event_type_name (defined->event);
    if (!object || !s_put (object, "step", json_integer ((json_int_t) step)) ||
        !s_put (object, "name", json_string (defined->name)) ||
        !s_put (object, "event", json_string (event ? event : "")) ||
        !s_put (object, "outcome",
                json_string (funnel_definition_outcome_name (defined->outcome))) ||
        !s_put (object, "reached", json_integer ((json_int_t) line->reached)) ||
        !s_put (object, "step_conversion", s_optional (line->step_conversion)) ||
        !s_put (object, "overall_conversion", s_optional (line->overall_conversion)) ||
        !s_put (object, "drop_off",
                line->has_drop_off ? json_integer ((json_int_t) line->drop_off) : json_null ()) ||
        !s_put (object, "drop_off_rate", s_optional (line->drop_off_rate)) ||
        /* made last, so that nothing is left to free when a put fails */
        !s_put (object, "time_from_previous",
                step >= 2 ? json_pack ("{s:I, s:o, s:o}", "count", (json_int_t) line->time_count,
                                       "mean_ms", s_optional (line->time_mean_ms), "median_ms",
                                       s_optional (line->time_median_ms))
                          : json_null ())) {
        json_decref (object);
        return NULL;
    }
    return object;
}

json_t *
funnel_render_report_json (const funnel_render_context_t *context, const funnel_report_t *report)
{
    assert (context && report);
    json_t *steps = json_array ();
    for (size_t step = 1; steps && step <= report->step_count; step++)
        if (json_array_append_new (steps, s_step_json (context, report, step)) != 0) {
            json_decref (steps);
            steps = NULL;
        }
    json_t *document = json_pack (
        "{s:s, s:I, s:s, s:s, s:s, s:o?, s:s, s:s, s:o?}", "funnel",
        funnel_definition_name (context->definition), "version", (json_int_t) context->version,
        "mode", funnel_definition_mode_name (report->mode), "scope", context->scope, "period",
        context->period, "months", s_months (context->months), "currency", context->currency,
        "time_zone", context->time_zone, "steps", steps);
    if (!document || !json_is_array (json_object_get (document, "months")) ||
        !json_is_array (json_object_get (document, "steps"))) {
        json_decref (document);
        return NULL;
    }
    if (report->mode != FUNNEL_STEPS_MODE_PIPELINE)
        return document;
    json_t *outcome = json_pack (
        "{s:I, s:I, s:o, s:{s:I, s:I, s:o, s:o}, s:I, s:{s:I, s:o, s:o, s:o}}", "won",
        (json_int_t) report->won, "lost", (json_int_t) report->lost, "win_rate",
        s_optional (report->win_rate), "won_amount", "count", (json_int_t) report->won_amount_count,
        "sum", (json_int_t) report->won_amount_sum, "mean", s_optional (report->won_amount_mean),
        "median", s_optional (report->won_amount_median), "won_other_currency",
        (json_int_t) report->won_other_currency, "sales_cycle", "count",
        (json_int_t) report->cycle_count, "mean_ms", s_optional (report->cycle_mean_ms),
        "median_ms", s_optional (report->cycle_median_ms), "median_days",
        s_optional (report->cycle_median_days));
    if (!s_put (document, "outcome", outcome)) {
        json_decref (document);
        return NULL;
    }
    return document;
}

json_t *
funnel_render_pipeline_json (const funnel_render_context_t *context,
                             const funnel_report_pipeline_t *pipeline)
{
    assert (context && pipeline);
    json_t *steps = json_array ();
    for (size_t index = 0; steps && index < pipeline->step_count; index++) {
        const funnel_report_pipeline_step_t *line = &pipeline->steps[index];
        json_t *object = json_pack (
            "{s:I, s:s, s:f, s:I, s:I, s:I, s:I}", "step", (json_int_t) line->step, "name",
            funnel_definition_step (context->definition, line->step - 1)->name, "probability",
            line->probability, "open", (json_int_t) line->open, "value", (json_int_t) line->value,
            "weighted_value", (json_int_t) line->weighted_value, "other_currency",
            (json_int_t) line->other_currency);
        if (json_array_append_new (steps, object) != 0) {
            json_decref (steps);
            steps = NULL;
        }
    }
    json_t *document = json_pack (
        "{s:s, s:I, s:s, s:s, s:s, s:o?, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "funnel",
        funnel_definition_name (context->definition), "version", (json_int_t) context->version,
        "scope", context->scope, "period", context->period, "currency", context->currency, "steps",
        steps, "open", (json_int_t) pipeline->open, "value", (json_int_t) pipeline->value,
        "weighted_value", (json_int_t) pipeline->weighted_value, "win_rate",
        s_optional (pipeline->win_rate), "average_won_amount",
        s_optional (pipeline->average_won_amount), "median_sales_cycle_days",
        s_optional (pipeline->median_sales_cycle_days), "velocity_per_day",
        s_optional (pipeline->velocity_per_day));
    if (document && !json_is_array (json_object_get (document, "steps"))) {
        json_decref (document);
        return NULL;
    }
    return document;
}

/* The shortest "%.Ng" of value that reads back as value, ".0" added to
   whole numbers as jansson writes them. */
static void
s_real_text (double value, char *buffer, size_t size)
{
    for (int digits = 1; digits <= S_REAL_DIGITS_MAX; digits++) {
        snprintf (buffer, size, "%.*g", digits, value);
        if (strtod (buffer, NULL) == value)
            break;
    }
    /* Positional rather than exponent form where it stays short, as
       JavaScript and Python write numbers: 129600000.0, not 1.296e+08. */
    if (strchr (buffer, 'e') && fabs (value) >= S_POSITIONAL_MIN && fabs (value) < S_POSITIONAL_MAX)
        for (int decimals = 0; decimals <= S_REAL_DIGITS_MAX; decimals++) {
            snprintf (buffer, size, "%.*f", decimals, value);
            if (strtod (buffer, NULL) == value)
                break;
        }
    if (!strpbrk (buffer, ".eEn")) {
        size_t length = strlen (buffer);
        if (length + 2 < size)
            memcpy (buffer + length, ".0", 3);
    }
}

static int
s_write_json (FILE *stream, const json_t *value)
{
    if (json_is_object (value)) {
        const char *key;
        json_t *member;
        bool first = true;
        fputc ('{', stream);
        /* cppcheck-suppress [constVariablePointer] */
        json_object_foreach ((json_t *) value, key, member)
        {
            json_t *name = json_string (key);
            char *quoted = name ? json_dumps (name, JSON_ENCODE_ANY) : NULL;
            json_decref (name);
            if (!quoted)
                return -1;
            fprintf (stream, "%s%s:", first ? "" : ",", quoted);
            free (quoted);
            first = false;
            if (s_write_json (stream, member) != 0)
                return -1;
        }
        fputc ('}', stream);
        return 0;
    }
    if (json_is_array (value)) {
        fputc ('[', stream);
        for (size_t index = 0; index < json_array_size (value); index++) {
            if (index > 0)
                fputc (',', stream);
            if (s_write_json (stream, json_array_get (value, index)) != 0)
                return -1;
        }
        fputc (']', stream);
        return 0;
    }
    if (json_is_real (value)) {
        char text[S_REAL_SIZE];
        s_real_text (json_real_value (value), text, sizeof text);
        fputs (text, stream);
        return 0;
    }
    char *text = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text)
        return -1;
    fputs (text, stream);
    free (text);
    return 0;
}

char *
funnel_render_json_text (const json_t *document)
{
    assert (document);
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream (&text, &length);
    if (!stream)
        return NULL;
    int rc = s_write_json (stream, document);
    if (fclose (stream) != 0 || rc != 0) {
        free (text);
        return NULL;
    }
    return text;
}

/* ---------------------------------------------------------------- text */

static void
s_percent (funnel_report_value_t value, char *cell, size_t size)
{
    if (value.set)
        snprintf (cell, size, "%.1f%%", value.value * S_PERCENT);
    else
        snprintf (cell, size, "-");
}

static void
s_days (funnel_report_value_t milliseconds, char *cell, size_t size)
{
    double days = milliseconds.value / (double) FUNNEL_REPORT_MS_PER_DAY;
    if (milliseconds.set)
        /* Two decimals under a day, so that hours do not all read 0.0. */
        snprintf (cell, size, "%.*f d", fabs (days) < 1 ? 2 : 1, days);
    else
        snprintf (cell, size, "-");
}

/* Money of minor units in the currency's decimals, or "<n> minor" when the
   currency is unknown. */
static void
s_money (int64_t minor, const char *currency, char *cell, size_t size)
{
    char text[SP_MONEY_TEXT_SIZE];
    if (sp_money_format (minor, currency, text, sizeof text) == SP_MONEY_OK)
        snprintf (cell, size, "%s", text);
    else
        snprintf (cell, size, "%lld minor", (long long) minor);
}

/* A money figure that may be missing or fractional (a mean, a median),
   rounded half away from zero to minor units. */
static void
s_money_value (funnel_report_value_t value, const char *currency, char *cell, size_t size)
{
    if (value.set && fabs (value.value) <= (double) SP_MONEY_MAX_MINOR)
        s_money ((int64_t) llround (value.value), currency, cell, size);
    else
        snprintf (cell, size, "-");
}

/* Writes a bar of reached / first (eighths of a column), padded to the
   full width. */
static void
s_bar (FILE *stream, uint64_t reached, uint64_t first, const char *colour)
{
    size_t eighths = 0;
    if (first > 0) {
        double share = (double) reached / (double) first;
        if (share > 1)
            share = 1;
        eighths = (size_t) llround (share * FUNNEL_RENDER_BAR_WIDTH * S_EIGHTHS);
    }
    size_t full = eighths / S_EIGHTHS;
    size_t partial = eighths % S_EIGHTHS;
    fputs (colour, stream);
    for (size_t column = 0; column < full; column++)
        fputs (s_full_block, stream);
    fputs (s_partial_blocks[partial], stream);
    fputs (*colour ? S_RESET : "", stream);
    for (size_t column = full + (partial ? 1 : 0); column < FUNNEL_RENDER_BAR_WIDTH; column++)
        fputc (' ', stream);
}

static void
s_heading (FILE *stream, const funnel_render_context_t *context, const char *what, bool colour)
{
    fprintf (stream, "%s%s %s%s, version %lld (%s), scope %s, period %s", colour ? S_BOLD : "",
             what, funnel_definition_name (context->definition), colour ? S_RESET : "",
             (long long) context->version,
             funnel_definition_mode_name (funnel_definition_mode (context->definition)),
             context->scope, context->period);
    const funnel_report_months_t *months = context->months;
    if (months->count == 1 && strcmp (context->period, months->month[0]) != 0)
        fprintf (stream, " (%s)", months->month[0]);
    else if (months->count > 1)
        fprintf (stream, " (%s to %s)", months->month[0], months->month[months->count - 1]);
    else if (months->count == 0)
        fprintf (stream, " (no months)");
    fprintf (stream, ", time zone %s\n\n", context->time_zone);
}

static int
s_name_width (const funnel_definition_t *definition)
{
    size_t width = S_NAME_WIDTH_MIN;
    for (size_t index = 0; index < funnel_definition_step_count (definition); index++) {
        size_t length = strlen (funnel_definition_step (definition, index)->name);
        if (length > width)
            width = length;
    }
    return (int) width;
}

int
funnel_render_report_text (FILE *stream, const funnel_render_context_t *context,
                           const funnel_report_t *report, bool colour)
{
    assert (stream && context && report);
    s_heading (stream, context, "funnel", colour);
    int name_width = s_name_width (context->definition);
    fprintf (stream, "%s%-*s  %-*s  %10s  %9s  %9s  %18s  %14s%s\n", colour ? S_BOLD : "",
             name_width, "step", FUNNEL_RENDER_BAR_WIDTH, "", "reached", "step conv", "overall",
             "drop-off", "median from prev", colour ? S_RESET : "");
    uint64_t first = report->step_count ? report->steps[0].reached : 0;
    for (size_t step = 1; step <= report->step_count; step++) {
        const funnel_definition_step_t *defined =
            funnel_definition_step (context->definition, step - 1);
        const funnel_report_step_t *line = &report->steps[step - 1];
        const char *bar_colour = !colour                                              ? ""
                                 : defined->outcome == FUNNEL_DEFINITION_OUTCOME_WON  ? S_GREEN
                                 : defined->outcome == FUNNEL_DEFINITION_OUTCOME_LOST ? S_RED
                                                                                      : S_CYAN;
        char step_conversion[S_CELL_SIZE], overall[S_CELL_SIZE], drop_rate[S_CELL_SIZE];
        char drop[2 * S_CELL_SIZE], median[S_CELL_SIZE];
        s_percent (line->step_conversion, step_conversion, sizeof step_conversion);
        s_percent (line->overall_conversion, overall, sizeof overall);
        s_percent (line->drop_off_rate, drop_rate, sizeof drop_rate);
        if (line->has_drop_off && !line->drop_off_rate.set)
            snprintf (drop, sizeof drop, "%lld", (long long) line->drop_off);
        else if (line->has_drop_off)
            snprintf (drop, sizeof drop, "%lld (%s)", (long long) line->drop_off, drop_rate);
        else
            snprintf (drop, sizeof drop, "-");
        s_days (line->time_median_ms, median, sizeof median);
        fprintf (stream, "%-*s  ", name_width, defined->name);
        s_bar (stream, line->reached, first, bar_colour);
        fprintf (stream, "  %10llu  %9s  %9s  %18s  %14s\n", (unsigned long long) line->reached,
                 step_conversion, overall, drop, step >= 2 ? median : "-");
    }
    if (report->mode == FUNNEL_STEPS_MODE_PIPELINE) {
        char rate[S_CELL_SIZE], sum[S_CELL_SIZE], mean[S_CELL_SIZE], median[S_CELL_SIZE];
        char cycle_mean[S_CELL_SIZE], cycle_median[S_CELL_SIZE];
        s_percent (report->win_rate, rate, sizeof rate);
        s_money (report->won_amount_sum, context->currency, sum, sizeof sum);
        s_money_value (report->won_amount_mean, context->currency, mean, sizeof mean);
        s_money_value (report->won_amount_median, context->currency, median, sizeof median);
        s_days (report->cycle_mean_ms, cycle_mean, sizeof cycle_mean);
        s_days (report->cycle_median_ms, cycle_median, sizeof cycle_median);
        fprintf (stream, "\nwon %llu, lost %llu, win rate %s\n", (unsigned long long) report->won,
                 (unsigned long long) report->lost, rate);
        fprintf (stream, "won amount: %llu in %s, total %s, mean %s, median %s",
                 (unsigned long long) report->won_amount_count, context->currency, sum, mean,
                 median);
        if (report->won_other_currency > 0)
            fprintf (stream, " (%llu more won in other currencies)",
                     (unsigned long long) report->won_other_currency);
        fprintf (stream, "\nsales cycle: %llu won, mean %s, median %s\n",
                 (unsigned long long) report->cycle_count, cycle_mean, cycle_median);
    }
    return ferror (stream) ? -1 : 0;
}

int
funnel_render_pipeline_text (FILE *stream, const funnel_render_context_t *context,
                             const funnel_report_pipeline_t *pipeline, bool colour)
{
    assert (stream && context && pipeline);
    s_heading (stream, context, "pipeline", colour);
    int name_width = s_name_width (context->definition);
    fprintf (stream, "%s%-*s  %11s  %8s  %16s  %16s  %14s%s\n", colour ? S_BOLD : "", name_width,
             "step", "probability", "open", "value", "weighted", "other currency",
             colour ? S_RESET : "");
    uint64_t other = 0;
    for (size_t index = 0; index < pipeline->step_count; index++) {
        const funnel_report_pipeline_step_t *line = &pipeline->steps[index];
        char value[S_CELL_SIZE], weighted[S_CELL_SIZE], probability[S_CELL_SIZE];
        s_money (line->value, context->currency, value, sizeof value);
        s_money (line->weighted_value, context->currency, weighted, sizeof weighted);
        s_percent ((funnel_report_value_t){ .set = true, .value = line->probability }, probability,
                   sizeof probability);
        fprintf (stream, "%-*s  %11s  %8llu  %16s  %16s  %14llu\n", name_width,
                 funnel_definition_step (context->definition, line->step - 1)->name, probability,
                 (unsigned long long) line->open, value, weighted,
                 (unsigned long long) line->other_currency);
        other += line->other_currency;
    }
    char value[S_CELL_SIZE], weighted[S_CELL_SIZE];
    s_money (pipeline->value, context->currency, value, sizeof value);
    s_money (pipeline->weighted_value, context->currency, weighted, sizeof weighted);
    fprintf (stream, "%s%-*s  %11s  %8llu  %16s  %16s  %14llu%s\n", colour ? S_BOLD : "",
             name_width, "total", "", (unsigned long long) pipeline->open, value, weighted,
             (unsigned long long) other, colour ? S_RESET : "");
    char rate[S_CELL_SIZE], average[S_CELL_SIZE], cycle[S_CELL_SIZE], velocity[S_CELL_SIZE];
    s_percent (pipeline->win_rate, rate, sizeof rate);
    s_money_value (pipeline->average_won_amount, context->currency, average, sizeof average);
    s_money_value (pipeline->velocity_per_day, context->currency, velocity, sizeof velocity);
    if (pipeline->median_sales_cycle_days.set)
        snprintf (cycle, sizeof cycle, "%.1f d", pipeline->median_sales_cycle_days.value);
    else
        snprintf (cycle, sizeof cycle, "-");
    fprintf (stream,
             "\nopen now, values in %s; win rate, amounts and cycle over period %s\n"
             "win rate %s, average won amount %s, median sales cycle %s\n"
             "velocity %s per day\n",
             context->currency, context->period, rate, average, cycle, velocity);
    return ferror (stream) ? -1 : 0;
}
