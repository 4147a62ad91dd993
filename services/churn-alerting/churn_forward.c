/*  churn_forward - churn alerts as Alertmanager takes them (see
    churn_forward.h). */
#include "churn_forward.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_civil.h"

#define S_MS_PER_SECOND INT64_C (1000)
#define S_SECONDS_PER_HOUR 3600
#define S_SECONDS_PER_MINUTE 60
#define S_BASIS_POINTS_PER_PERCENT 100u

/* Room for an annotation built here: the description, the longest. */
#define S_TEXT_SIZE 2048

/* Room for an int64 in decimal with its sign and NUL. */
#define S_NUMBER_SIZE 24

/* A percent-encoded byte ("%2F") */
#define S_ESCAPED_SIZE 3

int
churn_forward_endpoint (const char *base, char *buffer, size_t size)
{
    assert (base && buffer && size > 0);
    buffer[0] = '\0';
    size_t length = strlen (base);
    while (length > 0 && base[length - 1] == '/')
        length--;
    bool http = strncmp (base, "http://", 7) == 0 && length > 7;
    bool https = strncmp (base, "https://", 8) == 0 && length > 8;
    if (!http && !https)
        return -1;
    for (size_t index = 0; index < length; index++)
        if ((unsigned char) base[index] <= ' ' || base[index] == 0x7f)
            return -1;
    int written = snprintf (buffer, size, "%.*s%s", (int) length, base, CHURN_FORWARD_PATH);
    if (written < 0 || (size_t) written >= size) {
        buffer[0] = '\0';
        return -1;
    }
    return 0;
}

int
churn_forward_time (int64_t ms, char *buffer, size_t size)
{
    assert (buffer && size >= CHURN_FORWARD_TIME_SIZE);
    buffer[0] = '\0';
    int64_t seconds = sp_civil_floor_divide (ms, S_MS_PER_SECOND);
    int64_t millis = ms - seconds * S_MS_PER_SECOND;
    int64_t days = sp_civil_floor_divide (seconds, SP_CIVIL_SECONDS_PER_DAY);
    int64_t of_day = seconds - days * SP_CIVIL_SECONDS_PER_DAY;
    char day[SP_CIVIL_DATE_LABEL_SIZE];
    if (sp_civil_date_label (days, day) != 0)
        return -1;
    snprintf (buffer, size, "%sT%02d:%02d:%02d.%03dZ", day, (int) (of_day / S_SECONDS_PER_HOUR),
              (int) (of_day % S_SECONDS_PER_HOUR / S_SECONDS_PER_MINUTE),
              (int) (of_day % S_SECONDS_PER_MINUTE), (int) millis);
    return 0;
}

