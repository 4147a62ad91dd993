/*  churn_reference - the health model and the tiers in force (see
    churn_reference.h). */
#include "churn_reference.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn_tiers.h"
#include "sp_error.h"
#include "sp_refdata.h"

#define S_HEALTH 0    /* index of "health" in churn_reference_kinds */
#define S_CUSTOMERS 1 /* index of "customers" */

const char *const churn_reference_kinds[] = { "health", "customers" };

struct _churn_reference_t {
    churn_model_t *model;                      /* the model in force */
    int64_t version;                           /* its stored version, 0: built in */
    int64_t revision;                          /* its revision, 0: built in */
    churn_tiers_t *tiers;                      /* the tiers in force, NULL: none */
    char customers_name[SP_REFDATA_NAME_SIZE]; /* their document's name */
    int64_t customers_version;                 /* its version, 0: none */
    int64_t customers_revision;                /* its revision, 0: none */
};

void
churn_reference_destroy (churn_reference_t **self_p)
{
    assert (self_p);
    churn_reference_t *self = *self_p;
    if (!self)
        return;
    churn_model_destroy (&self->model);
    churn_tiers_destroy (&self->tiers);
    free (self);
    *self_p = NULL;
}

churn_reference_t *
churn_reference_load (sp_pg_t *pg, char *error, size_t error_size)
{
    assert (pg);
    churn_reference_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    char reason[CHURN_MODEL_ERROR_SIZE];
    sp_refdata_set_t *set = sp_refdata_read (pg, churn_reference_kinds, CHURN_REFERENCE_KIND_COUNT,
                                             NULL, false, reason, sizeof reason);
    if (!set) {
        sp_error_set (error, error_size, "could not read the health model and the customers: %s",
                      reason);
        goto out_destroy;
    }
    /* of each kind, the document loaded last */
    const sp_refdata_entry_t *latest = NULL, *customers = NULL;
    for (size_t index = 0; index < sp_refdata_set_size (set); index++) {
        const sp_refdata_entry_t *entry = sp_refdata_set_entry (set, index);
        const sp_refdata_entry_t **slot =
            strcmp (entry->kind, churn_reference_kinds[S_CUSTOMERS]) == 0 ? &customers : &latest;
        if (!*slot || entry->revision > (*slot)->revision)
            *slot = entry;
    }
    if (customers) {
        char tiers_reason[CHURN_TIERS_ERROR_SIZE];
        self->tiers = churn_tiers_new (customers->document, strlen (customers->document),
                                       tiers_reason, sizeof tiers_reason);
        if (!self->tiers) {
            sp_error_set (error, error_size,
                          "customers document \"%s\" version %lld does not give tiers: %s",
                          customers->name, (long long) customers->version, tiers_reason);
            sp_refdata_set_destroy (&set);
            goto out_destroy;
        }
        snprintf (self->customers_name, sizeof self->customers_name, "%s", customers->name);
        self->customers_version = customers->version;
        self->customers_revision = customers->revision;
    }
    if (latest) {
        self->model =
            churn_model_new (latest->document, strlen (latest->document), reason, sizeof reason);
        if (!self->model)
            sp_error_set (error, error_size, "health model \"%s\" version %lld is not valid: %s",
                          latest->name, (long long) latest->version, reason);
        self->version = latest->version;
        self->revision = latest->revision;
    }
    else {
        self->model =
            churn_model_new (CHURN_REFERENCE_DEFAULT_MODEL, strlen (CHURN_REFERENCE_DEFAULT_MODEL),
                             reason, sizeof reason);
        if (!self->model)
            sp_error_set (error, error_size, "the built-in health model: %s", reason);
    }
    sp_refdata_set_destroy (&set);
    if (self->model)
        return self;
out_destroy:
    churn_reference_destroy (&self);
    return NULL;
}

const churn_model_t *
churn_reference_model (const churn_reference_t *self)
{
    assert (self);
    return self->model;
}

int64_t
churn_reference_version (const churn_reference_t *self)
{
    assert (self);
    return self->version;
}

int64_t
churn_reference_revision (const churn_reference_t *self)
{
    assert (self);
    return self->revision > self->customers_revision ? self->revision : self->customers_revision;
}

int64_t
churn_reference_rebuild_revision (const churn_reference_t *self)
{
    assert (self);
    return self->revision;
}

char
churn_reference_tier (const churn_reference_t *self, const char *customer)
{
    assert (self);
    return churn_tiers_tier (self->tiers, customer);
}

json_t *
churn_reference_definitions (const churn_reference_t *self)
{
    assert (self);
    json_t *models = json_object ();
    json_t *customers = json_object ();
    if (!models || !customers)
        goto out_failed;
    if (self->version > 0 && json_object_set_new (models, churn_model_name (self->model),
                                                  json_integer ((json_int_t) self->version)) != 0)
        goto out_failed;
    if (self->customers_version > 0 &&
        json_object_set_new (customers, self->customers_name,
                             json_integer ((json_int_t) self->customers_version)) != 0)
        goto out_failed;
    return json_pack ("{s:o, s:o}", churn_reference_kinds[S_HEALTH], models,
                      churn_reference_kinds[S_CUSTOMERS], customers);
out_failed:
    json_decref (models);
    json_decref (customers);
    return NULL;
}
