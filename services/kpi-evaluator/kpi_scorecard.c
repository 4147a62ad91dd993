/*  kpi_scorecard - the scorecard kind: reading, canonical form, scoring
    and ranking (see kpi_scorecard.h and docs/scorecards.md).

    Reading is one pass over the document with sp_json_read, so each
    refusal names the JSON path; the first error found is the one
    reported. Numbers above 1 (the cap, the pace's "exceeded") read with
    sp_json_read_basis_points, by the same exactness rule as fractions.
*/
#include "kpi_scorecard.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_json_read.h"

_Static_assert(KPI_SCORECARD_BASIS_POINTS == SP_JSON_BASIS_POINTS,
               "a fraction reads into the same basis points");
_Static_assert(KPI_SCORECARD_BASIS_POINTS == KPI_PACE_BASIS_POINTS,
               "pace and scorecards share their basis points");

#define S_BP KPI_SCORECARD_BASIS_POINTS
#define S_JSON_INDENT 2   /* canonical form indentation */
#define S_REAL_DIGITS 6   /* significant digits: 0.0001..10.0000 print exactly */
#define S_PERCENT_MAX 100 /* pace.early_percent range */

/* The reference data kind of scorecards. */
const sp_refdata_kind_t kpi_scorecard_kind = {
    .kind = "scorecard",
    .service = "kpi-evaluator",
    .change = SP_REFDATA_FORWARD,
    .effective_dated = false,
    .check = kpi_scorecard_check,
};

/* The KPIs of one role. */
typedef struct {
    bool present;                                     /* the document defines the role */
    size_t kpi_count;                                 /* 5..7 when present */
    kpi_scorecard_kpi_t kpis[KPI_SCORECARD_KPIS_MAX]; /* in the document's order */
} s_role_t;

/* One entry of "stage_probabilities". */
typedef struct {
    char name[KPI_SCORECARD_STAGE_MAX + 1]; /* stage as events spell it */
    uint32_t probability_bp;                /* win probability, 0..10,000 */
} s_stage_t;

struct _kpi_scorecard_t {
    char name[KPI_SCORECARD_NAME_MAX + 1];      /* scorecard name, [a-z0-9_-] */
    uint32_t cap_bp;                            /* attainment cap */
    kpi_pace_thresholds_t pace;                 /* pace thresholds */
    s_role_t roles[KPI_SCORECARD_ROLE_COUNT];   /* indexed by kpi_scorecard_role_t */
    size_t stage_count;                         /* stages used */
    s_stage_t stages[KPI_SCORECARD_STAGES_MAX]; /* sorted by name (bytes) */
};

/* Keys allowed, in canonical order. */
static const char *const s_top_keys[] = { "name", "cap", "roles", "pace", "stage_probabilities",
                                          NULL };
static const char *const s_role_keys[] = { "kpis", NULL };
static const char *const s_kpi_keys[] = { "kpi", "weight", NULL };
static const char *const s_pace_keys[] = { "early_percent", "exceeded", "behind", NULL };

/* Role names, indexed by kpi_scorecard_role_t; NULL-terminated for
   sp_json_check_keys. */
static const char *const s_role_names[] = { "rep", "team", "region", "company", NULL };

/* Roles a scorecard must define. */
static const bool s_role_required[] = { true, true, true, false };

/* Reads item index of the KPI list at list (roles.<name>.kpis) into
   role, whose first index KPIs are read. */
static int
s_read_kpi (sp_json_reader_t *reader, s_role_t *role, size_t index, const json_t *object,
            const char *list)
{
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    sp_json_path_index (parent, sizeof parent, list, index);
    if (!json_is_object (object))
        return sp_json_fail (reader, parent, "expected an object, got %s", sp_json_kind (object));
    if (sp_json_check_keys (reader, object, parent, s_kpi_keys) != 0)
        return -1;
    sp_json_path (path, sizeof path, parent, "kpi");
    char name[KPI_NAME_SIZE];
    if (sp_json_read_name (reader, json_object_get (object, "kpi"), path, name,
                           KPI_NAME_SIZE - 1) != 0)
        return -1;
    const kpi_definition_t *definition = kpi_catalog_find (name);
    if (!definition)
        return sp_json_fail (reader, path, "unknown KPI \"%s\"", name);
    for (size_t earlier = 0; earlier < index; earlier++)
        if (role->kpis[earlier].definition == definition) {
            char other[SP_JSON_PATH_SIZE];
            sp_json_path_index (other, sizeof other, list, earlier);
            return sp_json_fail (reader, path, "\"%s\" is already in %s", name, other);
        }
    sp_json_path (path, sizeof path, parent, "weight");
    uint32_t weight;
    if (sp_json_read_fraction (reader, json_object_get (object, "weight"), path, &weight) != 0)
        return -1;
    if (weight == 0)
        return sp_json_fail (reader, path, "must be more than 0");
    role->kpis[index].definition = definition;
    role->kpis[index].weight_bp = weight;
    role->kpi_count = index + 1;
    return 0;
}

