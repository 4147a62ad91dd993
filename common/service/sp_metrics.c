/*  sp_metrics - a small Prometheus metrics registry (see sp_metrics.h).

    A registry is a list of families in registration order behind one
    mutex. A family keeps its children in an array in creation order (the
    render order) plus an open-addressing hash index over the label values,
    so an update costs one hash and usually one comparison whatever the
    number of children. Histogram children count observations per bucket
    (not cumulative); rendering accumulates them.
*/
#include "sp_metrics.h"

#include "sp_log.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_METRICS_INDEX_INITIAL 16     /* hash slots of a new family (power of two) */
#define SP_METRICS_INDEX_LOAD_DIVISOR 2 /* grow the index beyond 1/2 full */
#define SP_METRICS_NUMBER_SIZE 32       /* longest formatted number, with NUL */
#define SP_METRICS_REASON_SIZE 128      /* longest strerror text logged */
#define SP_METRICS_SHORTEST_DIGITS 15   /* DBL_DIG: digits that always round-trip text */
#define SP_METRICS_EXACT_DIGITS 17      /* digits that always round-trip a double */
#define SP_METRICS_LABEL_SEPARATOR 0xff /* hashed between label values; never in UTF-8 */
#define SP_METRICS_HASH_OFFSET UINT64_C (0xcbf29ce484222325) /* FNV-1a 64 */
#define SP_METRICS_HASH_PRIME UINT64_C (0x100000001b3)
#define SP_METRICS_RESERVED_PREFIX "__" /* label names starting so are Prometheus' own */
#define SP_METRICS_BUCKET_LABEL "le"    /* label a histogram adds to its buckets */

typedef enum {
    S_COUNTER = 0,
    S_GAUGE = 1,
    S_HISTOGRAM = 2,
} s_type_t;

static const char *const s_type_names[] = { "counter", "gauge", "histogram" };

/* Label values of a family without labels (callers may pass NULL). */
static const char *const s_no_label_values[SP_METRICS_LABELS_MAX] = { NULL };

/* Sample name suffixes a histogram claims besides its own name. */
static const char *const s_histogram_suffixes[] = { "_bucket", "_sum", "_count" };
#define S_HISTOGRAM_SUFFIX_COUNT (sizeof s_histogram_suffixes / sizeof s_histogram_suffixes[0])

/* One label-value tuple of a family. */
typedef struct {
    char *label_values[SP_METRICS_LABELS_MAX]; /* owned copies, label_count used */
    uint64_t hash;                             /* s_hash_values of label_values */
    double value;                              /* counter/gauge value; histogram sum */
    uint64_t count;                            /* histogram: observations */
    uint64_t *buckets;                         /* histogram: per-bucket counts, bound_count + 1 */
} s_child_t;

struct _sp_metric_t {
    sp_metrics_t *registry;                   /* owner; its mutex guards this family */
    s_type_t type;                            /* counter, gauge or histogram */
    char *name;                               /* family name */
    char *help;                               /* HELP text */
    char *label_names[SP_METRICS_LABELS_MAX]; /* owned copies, label_count used */
    size_t label_count;                       /* 0..SP_METRICS_LABELS_MAX */
    double *bounds;                           /* histogram upper bounds, ascending */
    size_t bound_count;                       /* entries in bounds (+Inf not included) */
    s_child_t **children;                     /* in creation order */
    size_t child_count;                       /* entries used in children */
    size_t child_capacity;                    /* entries allocated in children */
    size_t *index;                            /* hash slots: child position + 1, 0 = free */
    size_t index_size;                        /* slots in index (power of two) */
    bool overflow_logged;                     /* the children limit was reported */
    sp_metric_t *next;                        /* next family in registration order */
};

struct _sp_metrics_t {
    pthread_mutex_t lock; /* guards the list and every family's children */
    sp_metric_t *first;   /* first family registered */
    sp_metric_t *last;    /* last family registered (append point) */
};

static uint64_t
s_hash_values (const char *const *values, size_t count)
{
    uint64_t hash = SP_METRICS_HASH_OFFSET;
    for (size_t i = 0; i < count; i++) {
        for (const unsigned char *byte = (const unsigned char *) values[i]; *byte; byte++) {
            hash ^= *byte;
            hash *= SP_METRICS_HASH_PRIME;
        }
        hash ^= SP_METRICS_LABEL_SEPARATOR;
        hash *= SP_METRICS_HASH_PRIME;
    }
    return hash;
}

static bool
s_name_char (char c, bool first, bool colon_allowed)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return true;
    if (c == ':')
        return colon_allowed;
    return !first && c >= '0' && c <= '9';
}

