/*  funnel_render - how `salesctl funnel` and `salesctl pipeline` show a
    funnel_report: the JSON documents of docs/salesctl.md and the text a
    person reads.

    JSON. One object per report, keys in the documented order. Figures
    that may be missing are null. Reals are written in the shortest form
    that reads back as the same double (0.2, not 0.20000000000000001), with
    ".0" on whole numbers (1.0), so a reader gets the exact value.

    Text. A funnel is a horizontal bar chart: one line per step with its
    name, a bar scaled to step 1, the entities that reached it, step and
    overall conversion, drop-off (entities and share) and the median time
    from the previous step in days; then the win rate, won amount and sales
    cycle lines of a pipeline funnel. The pipeline is a table by step of
    open entities, value and weighted value (money in the reporting
    currency's decimals, sp_money), totals, then win rate, average won
    amount, median sales cycle and velocity. With colour (a terminal) the
    headings are bold and the bars coloured; otherwise the same text
    without escape codes. Missing figures print as "-".
*/
#ifndef FUNNEL_RENDER_H_INCLUDED
#define FUNNEL_RENDER_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "funnel_definition.h"
#include "funnel_report.h"

/* Columns of a full bar (step 1). */
#define FUNNEL_RENDER_BAR_WIDTH 30

/* What a report is of. */
typedef struct {
    const funnel_definition_t *definition; /* the funnel counted with */
    int64_t version;                       /* its version (0: the built-in default) */
    const char *scope;                     /* "company", "region:R", ... */
    const char *period;                    /* the label asked for, e.g. "2017-Q2" or "all" */
    const funnel_report_months_t *months;  /* the months it stands for */
    const char *currency;                  /* reporting currency (ISO 4217) */
    const char *time_zone;                 /* the service's zone, months are cut in it */
} funnel_render_context_t;

/* The `salesctl funnel --json` document; NULL when out of memory. */
json_t *funnel_render_report_json (const funnel_render_context_t *context,
                                   const funnel_report_t *report);

/* The `salesctl pipeline --json` document; NULL when out of memory. */
json_t *funnel_render_pipeline_json (const funnel_render_context_t *context,
                                     const funnel_report_pipeline_t *pipeline);

/* document as one compact line (no newline), reals as the file comment
   says. Returns a malloc'd string, or NULL when out of memory. */
char *funnel_render_json_text (const json_t *document);

/* Writes the funnel chart / the pipeline table to stream. Returns 0, or
   -1 when writing failed. */
int funnel_render_report_text (FILE *stream, const funnel_render_context_t *context,
                               const funnel_report_t *report, bool colour);
int funnel_render_pipeline_text (FILE *stream, const funnel_render_context_t *context,
                                 const funnel_report_pipeline_t *pipeline, bool colour);

#endif