/* Reads roles.<name> into role. */
static int
s_read_role (sp_json_reader_t *reader, s_role_t *role, const char *name, const json_t *object,
             const char *parent)
{
    char path[SP_JSON_PATH_SIZE];
    if (sp_json_read_object (reader, object, parent) != 0)
        return -1;
    if (sp_json_check_keys (reader, object, parent, s_role_keys) != 0)
        return -1;
    sp_json_path (path, sizeof path, parent, "kpis");
    const json_t *kpis = json_object_get (object, "kpis");
    if (sp_json_read_array (reader, kpis, path) != 0)
        return -1;
    size_t count = json_array_size (kpis);
    if (count < KPI_SCORECARD_KPIS_MIN || count > KPI_SCORECARD_KPIS_MAX)
        return sp_json_fail (reader, path, "a role has %d to %d KPIs, not %zu",
                             KPI_SCORECARD_KPIS_MIN, KPI_SCORECARD_KPIS_MAX, count);
    uint32_t sum = 0;
    for (size_t index = 0; index < count; index++) {
        if (s_read_kpi (reader, role, index, json_array_get (kpis, index), path) != 0)
            return -1;
        sum += role->kpis[index].weight_bp;
    }
    if (sum != S_BP) {
        char text[SP_JSON_NUMBER_SIZE];
        return sp_json_fail (reader, path, "the weights of \"%s\" sum to %s, they must sum to 1",
                             name, sp_json_basis_points_text (sum, text, sizeof text));
    }
    role->present = true;
    return 0;
}

/* Reads "roles". */
static int
s_read_roles (sp_json_reader_t *reader, kpi_scorecard_t *self, const json_t *roles)
{
    if (sp_json_read_object (reader, roles, "roles") != 0)
        return -1;
    if (sp_json_check_keys (reader, roles, "roles", s_role_names) != 0)
        return -1;
    for (size_t role = 0; role < KPI_SCORECARD_ROLE_COUNT; role++) {
        char path[SP_JSON_PATH_SIZE];
        sp_json_path (path, sizeof path, "roles", s_role_names[role]);
        const json_t *object = json_object_get (roles, s_role_names[role]);
        if ((object || s_role_required[role]) &&
            s_read_role (reader, &self->roles[role], s_role_names[role], object, path) != 0)
            return -1;
    }
    return 0;
}

/* Reads "pace" (present) over the defaults already in self. */
static int
s_read_pace (sp_json_reader_t *reader, kpi_scorecard_t *self, const json_t *pace)
{
    if (sp_json_read_object (reader, pace, "pace") != 0)
        return -1;
    if (sp_json_check_keys (reader, pace, "pace", s_pace_keys) != 0)
        return -1;
    const json_t *value = json_object_get (pace, "early_percent");
    json_int_t percent;
    if (value) {
        if (sp_json_read_integer (reader, value, "pace.early_percent", 0, S_PERCENT_MAX,
                                  &percent) != 0)
            return -1;
        self->pace.early_percent = (int) percent;
    }
    value = json_object_get (pace, "exceeded");
    uint32_t bp;
    if (value) {
        if (sp_json_read_basis_points (reader, value, "pace.exceeded", S_BP,
                                       KPI_PACE_EXCEEDED_BP_MAX, &bp) != 0)
            return -1;
        self->pace.exceeded_bp = (int) bp;
    }
    value = json_object_get (pace, "behind");
    if (value) {
        if (sp_json_read_fraction (reader, value, "pace.behind", &bp) != 0)
            return -1;
        self->pace.behind_bp = (int) bp;
    }
    assert (kpi_pace_thresholds_valid (&self->pace));
    return 0;
}