static bool
s_valid_name (const char *name, bool colon_allowed)
{
    if (!name || !name[0])
        return false;
    for (size_t i = 0; name[i]; i++)
        if (!s_name_char (name[i], i == 0, colon_allowed))
            return false;
    return true;
}

/* True when a sample name of the family equals name. */
static bool
s_family_claims (const sp_metric_t *family, const char *name)
{
    if (strcmp (family->name, name) == 0)
        return true;
    if (family->type != S_HISTOGRAM)
        return false;
    size_t length = strlen (family->name);
    if (strncmp (family->name, name, length) != 0)
        return false;
    for (size_t i = 0; i < S_HISTOGRAM_SUFFIX_COUNT; i++)
        if (strcmp (name + length, s_histogram_suffixes[i]) == 0)
            return true;
    return false;
}

/* True when the new family's sample names clash with an existing family. */
static bool
s_name_taken (const sp_metrics_t *self, const sp_metric_t *family)
{
    for (const sp_metric_t *other = self->first; other; other = other->next) {
        if (s_family_claims (other, family->name) || s_family_claims (family, other->name))
            return true;
    }
    return false;
}

/* The registered family that family repeats (same name, type, help and
   label names, and for a histogram the same bounds), or NULL. */
static sp_metric_t *
s_same_family (const sp_metrics_t *self, const sp_metric_t *family)
{
    for (sp_metric_t *other = self->first; other; other = other->next) {
        if (strcmp (other->name, family->name) != 0 || other->type != family->type ||
            strcmp (other->help, family->help) != 0 || other->label_count != family->label_count ||
            other->bound_count != family->bound_count)
            continue;
        bool same = true;
        for (size_t i = 0; same && i < family->label_count; i++)
            same = strcmp (other->label_names[i], family->label_names[i]) == 0;
        for (size_t i = 0; same && i < family->bound_count; i++)
            same = other->bounds[i] == family->bounds[i];
        if (same)
            return other;
    }
    return NULL;
}

static void
s_child_destroy (s_child_t **child_p, size_t label_count)
{
    s_child_t *child = *child_p;
    if (!child)
        return;
    for (size_t i = 0; i < label_count; i++)
        free (child->label_values[i]);
    free (child->buckets);
    free (child);
    *child_p = NULL;
}

static void
s_family_destroy (sp_metric_t **family_p)
{
    sp_metric_t *family = *family_p;
    if (!family)
        return;
    for (size_t i = 0; i < family->child_count; i++)
        s_child_destroy (&family->children[i], family->label_count);
    free (family->children);
    free (family->index);
    free (family->bounds);
    for (size_t i = 0; i < family->label_count; i++)
        free (family->label_names[i]);
    free (family->help);
    free (family->name);
    free (family);
    *family_p = NULL;
}

/* Position of the child with these label values, or -1. */
static ptrdiff_t
s_child_find (const sp_metric_t *family, const char *const *values, uint64_t hash)
{
    size_t mask = family->index_size - 1;
    for (size_t slot = (size_t) hash & mask;; slot = (slot + 1) & mask) {
        size_t entry = family->index[slot];
        if (entry == 0)
            return -1;
        const s_child_t *child = family->children[entry - 1];
        if (child->hash != hash)
            continue;
        size_t i = 0;
        while (i < family->label_count && strcmp (child->label_values[i], values[i]) == 0)
            i++;
        if (i == family->label_count)
            return (ptrdiff_t) (entry - 1);
    }
}

static void
s_index_insert (size_t *index, size_t index_size, uint64_t hash, size_t position)
{
    size_t mask = index_size - 1;
    size_t slot = (size_t) hash & mask;
    while (index[slot] != 0)
        slot = (slot + 1) & mask;
    index[slot] = position + 1;
}

/* Makes room for one more child in the array and the index. */
static int
s_family_reserve (sp_metric_t *family)
{
    if (family->child_count == family->child_capacity) {
        size_t capacity =
            family->child_capacity ? family->child_capacity * 2 : SP_METRICS_INDEX_INITIAL;
        s_child_t **children = realloc (family->children, capacity * sizeof *children);
        if (!children)
            return -1;
        family->children = children;
        family->child_capacity = capacity;
    }
    if ((family->child_count + 1) * SP_METRICS_INDEX_LOAD_DIVISOR > family->index_size) {
        size_t index_size = family->index_size * 2;
        size_t *index = calloc (index_size, sizeof *index);
        if (!index)
            return -1;
        for (size_t i = 0; i < family->child_count; i++)
            s_index_insert (index, index_size, family->children[i]->hash, i);
        free (family->index);
        family->index = index;
        family->index_size = index_size;
    }
    return 0;
}