/* RFC 3986's unreserved characters, left as they are in a URL. */
static bool
s_unreserved (unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *
churn_forward_generator_url (const char *templ, const char *customer)
{
    assert (templ && customer);
    const size_t field = strlen (CHURN_FORWARD_CUSTOMER_FIELD);
    size_t fields = 0;
    for (const char *at = strstr (templ, CHURN_FORWARD_CUSTOMER_FIELD); at;
         at = strstr (at + field, CHURN_FORWARD_CUSTOMER_FIELD))
        fields++;
    size_t size = strlen (templ) + fields * S_ESCAPED_SIZE * strlen (customer) + 1;
    char *url = malloc (size);
    if (!url)
        return NULL;
    static const char digits[] = "0123456789ABCDEF";
    size_t used = 0;
    for (const char *cursor = templ; *cursor;) {
        if (strncmp (cursor, CHURN_FORWARD_CUSTOMER_FIELD, field) != 0) {
            url[used++] = *cursor++;
            continue;
        }
        for (const unsigned char *c = (const unsigned char *) customer; *c; c++) {
            if (s_unreserved (*c))
                url[used++] = (char) *c;
            else {
                url[used++] = '%';
                url[used++] = digits[*c >> 4];
                url[used++] = digits[*c & 0x0f];
            }
        }
        cursor += field;
    }
    url[used] = '\0';
    assert (used < size);
    return url;
}

/* Appends printf-style text to buffer (size bytes, used so far); cut
   when full. */
static void s_append (char *buffer, size_t size, size_t *used, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_append (char *buffer, size_t size, size_t *used, const char *format, ...)
{
    if (*used >= size)
        return;
    va_list arguments;
    va_start (arguments, format);
    int written = vsnprintf (buffer + *used, size - *used, format, arguments);
    va_end (arguments);
    if (written > 0)
        *used = *used + (size_t) written < size ? *used + (size_t) written : size - 1;
}

/* "recency 0 (weight 30%), payment 80 (weight 12.5%)": what pulls the
   score down most first, each factor's score out of 100 and its weight. */
static void
s_factors (const churn_alert_t *alert, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (size_t index = 0; index < alert->factor_count; index++) {
        const churn_alert_factor_t *factor = &alert->factors[index];
        unsigned whole = factor->weight_bp / S_BASIS_POINTS_PER_PERCENT;
        unsigned part = factor->weight_bp % S_BASIS_POINTS_PER_PERCENT;
        s_append (buffer, size, &used, "%s%s %d (weight %u", index ? ", " : "",
                  churn_model_measure_name (factor->measure), factor->score, whole);
        if (part)
            s_append (buffer, size, &used, part % 10 ? ".%02u" : ".%u",
                      part % 10 ? part : part / 10);
        s_append (buffer, size, &used, "%%)");
    }
}

/* "80, 75, -, 60": the previous periods' scores, oldest first. */
static void
s_previous (const churn_alert_t *alert, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (size_t index = 0; index < alert->previous_count; index++) {
        if (alert->previous[index] == CHURN_ALERT_NO_SCORE)
            s_append (buffer, size, &used, "%s-", index ? ", " : "");
        else
            s_append (buffer, size, &used, "%s%d", index ? ", " : "", alert->previous[index]);
    }
}

/* Sets object[name] to a copy of text; false when out of memory. */
static bool
s_set (json_t *object, const char *name, const char *text)
{
    return json_object_set_new (object, name, json_string (text)) == 0;
}

/* As s_set, for a number written in decimal. */
static bool
s_set_number (json_t *object, const char *name, int64_t value)
{
    char text[S_NUMBER_SIZE];
    snprintf (text, sizeof text, "%" PRId64, value);
    return s_set (object, name, text);
}

static json_t *
s_labels (const churn_alert_t *alert)
{
    json_t *labels = json_object ();
    bool set = labels && s_set (labels, "alertname", CHURN_FORWARD_ALERTNAME) &&
               s_set (labels, "customer", alert->customer_id) &&
               s_set (labels, "rule", churn_rules_rule_name (alert->rule)) &&
               s_set (labels, "severity", churn_rules_severity_name (alert->severity));
    set = set && (!*alert->owner_region || s_set (labels, "region", alert->owner_region));
    set = set && (!*alert->owner_team || s_set (labels, "team", alert->owner_team));
    set = set && (!*alert->owner_rep || s_set (labels, "rep", alert->owner_rep));
    if (!set) {
        json_decref (labels);
        return NULL;
    }
    return labels;
}

static json_t *
s_annotations (const churn_alert_t *alert)
{
    char period[SP_CIVIL_DATE_LABEL_SIZE], fired[SP_CIVIL_DATE_LABEL_SIZE];
    if (sp_civil_date_label (alert->day, period) != 0 ||
        sp_civil_date_label (alert->fired_day, fired) != 0)
        return NULL;
    bool resolved = churn_alert_state (alert->action) == CHURN_ALERT_RESOLVED;
    const char *rule = churn_rules_rule_name (alert->rule);
    char summary[S_TEXT_SIZE], description[S_TEXT_SIZE], factors[S_TEXT_SIZE],
        previous[S_TEXT_SIZE], score[S_NUMBER_SIZE + 16] = "not scored";
    size_t used = 0;
    if (alert->has_score)
        snprintf (score, sizeof score, "score %d (%s)", alert->score,
                  churn_score_band_name (alert->band));
    if (resolved)
        snprintf (summary, sizeof summary, "customer %s: %s resolved on %s, %s", alert->customer_id,
                  rule, period, score);
    else
        snprintf (summary, sizeof summary, "customer %s: %s (%s) since %s, %s", alert->customer_id,
                  rule, churn_rules_severity_name (alert->severity), fired, score);
    s_factors (alert, factors, sizeof factors);
    s_previous (alert, previous, sizeof previous);
    description[0] = '\0';
    s_append (description, sizeof description, &used, "churn rule %s fired on %s", rule, fired);
    if (resolved)
        s_append (description, sizeof description, &used, " and resolved on %s", period);
    s_append (description, sizeof description, &used, "; %s on %s", score, period);
    if (alert->has_interval)
        s_append (description, sizeof description, &used,
                  "; %" PRId64 " days since the last order, typically %" PRId64,
                  alert->days_since_order, alert->typical_interval_days);
    if (*factors)
        s_append (description, sizeof description, &used, "; factors: %s", factors);
    if (*alert->owner_rep || *alert->owner_team || *alert->owner_region)
        s_append (description, sizeof description, &used, "; owner: rep %s, team %s, region %s",
                  *alert->owner_rep ? alert->owner_rep : "-",
                  *alert->owner_team ? alert->owner_team : "-",
                  *alert->owner_region ? alert->owner_region : "-");

    json_t *annotations = json_object ();
    bool set = annotations && s_set (annotations, "summary", summary) &&
               s_set (annotations, "description", description) &&
               s_set (annotations, "action", churn_lifecycle_action_name (alert->action)) &&
               s_set (annotations, "period", period) && s_set (annotations, "fired_day", fired) &&
               s_set_number (annotations, "alert_seq", alert->sequence);
    set = set &&
          (!alert->has_score || (s_set_number (annotations, "score", alert->score) &&
                                 s_set (annotations, "band", churn_score_band_name (alert->band))));
    set = set && (!*factors || s_set (annotations, "factors", factors));
    set = set && (!*previous || s_set (annotations, "previous_scores", previous));
    set = set &&
          (!alert->has_interval ||
           (s_set_number (annotations, "days_since_order", alert->days_since_order) &&
            s_set_number (annotations, "typical_interval_days", alert->typical_interval_days)));
    if (!set) {
        json_decref (annotations);
        return NULL;
    }
    return annotations;
}

json_t *
churn_forward_alert (const churn_alert_t *alert, int64_t fired_at_ms, int64_t now_ms,
                     int64_t interval_ms, const char *generator_url)
{
    assert (alert && interval_ms > 0);
    bool resolved = churn_alert_state (alert->action) == CHURN_ALERT_RESOLVED;
    int64_t ends_ms =
        resolved ? alert->created_at_ms : now_ms + CHURN_FORWARD_ENDS_INTERVALS * interval_ms;
    /* Alertmanager refuses an alert that ends before it starts (clocks
       apart) */
    int64_t starts_ms = fired_at_ms < ends_ms ? fired_at_ms : ends_ms;
    char starts[CHURN_FORWARD_TIME_SIZE], ends[CHURN_FORWARD_TIME_SIZE];
    if (churn_forward_time (starts_ms, starts, sizeof starts) != 0 ||
        churn_forward_time (ends_ms, ends, sizeof ends) != 0)
        return NULL;
    json_t *labels = s_labels (alert);
    json_t *annotations = s_annotations (alert);
    if (!labels || !annotations) {
        json_decref (labels);
        json_decref (annotations);
        return NULL;
    }
    json_t *posted = json_pack ("{s:o, s:o, s:s, s:s}", "labels", labels, "annotations",
                                annotations, "startsAt", starts, "endsAt", ends);
    if (posted && generator_url && *generator_url) {
        char *url = churn_forward_generator_url (generator_url, alert->customer_id);
        if (!url || !s_set (posted, "generatorURL", url)) {
            json_decref (posted);
            posted = NULL;
        }
        free (url);
    }
    return posted;
}