static int
s_stage_compare (const void *left, const void *right)
{
    return strcmp (((const s_stage_t *) left)->name, ((const s_stage_t *) right)->name);
}

/* Reads "stage_probabilities" (present). */
static int
s_read_stages (sp_json_reader_t *reader, kpi_scorecard_t *self, const json_t *stages)
{
    const char *parent = "stage_probabilities";
    if (sp_json_read_object (reader, stages, parent) != 0)
        return -1;
    size_t count = json_object_size (stages);
    if (count > KPI_SCORECARD_STAGES_MAX)
        return sp_json_fail (reader, parent, "%zu stages, at most %d are allowed", count,
                             KPI_SCORECARD_STAGES_MAX);
    const char *key;
    const json_t *value;
    json_object_foreach ((json_t *) stages, key, value)
    {
        char quoted[SP_JSON_PATH_SIZE];
        char path[SP_JSON_PATH_SIZE];
        sp_error_quote (key, quoted, sizeof quoted);
        sp_json_path (path, sizeof path, parent, quoted);
        size_t length = strlen (key);
        if (length == 0)
            return sp_json_fail (reader, parent, "a stage name must not be empty");
        if (length > KPI_SCORECARD_STAGE_MAX)
            return sp_json_fail (reader, path, "stage name longer than %d bytes",
                                 KPI_SCORECARD_STAGE_MAX);
        s_stage_t *stage = &self->stages[self->stage_count];
        if (sp_json_read_fraction (reader, value, path, &stage->probability_bp) != 0)
            return -1;
        memcpy (stage->name, key, length + 1);
        self->stage_count++;
    }
    qsort (self->stages, self->stage_count, sizeof self->stages[0], s_stage_compare);
    return 0;
}

/* Reads the whole document into self (defaults already set). */
static int
s_read (sp_json_reader_t *reader, kpi_scorecard_t *self, const json_t *root)
{
    if (sp_json_check_keys (reader, root, "", s_top_keys) != 0)
        return -1;
    if (sp_json_read_name (reader, json_object_get (root, "name"), "name", self->name,
                           KPI_SCORECARD_NAME_MAX) != 0)
        return -1;
    const json_t *value = json_object_get (root, "cap");
    if (value && sp_json_read_basis_points (reader, value, "cap", KPI_SCORECARD_CAP_MIN_BP,
                                            KPI_SCORECARD_CAP_MAX_BP, &self->cap_bp) != 0)
        return -1;
    if (s_read_roles (reader, self, json_object_get (root, "roles")) != 0)
        return -1;
    value = json_object_get (root, "pace");
    if (value && s_read_pace (reader, self, value) != 0)
        return -1;
    value = json_object_get (root, "stage_probabilities");
    if (value && s_read_stages (reader, self, value) != 0)
        return -1;
    return 0;
}

kpi_scorecard_t *
kpi_scorecard_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "a scorecard", error, error_size);
    if (!root)
        return NULL;
    kpi_scorecard_t *self = (kpi_scorecard_t *) calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    self->cap_bp = KPI_SCORECARD_DEFAULT_CAP_BP;
    kpi_pace_thresholds_default (&self->pace);
    if (s_read (&reader, self, root) != 0)
        kpi_scorecard_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
