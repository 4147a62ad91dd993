/*  kpi_targets_internal - what the two files of kpi_targets share
    (kpi_targets.c: reading, validating and expanding a document;
    kpi_targets_use.c: the queries, the add-up check and the canonical
    form): the object's struct, its parts, and the helpers both call.
    For these files only; everything else uses kpi_targets.h.
*/
#ifndef KPI_TARGETS_INTERNAL_H_INCLUDED
#define KPI_TARGETS_INTERNAL_H_INCLUDED

#include "kpi_targets.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi_catalog.h"
#include "sp_civil.h"
#include "sp_period.h"

#define KPI_TARGETS_INTERNAL_MS_PER_DAY INT64_C (86400000)
#define KPI_TARGETS_INTERNAL_THURSDAY 3     /* ISO weekday index of Thursday: a week's anchor */
#define KPI_TARGETS_INTERNAL_HUNDREDTHS 100 /* average, per_day and score are in hundredths */
#define KPI_TARGETS_INTERNAL_HUNDREDTHS_DECIMALS 2
#define KPI_TARGETS_INTERNAL_WORKWEEK 0x1F  /* Monday to Friday, bit 0 = Monday */
#define KPI_TARGETS_INTERNAL_QUOTE_SIZE 160 /* a node quoted in a message */

/* Spread rules and bases, as spelled in JSON. */
typedef enum {
    KPI_TARGETS_INTERNAL_RULE_EVEN = 0,
    KPI_TARGETS_INTERNAL_RULE_EXPLICIT
} kpi_targets_internal_rule_t;
typedef enum {
    KPI_TARGETS_INTERNAL_BASIS_PERIODS = 0,
    KPI_TARGETS_INTERNAL_BASIS_CALENDAR_DAYS,
    KPI_TARGETS_INTERNAL_BASIS_BUSINESS_DAYS
} kpi_targets_internal_basis_t;

/* Where an entry came from, in order of precedence after explicit. */
typedef enum {
    /* written in the document */
    KPI_TARGETS_INTERNAL_ORIGIN_EXPLICIT = 0,
    /* a sub-period of a spread entry of the same node */
    KPI_TARGETS_INTERNAL_ORIGIN_SPREAD,
    /* a child's share of its parent's target, same period */
    KPI_TARGETS_INTERNAL_ORIGIN_DECOMPOSE,
    /* a child's share of a spread sub-period */
    KPI_TARGETS_INTERNAL_ORIGIN_DECOMPOSE_SPREAD
} kpi_targets_internal_origin_t;

/* One child of a decomposition. */
typedef struct {
    char node[KPI_TARGETS_NODE_SIZE]; /* the child node */
    uint32_t weight;                  /* its share */
} kpi_targets_internal_child_t;

/* The values one entry holds; which are set is the source's business. */
typedef struct {
    int64_t floor, target, stretch, cap;
} kpi_targets_internal_values_t;

/* One entry as written in the document. */
typedef struct {
    char node[KPI_TARGETS_NODE_SIZE];       /* "company", "region:<id>", ... */
    const kpi_definition_t *kpi;            /* from the catalogue */
    sp_period_t period;                     /* year, quarter, month or week */
    kpi_targets_internal_values_t values;   /* floor, target, stretch, carry cap */
    bool has_floor, has_stretch;            /* floor / stretch given */
    bool has_spread;                        /* spread given */
    sp_period_kind_t spread_to;             /* finer than period.kind */
    kpi_targets_internal_rule_t rule;       /* even or explicit */
    kpi_targets_internal_basis_t basis;     /* rule even: what counts */
    size_t sub_count;                       /* sub-periods of the spread */
    uint32_t *weights;                      /* rule explicit: sub_count weights, owned */
    bool carry;                             /* carried shortfall over the sub-periods */
    bool has_carry_cap;                     /* values.cap is set */
    size_t child_count;                     /* decomposition children, 0 = none */
    kpi_targets_internal_child_t *children; /* sorted by node, owned */
} kpi_targets_internal_source_t;

/* One entry after expansion. */
typedef struct {
    kpi_targets_entry_t entry;            /* what callers see */
    size_t source;                        /* index of the source in the document */
    kpi_targets_internal_origin_t origin; /* how it came */
    sp_period_kind_t from_kind;           /* kind of the source's period */
} kpi_targets_internal_entry_t;

/* A sub-period of a spread, with its local dates inside the parent. */
typedef struct {
    char label[KPI_TARGETS_LABEL_SIZE]; /* e.g. "2017-Q2" */
    int64_t first_day;                  /* first date inside the parent */
    int64_t next_day;                   /* first date after, inside the parent */
} kpi_targets_internal_sub_t;

struct _kpi_targets_t {
    char name[KPI_TARGETS_NAME_MAX + 1];    /* document name */
    char currency[4];                       /* ISO 4217 code of money targets */
    unsigned weekdays;                      /* business weekdays, bit 0 = Monday */
    int64_t *holidays;                      /* sorted days since 1970-01-01, owned */
    size_t holiday_count;                   /* entries of holidays */
    sp_tz_t *utc;                           /* period labels are local dates: cut in UTC */
    kpi_targets_internal_source_t *sources; /* as written, owned */
    size_t source_count;                    /* entries of sources */
    kpi_targets_internal_entry_t *entries;  /* expanded, sorted, unique; owned */
    size_t size;                            /* entries used */
    size_t capacity;                        /* entries allocated */
};

/* JSON spellings, indexed by the enum they name ("" is never chosen). */
extern const char *const kpi_targets_internal_to_names[];
extern const char *const kpi_targets_internal_rule_names[];
extern const char *const kpi_targets_internal_basis_names[];
extern const char *const kpi_targets_internal_weekday_names[SP_CIVIL_DAYS_PER_WEEK];

/* ------------------------------------------------------- kpi_targets.c */

/* The local day (days since 1970-01-01) of an instant of a period cut in UTC. */
int64_t kpi_targets_internal_day_of (int64_t ms);

/* The sub-periods of kind in parent: quarters and months that start in
   it, ISO weeks whose Thursday falls in it. Returns how many (at most
   KPI_TARGETS_SUBPERIODS_MAX). */
size_t kpi_targets_internal_subperiods (const kpi_targets_t *self, const sp_period_t *parent,
                                        sp_period_kind_t kind, kpi_targets_internal_sub_t *subs);

/* Orders the triple (node, kpi, period) against an entry's: the order
   the entries are kept in, so that they can be searched. */
int kpi_targets_internal_key_compare (const char *node, const char *kpi, const char *period,
                                      const kpi_targets_internal_entry_t *entry);

/* --------------------------------------------------- kpi_targets_use.c */

/* A value in its unit as text: "1000000.00", "12", "0.2500", "35.50"
   (size at least SP_MONEY_TEXT_SIZE). */
void kpi_targets_internal_format (const kpi_targets_t *self, const kpi_definition_t *kpi,
                                  int64_t value, char *buffer, size_t size);

#endif