/* Creates a child; NULL when out of memory. */
static s_child_t *
s_child_new (const sp_metric_t *family, const char *const *values, uint64_t hash)
{
    s_child_t *child = calloc (1, sizeof *child);
    if (!child)
        return NULL;
    child->hash = hash;
    if (family->type == S_HISTOGRAM) {
        child->buckets = calloc (family->bound_count + 1, sizeof *child->buckets);
        if (!child->buckets)
            goto out_destroy;
    }
    for (size_t i = 0; i < family->label_count; i++) {
        child->label_values[i] = strdup (values[i]);
        if (!child->label_values[i])
            goto out_destroy;
    }
    return child;

out_destroy:
    s_child_destroy (&child, family->label_count);
    return NULL;
}

/* Finds or creates the child for these label values; NULL (logged) when
   out of memory or past the children limit. Called with the lock held. */
static s_child_t *
s_child_get (sp_metric_t *family, const char *const *values)
{
    assert (values || family->label_count == 0);
    if (!values)
        values = s_no_label_values;
    for (size_t i = 0; i < family->label_count; i++)
        assert (values[i]);
    uint64_t hash = s_hash_values (values, family->label_count);
    ptrdiff_t position = s_child_find (family, values, hash);
    if (position >= 0)
        return family->children[position];

    if (family->child_count >= SP_METRICS_CHILDREN_MAX) {
        if (!family->overflow_logged) {
            sp_log_warn ("too many label value combinations for metric, dropping new ones",
                         "metric=\"%s\" limit=%d", family->name, SP_METRICS_CHILDREN_MAX);
            family->overflow_logged = true;
        }
        return NULL;
    }
    s_child_t *child = NULL;
    if (s_family_reserve (family) == 0)
        child = s_child_new (family, values, hash);
    if (!child) {
        sp_log_error ("could not record metric", "metric=\"%s\" error=\"out of memory\"",
                      family->name);
        return NULL;
    }
    family->children[family->child_count] = child;
    s_index_insert (family->index, family->index_size, hash, family->child_count);
    family->child_count++;
    return child;
}

sp_metrics_t *
sp_metrics_new (void)
{
    int rc = ENOMEM;
    sp_metrics_t *self = calloc (1, sizeof *self);
    if (!self)
        goto out_fail;
    rc = pthread_mutex_init (&self->lock, NULL);
    if (rc != 0)
        goto out_free;
    return self;

out_free:
    free (self);
out_fail:;
    char reason[SP_METRICS_REASON_SIZE];
    if (strerror_r (rc, reason, sizeof reason) != 0)
        snprintf (reason, sizeof reason, "error %d", rc);
    sp_log_error ("could not create metrics registry", "error=\"%s\"", reason);
    return NULL;
}

