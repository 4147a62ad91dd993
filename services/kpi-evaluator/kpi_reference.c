/*  kpi_reference - the reference data kpi-evaluator uses (see
    kpi_reference.h). */
#include "kpi_reference.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_refdata.h"

#define S_REASON_SIZE 512

const char *const kpi_reference_rebuild_kinds[] = { "org", "customers" };

/* One document in force. */
typedef struct {
    char name[SP_REFDATA_NAME_SIZE];
    int64_t version;
    int64_t revision;
} s_source_t;

struct _kpi_reference_t {
    sp_org_t *org;
    s_source_t org_source;
    kpi_customers_t *customers;
    s_source_t customers_source;
    kpi_scorecard_t *scorecard;
    kpi_targets_t **targets; /* most recently loaded first */
    size_t target_count;
    kpi_targets_t **history; /* every version of every targets document, oldest first */
    size_t history_count;
};

void
kpi_reference_destroy (kpi_reference_t **self_p)
{
    assert (self_p);
    kpi_reference_t *self = *self_p;
    if (!self)
        return;
    sp_org_destroy (&self->org);
    kpi_customers_destroy (&self->customers);
    kpi_scorecard_destroy (&self->scorecard);
    for (size_t index = 0; index < self->target_count; index++)
        kpi_targets_destroy (&self->targets[index]);
    free (self->targets);
    for (size_t index = 0; index < self->history_count; index++)
        kpi_targets_destroy (&self->history[index]);
    free (self->history);
    free (self);
    *self_p = NULL;
}

/* The entry of set loaded last (highest revision), or NULL. */
static const sp_refdata_entry_t *
s_latest (const sp_refdata_set_t *set)
{
    const sp_refdata_entry_t *latest = NULL;
    for (size_t index = 0; index < sp_refdata_set_size (set); index++) {
        const sp_refdata_entry_t *entry = sp_refdata_set_entry (set, index);
        if (!latest || entry->revision > latest->revision)
            latest = entry;
    }
    return latest;
}

static int
s_compare_revision (const void *left, const void *right)
{
    const sp_refdata_entry_t *a = *(const sp_refdata_entry_t *const *) left;
    const sp_refdata_entry_t *b = *(const sp_refdata_entry_t *const *) right;
    return a->revision < b->revision ? 1 : a->revision > b->revision ? -1 : 0;
}

/* Reads every targets document of set into a malloc'd array, most
   recently loaded first, or oldest first with oldest_first. */