kpi_scorecard_destroy (kpi_scorecard_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

/* Sets key to value (stolen); false when value is NULL or the set fails
   (jansson then releases value). */
static bool
s_put (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

/* A basis-point value as a JSON number (written with S_REAL_DIGITS). */
static json_t *
s_bp_json (uint32_t bp)
{
    return json_real ((double) bp / S_BP);
}

/* The canonical object of a role; NULL when out of memory. */
static json_t *
s_role_json (const s_role_t *role)
{
    json_t *object = json_object ();
    json_t *kpis = json_array ();
    bool ok = object && kpis && json_object_set (object, "kpis", kpis) == 0;
    for (size_t index = 0; ok && index < role->kpi_count; index++) {
        json_t *kpi = json_object ();
        ok = kpi && json_array_append_new (kpis, kpi) == 0 &&
             s_put (kpi, "kpi", json_string (role->kpis[index].definition->name)) &&
             s_put (kpi, "weight", s_bp_json (role->kpis[index].weight_bp));
    }
    json_decref (kpis);
    if (!ok)
        json_decref (object);
    return ok ? object : NULL;
}

char *
kpi_scorecard_to_json (const kpi_scorecard_t *self)
{
    assert (self);
    char *text = NULL;
    json_t *root = json_object ();
    json_t *roles = json_object ();
    json_t *pace = json_object ();
    bool ok = root && roles && pace && s_put (root, "name", json_string (self->name)) &&
              s_put (root, "cap", s_bp_json (self->cap_bp)) &&
              json_object_set (root, "roles", roles) == 0;
    for (size_t role = 0; ok && role < KPI_SCORECARD_ROLE_COUNT; role++)
        if (self->roles[role].present)
            ok = s_put (roles, s_role_names[role], s_role_json (&self->roles[role]));
    ok = ok && json_object_set (root, "pace", pace) == 0 &&
         s_put (pace, "early_percent", json_integer (self->pace.early_percent)) &&
         s_put (pace, "exceeded", s_bp_json ((uint32_t) self->pace.exceeded_bp)) &&
         s_put (pace, "behind", s_bp_json ((uint32_t) self->pace.behind_bp));
    if (ok && self->stage_count > 0) {
        json_t *stages = json_object ();
        ok = s_put (root, "stage_probabilities", stages);
        for (size_t index = 0; ok && index < self->stage_count; index++)
            ok = s_put (stages, self->stages[index].name,
                        s_bp_json (self->stages[index].probability_bp));
    }
    if (ok)
        text = json_dumps (root, JSON_INDENT (S_JSON_INDENT) | JSON_REAL_PRECISION (S_REAL_DIGITS));
    json_decref (pace);
    json_decref (roles);
    json_decref (root);
    return text;
}

int
kpi_scorecard_check (const char *text, size_t length, char *name, size_t name_size,
                     char **canonical, char *error, size_t error_size)
{
    assert (text && name && canonical);
    kpi_scorecard_t *self = kpi_scorecard_new (text, length, error, error_size);
    if (!self)
        return -1;
    int rc = sp_refdata_check_finish (kpi_scorecard_to_json (self), kpi_scorecard_name (self), name,
                                      name_size, canonical, error, error_size);
    kpi_scorecard_destroy (&self);
    return rc;
}

const char *
kpi_scorecard_name (const kpi_scorecard_t *self)
{
    assert (self);
    return self->name;
}

uint32_t
kpi_scorecard_cap_bp (const kpi_scorecard_t *self)
{
    assert (self);
    return self->cap_bp;
}

void
kpi_scorecard_pace_thresholds (const kpi_scorecard_t *self, kpi_pace_thresholds_t *thresholds)
{
    assert (self && thresholds);
    *thresholds = self->pace;
}

const char *
kpi_scorecard_role_name (kpi_scorecard_role_t role)
{
    assert ((size_t) role < KPI_SCORECARD_ROLE_COUNT);
    return s_role_names[role];
}

int
kpi_scorecard_role_parse (const char *name, kpi_scorecard_role_t *role)
{
    assert (name && role);
    for (size_t index = 0; index < KPI_SCORECARD_ROLE_COUNT; index++)
        if (strcmp (name, s_role_names[index]) == 0) {
            *role = (kpi_scorecard_role_t) index;
            return 0;
        }
    return -1;
}

/* The role named name if the scorecard defines it, else NULL. */
static const s_role_t *
s_role (const kpi_scorecard_t *self, const char *name)
{
    kpi_scorecard_role_t role;
    if (kpi_scorecard_role_parse (name, &role) != 0 || !self->roles[role].present)
        return NULL;
    return &self->roles[role];
}

size_t
kpi_scorecard_kpi_count (const kpi_scorecard_t *self, const char *role)
{
    assert (self && role);
    const s_role_t *found = s_role (self, role);
    return found ? found->kpi_count : 0;
}

const kpi_scorecard_kpi_t *
kpi_scorecard_kpi (const kpi_scorecard_t *self, const char *role, size_t index)
{
    assert (self && role);
    const s_role_t *found = s_role (self, role);
    assert (found && index < found->kpi_count);
    return &found->kpis[index];
}

size_t
kpi_scorecard_stage_count (const kpi_scorecard_t *self)
{
    assert (self);
    return self->stage_count;
}

bool
kpi_scorecard_stage_probability (const kpi_scorecard_t *self, const char *stage,
                                 uint32_t *probability_bp)
{
    assert (self && stage && probability_bp);
    const s_stage_t *found = NULL;
    for (size_t index = 0; index < self->stage_count && !found; index++)
        if (strcmp (self->stages[index].name, stage) == 0)
            found = &self->stages[index];
    if (!found)
        return false;
    *probability_bp = found->probability_bp;
    return true;
}

/* numerator ÷ denominator, both >= 0 and denominator > 0, halves up. */
static int64_t
s_divide_round (int64_t numerator, int64_t denominator)
{
    return (numerator + denominator / 2) / denominator;
}

int
kpi_scorecard_score (const kpi_scorecard_t *self, const char *role,
                     const kpi_scorecard_input_t *inputs, size_t count, kpi_scorecard_result_t *out)
{
    assert (self && role && out);
    assert (inputs || count == 0);
    const s_role_t *found = s_role (self, role);
    if (!found)
        return -1;
    /* The input of each of the role's KPIs, or NULL. */
    const kpi_scorecard_input_t *of_kpi[KPI_SCORECARD_KPIS_MAX] = { NULL };
    for (size_t input = 0; input < count; input++) {
        assert (inputs[input].kpi);
        size_t index = 0;
        while (index < found->kpi_count &&
               strcmp (found->kpis[index].definition->name, inputs[input].kpi) != 0)
            index++;
        if (index == found->kpi_count || of_kpi[index])
            return -1;
        of_kpi[index] = &inputs[input];
    }
    kpi_scorecard_result_t result = { .part_count = found->kpi_count };
    /* At most 7 × 10,000 × 100,000: far from any overflow. */
    int64_t weighted = 0;
    for (size_t index = 0; index < found->kpi_count; index++) {
        kpi_scorecard_part_t *part = &result.parts[index];
        part->kpi = found->kpis[index].definition->name;
        part->weight_bp = found->kpis[index].weight_bp;
        if (!of_kpi[index] || !of_kpi[index]->has_target)
            continue;
        int64_t attainment = of_kpi[index]->attainment_bp;
        if (attainment < 0)
            attainment = 0;
        if (attainment > (int64_t) self->cap_bp)
            attainment = self->cap_bp;
        part->counted = true;
        part->attainment_bp = attainment;
        result.weight_bp += part->weight_bp;
        weighted += (int64_t) part->weight_bp * attainment;
    }
    if (result.weight_bp > 0) {
        result.has_score = true;
        result.score_bp = s_divide_round (weighted, result.weight_bp);
        for (size_t index = 0; index < result.part_count; index++)
            if (result.parts[index].counted)
                result.parts[index].contribution_bp = s_divide_round (
                    (int64_t) result.parts[index].weight_bp * result.parts[index].attainment_bp,
                    result.weight_bp);
    }
    *out = result;
    return 0;
}

/* Scored first, highest score first, then id ascending. */
static int
s_member_compare (const void *left, const void *right)
{
    const kpi_scorecard_member_t *one = (const kpi_scorecard_member_t *) left;
    const kpi_scorecard_member_t *other = (const kpi_scorecard_member_t *) right;
    if (one->has_score != other->has_score)
        return one->has_score ? -1 : 1;
    if (one->has_score && one->score_bp != other->score_bp)
        return one->score_bp > other->score_bp ? -1 : 1;
    return strcmp (one->id, other->id);
}

void
kpi_scorecard_rank (kpi_scorecard_member_t *members, size_t count)
{
    assert (members || count == 0);
    for (size_t index = 0; index < count; index++)
        assert (members[index].id);
    if (count == 0)
        return;
    qsort (members, count, sizeof members[0], s_member_compare);
    for (size_t index = 0; index < count; index++) {
        kpi_scorecard_member_t *member = &members[index];
        if (!member->has_score)
            member->rank = 0;
        else if (index > 0 && members[index - 1].score_bp == member->score_bp)
            member->rank = members[index - 1].rank; /* the one before is scored too */
        else
            member->rank = index + 1;
    }
}