void
sp_metrics_destroy (sp_metrics_t **self_p)
{
    assert (self_p);
    sp_metrics_t *self = *self_p;
    if (!self)
        return;
    sp_metric_t *family = self->first;
    while (family) {
        sp_metric_t *next = family->next;
        s_family_destroy (&family);
        family = next;
    }
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

static sp_metric_t *
s_register (sp_metrics_t *self, s_type_t type, const char *name, const char *help,
            const char *const *label_names, size_t label_count, const double *bounds,
            size_t bound_count)
{
    assert (self);
    assert (s_valid_name (name, true));
    assert (help);
    assert (label_count <= SP_METRICS_LABELS_MAX);
    assert (label_names || label_count == 0);
    for (size_t i = 0; i < label_count; i++) {
        assert (s_valid_name (label_names[i], false));
        assert (strncmp (label_names[i], SP_METRICS_RESERVED_PREFIX,
                         strlen (SP_METRICS_RESERVED_PREFIX)) != 0);
        assert (type != S_HISTOGRAM || strcmp (label_names[i], SP_METRICS_BUCKET_LABEL) != 0);
        for (size_t j = 0; j < i; j++)
            assert (strcmp (label_names[i], label_names[j]) != 0);
    }
    if (type == S_HISTOGRAM) {
        assert (bounds && bound_count >= 1);
        for (size_t i = 0; i < bound_count; i++) {
            assert (isfinite (bounds[i]));
            assert (i == 0 || bounds[i] > bounds[i - 1]);
        }
    }

    sp_metric_t *family = calloc (1, sizeof *family);
    if (!family)
        goto out_no_memory;
    family->registry = self;
    family->type = type;
    family->label_count = label_count;
    family->name = strdup (name);
    family->help = strdup (help);
    if (!family->name || !family->help)
        goto out_destroy;
    for (size_t i = 0; i < label_count; i++) {
        family->label_names[i] = strdup (label_names[i]);
        if (!family->label_names[i])
            goto out_destroy;
    }
    if (type == S_HISTOGRAM) {
        family->bounds = malloc (bound_count * sizeof *family->bounds);
        if (!family->bounds)
            goto out_destroy;
        memcpy (family->bounds, bounds, bound_count * sizeof *family->bounds);
        family->bound_count = bound_count;
    }
    family->index_size = SP_METRICS_INDEX_INITIAL;
    family->index = calloc (family->index_size, sizeof *family->index);
    if (!family->index)
        goto out_destroy;

    pthread_mutex_lock (&self->lock);
    sp_metric_t *same = s_same_family (self, family);
    if (same) {
        /* Registered again by an object made anew at run time (a handler
           for new definitions): it counts on in the same series. */
        pthread_mutex_unlock (&self->lock);
        s_family_destroy (&family);
        return same;
    }
    assert (!s_name_taken (self, family));
    /* A family without labels has its one child from the start. */
    if (label_count == 0 && !s_child_get (family, s_no_label_values)) {
        pthread_mutex_unlock (&self->lock);
        goto out_destroy;
    }
    if (self->last)
        self->last->next = family;
    else
        self->first = family;
    self->last = family;
    pthread_mutex_unlock (&self->lock);
    return family;

out_destroy:
    s_family_destroy (&family);
out_no_memory:
    sp_log_error ("could not register metric", "metric=\"%s\" error=\"out of memory\"", name);
    return NULL;
}

sp_metric_t *
sp_metrics_counter (sp_metrics_t *self, const char *name, const char *help,
                    const char *const *label_names, size_t label_count)
{
    return s_register (self, S_COUNTER, name, help, label_names, label_count, NULL, 0);
}

sp_metric_t *
sp_metrics_gauge (sp_metrics_t *self, const char *name, const char *help,
                  const char *const *label_names, size_t label_count)
{
    return s_register (self, S_GAUGE, name, help, label_names, label_count, NULL, 0);
}

sp_metric_t *
sp_metrics_histogram (sp_metrics_t *self, const char *name, const char *help,
                      const char *const *label_names, size_t label_count, const double *bounds,
                      size_t bound_count)
{
    return s_register (self, S_HISTOGRAM, name, help, label_names, label_count, bounds,
                       bound_count);
}

void
sp_metric_add (sp_metric_t *metric, const char *const *label_values, double value)
{
    assert (metric);
    assert (metric->type == S_COUNTER || metric->type == S_GAUGE);
    assert (metric->type != S_COUNTER || value >= 0);
    pthread_mutex_lock (&metric->registry->lock);
    s_child_t *child = s_child_get (metric, label_values);
    if (child)
        child->value += value;
    pthread_mutex_unlock (&metric->registry->lock);
}

void
sp_metric_set (sp_metric_t *metric, const char *const *label_values, double value)
{
    assert (metric);
    assert (metric->type == S_GAUGE);
    pthread_mutex_lock (&metric->registry->lock);
    s_child_t *child = s_child_get (metric, label_values);
    if (child)
        child->value = value;
    pthread_mutex_unlock (&metric->registry->lock);
}

void
sp_metric_observe (sp_metric_t *metric, const char *const *label_values, double value)
{
    assert (metric);
    assert (metric->type == S_HISTOGRAM);
    assert (!isnan (value));
    size_t bucket = 0;
    while (bucket < metric->bound_count && value > metric->bounds[bucket])
        bucket++;
    pthread_mutex_lock (&metric->registry->lock);
    s_child_t *child = s_child_get (metric, label_values);
    if (child) {
        child->buckets[bucket]++;
        child->count++;
        child->value += value;
    }
    pthread_mutex_unlock (&metric->registry->lock);
}

/* Looks a child up without creating it; with the lock held. */
static const s_child_t *
s_child_peek (const sp_metric_t *metric, const char *const *label_values)
{
    assert (label_values || metric->label_count == 0);
    if (!label_values)
        label_values = s_no_label_values;
    for (size_t i = 0; i < metric->label_count; i++)
        assert (label_values[i]);
    uint64_t hash = s_hash_values (label_values, metric->label_count);
    ptrdiff_t position = s_child_find (metric, label_values, hash);
    return position >= 0 ? metric->children[position] : NULL;
}

double
sp_metric_value (sp_metric_t *metric, const char *const *label_values)
{
    assert (metric);
    assert (metric->type == S_COUNTER || metric->type == S_GAUGE);
    pthread_mutex_lock (&metric->registry->lock);
    const s_child_t *child = s_child_peek (metric, label_values);
    double value = child ? child->value : 0;
    pthread_mutex_unlock (&metric->registry->lock);
    return value;
}

uint64_t
sp_metric_count (sp_metric_t *metric, const char *const *label_values)
{
    assert (metric);
    assert (metric->type == S_HISTOGRAM);
    pthread_mutex_lock (&metric->registry->lock);
    const s_child_t *child = s_child_peek (metric, label_values);
    uint64_t count = child ? child->count : 0;
    pthread_mutex_unlock (&metric->registry->lock);
    return count;
}

/* Formats a double the way Prometheus reads it: shortest text that reads
   back as the same value, and +Inf, -Inf, NaN. */
static void
s_format_number (char *text, size_t size, double value)
{
    if (isnan (value)) {
        snprintf (text, size, "NaN");
        return;
    }
    if (isinf (value)) {
        snprintf (text, size, "%sInf", value > 0 ? "+" : "-");
        return;
    }
    for (int digits = SP_METRICS_SHORTEST_DIGITS; digits <= SP_METRICS_EXACT_DIGITS; digits++) {
        snprintf (text, size, "%.*g", digits, value);
        if (strtod (text, NULL) == value)
            return;
    }
}

/* Writes text with backslash and newline escaped, and double quote too
   when quote is set (label values; HELP text leaves quotes alone). */
static void
s_write_escaped (FILE *stream, const char *text, bool quote)
{
    for (const char *cursor = text; *cursor; cursor++) {
        if (*cursor == '\\')
            fputs ("\\\\", stream);
        else if (*cursor == '\n')
            fputs ("\\n", stream);
        else if (*cursor == '"' && quote)
            fputs ("\\\"", stream);
        else
            fputc (*cursor, stream);
    }
}

/* Writes `{a="x",b="y"` plus an optional le label, and the closing brace;
   nothing when there are no labels at all. */
static void
s_write_labels (FILE *stream, const sp_metric_t *family, const s_child_t *child, const char *le)
{
    if (family->label_count == 0 && !le)
        return;
    fputc ('{', stream);
    for (size_t i = 0; i < family->label_count; i++) {
        fprintf (stream, "%s%s=\"", i ? "," : "", family->label_names[i]);
        s_write_escaped (stream, child->label_values[i], true);
        fputc ('"', stream);
    }
    if (le)
        fprintf (stream, "%s%s=\"%s\"", family->label_count ? "," : "", SP_METRICS_BUCKET_LABEL,
                 le);
    fputc ('}', stream);
}

static void
s_write_family (FILE *stream, const sp_metric_t *family)
{
    char number[SP_METRICS_NUMBER_SIZE];
    fprintf (stream, "# HELP %s ", family->name);
    s_write_escaped (stream, family->help, false);
    fprintf (stream, "\n# TYPE %s %s\n", family->name, s_type_names[family->type]);
    for (size_t c = 0; c < family->child_count; c++) {
        const s_child_t *child = family->children[c];
        if (family->type != S_HISTOGRAM) {
            fputs (family->name, stream);
            s_write_labels (stream, family, child, NULL);
            s_format_number (number, sizeof number, child->value);
            fprintf (stream, " %s\n", number);
            continue;
        }
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= family->bound_count; b++) {
            cumulative += child->buckets[b];
            if (b < family->bound_count)
                s_format_number (number, sizeof number, family->bounds[b]);
            else
                s_format_number (number, sizeof number, INFINITY);
            fprintf (stream, "%s_bucket", family->name);
            s_write_labels (stream, family, child, number);
            fprintf (stream, " %" PRIu64 "\n", cumulative);
        }
        fprintf (stream, "%s_sum", family->name);
        s_write_labels (stream, family, child, NULL);
        s_format_number (number, sizeof number, child->value);
        fprintf (stream, " %s\n", number);
        fprintf (stream, "%s_count", family->name);
        s_write_labels (stream, family, child, NULL);
        fprintf (stream, " %" PRIu64 "\n", child->count);
    }
}

char *
sp_metrics_render (sp_metrics_t *self)
{
    assert (self);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    if (!stream)
        goto out_no_memory;
    pthread_mutex_lock (&self->lock);
    for (const sp_metric_t *family = self->first; family; family = family->next)
        s_write_family (stream, family);
    pthread_mutex_unlock (&self->lock);
    bool failed = ferror (stream) != 0;
    if (fclose (stream) != 0 || failed)
        goto out_free_text;
    return text;

out_free_text:
    free (text);
out_no_memory:
    sp_log_error ("could not render metrics", "error=\"out of memory\"");
    return NULL;
}
