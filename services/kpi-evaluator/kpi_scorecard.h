/*  kpi_scorecard - the "scorecard" kind of reference data: for each role
    (rep, team, region and optionally company) the handful of KPIs it is
    judged on with their weights, the attainment cap, the pace thresholds
    and the pipeline's stage probabilities; and the scoring and ranking
    that use it (docs/scorecards.md).

    An operator writes a scorecard as a JSON document:

        { "name": "default", "cap": 1.5,
          "roles": { "rep": { "kpis": [ { "kpi": "revenue", "weight": 0.3 }, ... ] },
                     "team": { ... }, "region": { ... }, "company": { ... } },
          "pace": { "early_percent": 20, "exceeded": 1.1, "behind": 0.9 },
          "stage_probabilities": { "Quote": 0.6, ... } }

    This object reads and validates it (every refusal names the JSON path
    and why, like `field "roles.rep.kpis[2].kpi": unknown KPI "foo"`),
    writes its canonical form, and scores a member of a role:

        score = Σ w · min(attainment, cap) ÷ Σ w

    over the role's KPIs that have a target. Weights, the cap, attainments
    and scores are basis points (10,000 = 1 = 100 %), integers only.
    Pure: no I/O, no global state beyond constant tables.
*/
#ifndef KPI_SCORECARD_H_INCLUDED
#define KPI_SCORECARD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpi_catalog.h"
#include "kpi_pace.h"
#include "sp_refdata.h"

/* Basis points in 1 (100 %). */
#define KPI_SCORECARD_BASIS_POINTS 10000

/* KPIs per role: a handful. */
#define KPI_SCORECARD_KPIS_MIN 5
#define KPI_SCORECARD_KPIS_MAX 7

/* The attainment cap when "cap" is absent, and its allowed range. */
#define KPI_SCORECARD_DEFAULT_CAP_BP 15000
#define KPI_SCORECARD_CAP_MIN_BP 10000
#define KPI_SCORECARD_CAP_MAX_BP 100000

/* Longest scorecard name, bytes of [a-z0-9_-]. */
#define KPI_SCORECARD_NAME_MAX 63

/* Most stages in "stage_probabilities", and a stage's longest name
   (bytes of UTF-8, an event's to_stage limit). */
#define KPI_SCORECARD_STAGES_MAX 32
#define KPI_SCORECARD_STAGE_MAX 64

/* Room for an error message of kpi_scorecard_new. */
#define KPI_SCORECARD_ERROR_SIZE 256

/* The roles a scorecard defines KPIs for; rep, team and region are
   required, company is optional. */
typedef enum {
    KPI_SCORECARD_REP = 0,
    KPI_SCORECARD_TEAM,
    KPI_SCORECARD_REGION,
    KPI_SCORECARD_COMPANY,
} kpi_scorecard_role_t;

#define KPI_SCORECARD_ROLE_COUNT (KPI_SCORECARD_COMPANY + 1)

/* One KPI of a role, as read; read-only for callers. */
typedef struct {
    const kpi_definition_t *definition; /* catalogue entry (name, unit, direction) */
    uint32_t weight_bp;                 /* 1..10,000; a role's weights sum to 10,000 */
} kpi_scorecard_kpi_t;

/* What the caller knows of one KPI of the member scored. */
typedef struct {
    const char *kpi;       /* catalogue name, one of the role's KPIs */
    bool has_target;       /* the KPI has a target for the member: it counts */
    int64_t attainment_bp; /* kpi_pace_attainment (inverted when lower is better) */
} kpi_scorecard_input_t;

/* One KPI's part of a score, in the role's order. */
typedef struct {
    const char *kpi;         /* catalogue name (static) */
    uint32_t weight_bp;      /* its weight */
    bool counted;            /* it had a target and took part */
    int64_t attainment_bp;   /* counted: min (max (attainment, 0), cap) */
    int64_t contribution_bp; /* counted: weight × attainment ÷ Σ counted weights, rounded */
} kpi_scorecard_part_t;

