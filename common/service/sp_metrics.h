/*  sp_metrics - a small Prometheus metrics registry.

    Each service keeps one registry; its HTTP endpoint (sp_http) renders it
    on GET /metrics in the Prometheus text exposition format 0.0.4, while
    the service thread keeps updating it. Families are counters, gauges and
    histograms (fixed bucket bounds given at registration), each with 0 to
    SP_METRICS_LABELS_MAX label names; a child per label-value tuple is
    created on first use. A family without labels has its single child from
    the start, so it renders as 0 before the first update.

        sp_metric_t *events = sp_metrics_counter (metrics,
            "sp_ingest_events_total", "events received, by outcome",
            (const char *[]) { "outcome" }, 1);
        sp_metric_add (events, (const char *[]) { "accepted" }, 1);

    Output is deterministic: families in registration order, children in
    creation order, labels in registration order. Label values are escaped
    (backslash, double quote, newline) and should be valid UTF-8 (callers
    pass validated data). Histograms render cumulative `_bucket{le="..."}`
    lines including `+Inf`, then `_sum` and `_count`.

    Invalid metric or label names, duplicate families, wrong label counts,
    negative counter increments and wrong-type updates are programmer errors
    and assert. To protect the service from unbounded label values, a family
    keeps at most SP_METRICS_CHILDREN_MAX children: updates for new tuples
    past that are dropped and logged once per family.

    Thread-safe: every call takes the registry's mutex. Metric handles stay
    valid until the registry is destroyed.
*/
#ifndef SP_METRICS_H_INCLUDED
#define SP_METRICS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Most label names a family may have. */
#define SP_METRICS_LABELS_MAX 4

/* Most children (label-value tuples) a family keeps. */
#define SP_METRICS_CHILDREN_MAX 10000

/* Content type of sp_metrics_render's output. */
#define SP_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct _sp_metrics_t sp_metrics_t;
typedef struct _sp_metric_t sp_metric_t;

/* Creates an empty registry; NULL (logged) when out of memory. */
sp_metrics_t *sp_metrics_new (void);

/* Destroys the registry and every family in it; no-op on NULL; sets
   *self_p to NULL. */
void sp_metrics_destroy (sp_metrics_t **self_p);

/* Registers a family and returns its handle (owned by the registry), or
   NULL (logged) when out of memory. name matches [a-zA-Z_:][a-zA-Z0-9_:]*
   and is not yet used (a histogram also claims name_bucket, name_sum and
   name_count); label names match [a-zA-Z_][a-zA-Z0-9_]*, do not start with
   "__" and are distinct; label_names may be NULL when label_count is 0.
   Names and help are copied. Registering a family again with the same
   type, help, labels (and bounds) returns the registered handle: an
   object made anew while the service runs (a handler for new
   definitions) counts on in the same series; any other reuse of a name
   is a programmer error (asserted). */
sp_metric_t *sp_metrics_counter (sp_metrics_t *self, const char *name, const char *help,
                                 const char *const *label_names, size_t label_count);
sp_metric_t *sp_metrics_gauge (sp_metrics_t *self, const char *name, const char *help,
                               const char *const *label_names, size_t label_count);

/* As above, for a histogram with bound_count (>= 1) finite, strictly
   increasing upper bounds; the +Inf bucket is implicit. A histogram may
   not have a label named "le". */
sp_metric_t *sp_metrics_histogram (sp_metrics_t *self, const char *name, const char *help,
                                   const char *const *label_names, size_t label_count,
                                   const double *bounds, size_t bound_count);

/* Adds value to a counter (value >= 0) or a gauge (any sign). label_values
   has the family's label_count entries (NULL when it has none). */
void sp_metric_add (sp_metric_t *metric, const char *const *label_values, double value);

/* Sets a gauge. */
void sp_metric_set (sp_metric_t *metric, const char *const *label_values, double value);

/* Records one observation (not NaN) in a histogram. */
void sp_metric_observe (sp_metric_t *metric, const char *const *label_values, double value);

/* Current value of a counter or gauge child; 0 when the child does not
   exist yet (it is not created). */
double sp_metric_value (sp_metric_t *metric, const char *const *label_values);

/* Number of observations of a histogram child; 0 when it does not exist. */
uint64_t sp_metric_count (sp_metric_t *metric, const char *const *label_values);

/* Renders the registry in the text exposition format 0.0.4. The caller
   frees the text. NULL (logged) when out of memory. */
char *sp_metrics_render (sp_metrics_t *self);

#endif