static int
s_load_targets (const sp_refdata_set_t *set, bool oldest_first, kpi_targets_t ***array,
                size_t *loaded, char *error, size_t error_size)
{
    size_t count = sp_refdata_set_size (set);
    *loaded = 0;
    if (count == 0)
        return 0;
    const sp_refdata_entry_t **entries = calloc (count, sizeof *entries);
    *array = calloc (count, sizeof **array);
    if (!entries || !*array) {
        free (entries);
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    for (size_t index = 0; index < count; index++)
        entries[index] = sp_refdata_set_entry (set, index);
    qsort (entries, count, sizeof *entries, s_compare_revision);
    int rc = 0;
    for (size_t index = 0; index < count && rc == 0; index++) {
        const sp_refdata_entry_t *entry = entries[oldest_first ? count - 1 - index : index];
        char reason[S_REASON_SIZE];
        (*array)[index] =
            kpi_targets_new (entry->document, strlen (entry->document), reason, sizeof reason);
        if (!(*array)[index]) {
            sp_error_set (error, error_size, "targets \"%s\" version %lld is not valid: %s",
                          entry->name, (long long) entry->version, reason);
            rc = -1;
        }
        else
            *loaded = index + 1;
    }
    free (entries);
    return rc;
}

/* Reads the targets documents (with history, every version too). */
static int
s_load_every_targets (kpi_reference_t *self, sp_pg_t *pg, bool history, char *error,
                      size_t error_size)
{
    for (int pass = 0; pass < (history ? 2 : 1); pass++) {
        char reason[SP_REFDATA_ERROR_SIZE];
        sp_refdata_set_t *set = sp_refdata_read (pg, (const char *[]){ kpi_targets_kind.kind }, 1,
                                                 NULL, pass == 1, reason, sizeof reason);
        if (!set) {
            sp_error_set (error, error_size, "could not read the targets reference data: %s",
                          reason);
            return -1;
        }
        int rc = pass == 0 ? s_load_targets (set, false, &self->targets, &self->target_count, error,
                                             error_size)
                           : s_load_targets (set, true, &self->history, &self->history_count, error,
                                             error_size);
        sp_refdata_set_destroy (&set);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Reads the kind's set (every name's latest version). */
static sp_refdata_set_t *
s_read (sp_pg_t *pg, const char *kind, char *error, size_t error_size)
{
    char reason[SP_REFDATA_ERROR_SIZE];
    sp_refdata_set_t *set =
        sp_refdata_read (pg, (const char *[]){ kind }, 1, NULL, false, reason, sizeof reason);
    if (!set)
        sp_error_set (error, error_size, "could not read the %s reference data: %s", kind, reason);
    return set;
}

/* Parses the latest entry of kind with parse into *object. */
typedef void *(s_parse_fn) (const char *text, size_t length, char *error, size_t error_size);

static int
s_load_latest (sp_pg_t *pg, const char *kind, s_parse_fn *parse, void **object, s_source_t *source,
               char *error, size_t error_size)
{
    sp_refdata_set_t *set = s_read (pg, kind, error, error_size);
    if (!set)
        return -1;
    int rc = 0;
    const sp_refdata_entry_t *entry = s_latest (set);
    if (entry) {
        char reason[S_REASON_SIZE];
        *object = parse (entry->document, strlen (entry->document), reason, sizeof reason);
        if (!*object) {
            sp_error_set (error, error_size, "%s \"%s\" version %lld is not valid: %s", kind,
                          entry->name, (long long) entry->version, reason);
            rc = -1;
        }
        else if (source) {
            snprintf (source->name, sizeof source->name, "%s", entry->name);
            source->version = entry->version;
            source->revision = entry->revision;
        }
    }
    sp_refdata_set_destroy (&set);
    return rc;
}

static void *
s_parse_org (const char *text, size_t length, char *error, size_t error_size)
{
    return sp_org_new (text, length, error, error_size);
}

static void *
s_parse_customers (const char *text, size_t length, char *error, size_t error_size)
{
    return kpi_customers_new (text, length, error, error_size);
}

static void *
s_parse_scorecard (const char *text, size_t length, char *error, size_t error_size)
{
    return kpi_scorecard_new (text, length, error, error_size);
}

kpi_reference_t *
kpi_reference_load (sp_pg_t *pg, unsigned mask, char *error, size_t error_size)
{
    assert (pg);
    kpi_reference_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    void *object = NULL;
    if ((mask & KPI_REFERENCE_ORG) && s_load_latest (pg, sp_org_kind.kind, s_parse_org, &object,
                                                     &self->org_source, error, error_size) != 0)
        goto out_failed;
    self->org = object;
    object = NULL;
    if ((mask & KPI_REFERENCE_CUSTOMERS) &&
        s_load_latest (pg, kpi_customers_kind.kind, s_parse_customers, &object,
                       &self->customers_source, error, error_size) != 0)
        goto out_failed;
    self->customers = object;
    object = NULL;
    if ((mask & KPI_REFERENCE_SCORECARD) &&
        s_load_latest (pg, kpi_scorecard_kind.kind, s_parse_scorecard, &object, NULL, error,
                       error_size) != 0)
        goto out_failed;
    self->scorecard = object;
    if ((mask & KPI_REFERENCE_TARGETS) &&
        s_load_every_targets (self, pg, (mask & KPI_REFERENCE_HISTORY) != 0, error, error_size) !=
            0)
        goto out_failed;
    return self;
out_failed:
    kpi_reference_destroy (&self);
    return NULL;
}

const sp_org_t *
kpi_reference_org (const kpi_reference_t *self)
{
    return self->org;
}

const kpi_customers_t *
kpi_reference_customers (const kpi_reference_t *self)
{
    return self->customers;
}

const kpi_scorecard_t *
kpi_reference_scorecard (const kpi_reference_t *self)
{
    return self->scorecard;
}

int64_t
kpi_reference_revision (const kpi_reference_t *self)
{
    int64_t org = self->org ? self->org_source.revision : 0;
    int64_t customers = self->customers ? self->customers_source.revision : 0;
    return org > customers ? org : customers;
}

json_t *
kpi_reference_definitions (const kpi_reference_t *self)
{
    json_t *definitions = json_object ();
    if (definitions && self->org)
        json_object_set_new (
            definitions, sp_org_kind.kind,
            json_pack ("{s:I}", self->org_source.name, (json_int_t) self->org_source.version));
    if (definitions && self->customers)
        json_object_set_new (definitions, kpi_customers_kind.kind,
                             json_pack ("{s:I}", self->customers_source.name,
                                        (json_int_t) self->customers_source.version));
    return definitions;
}

int
kpi_reference_target (const kpi_reference_t *self, const char *node, const char *kpi,
                      const char *period, kpi_target_t *target, const kpi_targets_t **document)
{
    for (size_t index = 0; index < self->target_count; index++)
        if (kpi_targets_get (self->targets[index], node, kpi, period, target) == 0) {
            if (document)
                *document = self->targets[index];
            return 0;
        }
    return 1;
}

const kpi_targets_t *
kpi_reference_calendar (const kpi_reference_t *self)
{
    return self->target_count > 0 ? self->targets[0] : NULL;
}

int
kpi_reference_first_target (const kpi_reference_t *self, const char *node, const char *kpi,
                            const char *period, kpi_target_t *target)
{
    for (size_t index = 0; index < self->history_count; index++)
        if (kpi_targets_get (self->history[index], node, kpi, period, target) == 0)
            return 0;
    return 1;
}

/* kpi_targets_children_fn over an org, all time. */
static size_t
s_children (void *arg, const char *node, const char **children, size_t capacity)
{
    return sp_org_children ((const sp_org_t *) arg, node, INT64_MIN / 2, INT64_MAX / 2, children,
                            capacity);
}

int
kpi_reference_targets_addup (sp_pg_t *pg, const kpi_targets_t *targets, kpi_targets_warn_fn *warn,
                             void *arg, size_t *warnings, char *error, size_t error_size)
{
    *warnings = 0;
    kpi_reference_t *reference = kpi_reference_load (pg, KPI_REFERENCE_ORG, error, error_size);
    if (!reference)
        return -1;
    if (reference->org)
        *warnings = kpi_targets_addup (targets, s_children, reference->org, warn, arg);
    kpi_reference_destroy (&reference);
    return 0;
}