/* A score and how it is made. */
typedef struct {
    bool has_score;     /* at least one KPI counted */
    int64_t score_bp;   /* Σ w · min (att, cap) ÷ Σ w, rounded half up */
    uint32_t weight_bp; /* Σ w over the counted KPIs */
    size_t part_count;  /* the role's KPIs */
    kpi_scorecard_part_t parts[KPI_SCORECARD_KPIS_MAX];
} kpi_scorecard_result_t;

/* A member of a group to rank (reps of a team, teams of a region). */
typedef struct {
    const char *id;   /* member id, unique in the group (borrowed) */
    bool has_score;   /* has_score of its result */
    int64_t score_bp; /* score_bp of its result */
    size_t rank;      /* set by kpi_scorecard_rank: 1.., 0 without a score */
} kpi_scorecard_member_t;

typedef struct _kpi_scorecard_t kpi_scorecard_t;

/* The reference data kind "scorecard" of kpi-evaluator. */
extern const sp_refdata_kind_t kpi_scorecard_kind;

/* sp_refdata_check_fn of the kind: the scorecard's name and canonical
   JSON text (malloc'd, the caller frees). */
int kpi_scorecard_check (const char *text, size_t length, char *name, size_t name_size,
                         char **canonical, char *error, size_t error_size);

/* Reads and validates a scorecard from JSON text (length bytes). Returns
   it, or NULL with the reason in error. */
kpi_scorecard_t *kpi_scorecard_new (const char *text, size_t length, char *error,
                                    size_t error_size);

void kpi_scorecard_destroy (kpi_scorecard_t **self_p);

/* The canonical JSON text (malloc'd, the caller frees), NULL when out of
   memory: fixed key order, defaults written, roles in the order rep,
   team, region, company, KPIs in the document's order, stages sorted. */
char *kpi_scorecard_to_json (const kpi_scorecard_t *self);

const char *kpi_scorecard_name (const kpi_scorecard_t *self);

/* Attainment cap, 10,000..100,000 bp. */
uint32_t kpi_scorecard_cap_bp (const kpi_scorecard_t *self);

/* The pace thresholds ("pace", defaults filled in). */
void kpi_scorecard_pace_thresholds (const kpi_scorecard_t *self, kpi_pace_thresholds_t *thresholds);

/* "rep", "team", "region", "company"; and the role named name (0), or -1. */
const char *kpi_scorecard_role_name (kpi_scorecard_role_t role);
int kpi_scorecard_role_parse (const char *name, kpi_scorecard_role_t *role);

/* KPIs of the role named role: 5..7, or 0 when the scorecard does not
   define it (company) or role is not a role name; and the one at index
   (< that count, asserted). */
size_t kpi_scorecard_kpi_count (const kpi_scorecard_t *self, const char *role);
const kpi_scorecard_kpi_t *kpi_scorecard_kpi (const kpi_scorecard_t *self, const char *role,
                                              size_t index);

/* The number of stages "stage_probabilities" lists (0: none given). */
size_t kpi_scorecard_stage_count (const kpi_scorecard_t *self);

/* True with *probability_bp set when "stage_probabilities" names stage
   (exact, case-sensitive); false with it untouched otherwise. */
bool kpi_scorecard_stage_probability (const kpi_scorecard_t *self, const char *stage,
                                      uint32_t *probability_bp);

/* Scores a member of role from inputs (count of them, in any order; a
   KPI of the role without an input counts as without a target). Returns
   0 with *out set, or -1 with *out untouched when the scorecard does not
   define role, or an input names a KPI not of the role or one twice. */
int kpi_scorecard_score (const kpi_scorecard_t *self, const char *role,
                         const kpi_scorecard_input_t *inputs, size_t count,
                         kpi_scorecard_result_t *out);

/* Sorts members (count of them) by score, highest first, members without
   a score last, ties by id ascending (bytes), and sets their rank:
   competition ranking, equal scores share a rank and the next rank skips
   (1, 2, 2, 4); members without a score get 0. Rank one group at a time:
   reps within their team, teams within their region. */
void kpi_scorecard_rank (kpi_scorecard_member_t *members, size_t count);

#endif
