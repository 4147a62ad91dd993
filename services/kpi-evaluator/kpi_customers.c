/*  kpi_customers - customer tiers and owners (see kpi_customers.h).

    Customers are read in document order, then sorted by id (byte order)
    and a duplicate id is refused naming both paths. Each customer is one
    allocation holding its id and, after it, its owner.
*/
#include "kpi_customers.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_org.h"
#include "sp_error.h"
#include "sp_event.h"
#include "sp_json_read.h"

#define S_KIND "customers"
#define S_NAME_MAX (SP_REFDATA_NAME_SIZE - 1)
#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))

_Static_assert(KPI_CUSTOMERS_ID_MAX == SP_EVENT_REF_MAX,
               "a customer id is as long as an event's customer_id may be");
_Static_assert(KPI_CUSTOMERS_ID_MAX == SP_ORG_ID_MAX, "an owner is a rep id of the org");

const sp_refdata_kind_t kpi_customers_kind = {
    .kind = S_KIND,
    .service = "kpi-evaluator",
    .change = SP_REFDATA_REBUILD,
    .effective_dated = false,
    .check = kpi_customers_check,
};

typedef struct {
    char *id;          /* owned; the owner follows it in the same allocation */
    const char *owner; /* inside id's allocation; NULL when absent */
    char tier;         /* 'A', 'B' or 'C' */
    size_t index;      /* position in the document's "customers" */
} s_customer_t;

struct _kpi_customers_t {
    char name[SP_REFDATA_NAME_SIZE]; /* document name, [a-z0-9_-] */
    s_customer_t *customers;         /* sorted by id */
    size_t count;                    /* customers read */
};

static const char *const s_top_keys[] = { "name", "customers", NULL };
static const char *const s_customer_keys[] = { "id", "tier", "owner", NULL };

/* JSON spellings of the tiers; the tier is the letter. */
static const char *const s_tier_names[] = { "A", "B", "C" };

/* Orders customers by id, then by position in the document. */
static int
s_compare (const void *left, const void *right)
{
    const s_customer_t *one = left;
    const s_customer_t *other = right;
    int order = strcmp (one->id, other->id);
    if (order != 0)
        return order;
    return one->index < other->index ? -1 : one->index > other->index;
}

/* Sorts the customers and refuses a duplicate id, naming the earliest
   repetition in the document and the customer it repeats. */
static int
s_sort_unique (sp_json_reader_t *reader, kpi_customers_t *self)
{
    if (self->count > 1)
        qsort (self->customers, self->count, sizeof *self->customers, s_compare);
    const s_customer_t *first = NULL;
    const s_customer_t *second = NULL;
    for (size_t index = 1; index < self->count; index++) {
        const s_customer_t *previous = &self->customers[index - 1];
        const s_customer_t *customer = &self->customers[index];
        bool starts_run = index == 1 || strcmp (self->customers[index - 2].id, previous->id) != 0;
        if (strcmp (previous->id, customer->id) == 0 && starts_run &&
            (!second || customer->index < second->index)) {
            first = previous;
            second = customer;
        }
    }
    if (!second)
        return 0;
    char path[SP_JSON_PATH_SIZE];
    char parent[SP_JSON_PATH_SIZE];
    char quoted[SP_EVENT_QUOTE_SIZE];
    sp_json_path_index (parent, sizeof parent, "customers", second->index);
    sp_json_path (path, sizeof path, parent, "id");
    sp_json_path_index (parent, sizeof parent, "customers", first->index);
    return sp_json_fail (reader, path, "\"%s\" is already the id of %s",
                         sp_event_quote (second->id, strlen (second->id), quoted, sizeof quoted),
                         parent);
}

/* Reads customers[index] into customer. */
static int
s_read_customer (sp_json_reader_t *reader, const json_t *object, size_t index,
                 s_customer_t *customer)
{
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    sp_json_path_index (parent, sizeof parent, "customers", index);
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_customer_keys) != 0)
        return -1;
    const char *id;
    sp_json_path (path, sizeof path, parent, "id");
    if (sp_json_read_text (reader, json_object_get (object, "id"), path, KPI_CUSTOMERS_ID_MAX,
                           &id) != 0)
        return -1;
    int tier;
    sp_json_path (path, sizeof path, parent, "tier");
    if (sp_json_read_choice (reader, json_object_get (object, "tier"), path, "tier",
                             "\"A\", \"B\" or \"C\"", s_tier_names, S_COUNT (s_tier_names),
                             &tier) != 0)
        return -1;
    const json_t *value = json_object_get (object, "owner");
    const char *owner = NULL;
    sp_json_path (path, sizeof path, parent, "owner");
    if (value && sp_json_read_text (reader, value, path, KPI_CUSTOMERS_ID_MAX, &owner) != 0)
        return -1;
    size_t id_size = strlen (id) + 1;
    size_t owner_size = owner ? strlen (owner) + 1 : 0;
    customer->id = malloc (id_size + owner_size);
    if (!customer->id) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    memcpy (customer->id, id, id_size);
    if (owner) {
        memcpy (customer->id + id_size, owner, owner_size);
        customer->owner = customer->id + id_size;
    }
    customer->tier = s_tier_names[tier][0];
    customer->index = index;
    return 0;
}

/* Reads the whole document into self. */
static int
s_read (sp_json_reader_t *reader, kpi_customers_t *self, const json_t *root)
{
    if (sp_json_check_keys (reader, root, "", s_top_keys) != 0)
        return -1;
    if (sp_json_read_name (reader, json_object_get (root, "name"), "name", self->name,
                           S_NAME_MAX) != 0)
        return -1;
    const json_t *array = json_object_get (root, "customers");
    if (sp_json_read_array (reader, array, "customers") != 0)
        return -1;
    size_t count = json_array_size (array);
    if (count > KPI_CUSTOMERS_MAX)
        return sp_json_fail (reader, "customers", "%zu customers, at most %d are allowed", count,
                             KPI_CUSTOMERS_MAX);
    self->customers = calloc (count ? count : 1, sizeof *self->customers);
    if (!self->customers) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    for (size_t index = 0; index < count; index++) {
        if (s_read_customer (reader, json_array_get (array, index), index,
                             &self->customers[index]) != 0)
            return -1;
        self->count++;
    }
    return s_sort_unique (reader, self);
}

kpi_customers_t *
kpi_customers_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "a customers document", error, error_size);
    if (!root)
        return NULL;
    kpi_customers_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    if (s_read (&reader, self, root) != 0)
        kpi_customers_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
kpi_customers_destroy (kpi_customers_t **self_p)
{
    assert (self_p);
    kpi_customers_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        free (self->customers[index].id);
    free (self->customers);
    free (self);
    *self_p = NULL;
}

/* Sets key of object to value (stolen); clears *ok when either fails. */
static void
s_set (json_t *object, const char *key, json_t *value, bool *ok)
{
    if (!object || json_object_set_new (object, key, value) != 0)
        *ok = false;
}

char *
kpi_customers_to_json (const kpi_customers_t *self)
{
    assert (self);
    bool ok = true;
    json_t *root = json_object ();
    json_t *customers = json_array ();
    s_set (root, "name", json_string (self->name), &ok);
    for (size_t index = 0; index < self->count && ok; index++) {
        const s_customer_t *customer = &self->customers[index];
        json_t *object = json_object ();
        char tier[] = { customer->tier, '\0' };
        s_set (object, "id", json_string (customer->id), &ok);
        s_set (object, "tier", json_string (tier), &ok);
        if (customer->owner)
            s_set (object, "owner", json_string (customer->owner), &ok);
        if (!customers || json_array_append_new (customers, object) != 0)
            ok = false;
    }
    s_set (root, "customers", customers, &ok);
    char *text = ok ? json_dumps (root, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref (root);
    return text;
}

int
kpi_customers_check (const char *text, size_t length, char *name, size_t name_size,
                     char **canonical, char *error, size_t error_size)
{
    assert (text && name && canonical);
    kpi_customers_t *self = kpi_customers_new (text, length, error, error_size);
    if (!self)
        return -1;
    int rc = sp_refdata_check_finish (kpi_customers_to_json (self), kpi_customers_name (self), name,
                                      name_size, canonical, error, error_size);
    kpi_customers_destroy (&self);
    return rc;
}

const char *
kpi_customers_name (const kpi_customers_t *self)
{
    assert (self);
    return self->name;
}

/* The customer with id, or NULL. */
static const s_customer_t *
s_find (const kpi_customers_t *self, const char *id)
{
    if (!self || !id)
        return NULL;
    size_t low = 0;
    size_t high = self->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (self->customers[middle].id, id);
        if (order == 0)
            return &self->customers[middle];
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}

char
kpi_customers_tier (const kpi_customers_t *self, const char *id)
{
    const s_customer_t *customer = s_find (self, id);
    return customer ? customer->tier : 0;
}

const char *
kpi_customers_owner (const kpi_customers_t *self, const char *id)
{
    const s_customer_t *customer = s_find (self, id);
    return customer ? customer->owner : NULL;
}

size_t
kpi_customers_count (const kpi_customers_t *self)
{
    assert (self);
    return self->count;
}

const char *
kpi_customers_id (const kpi_customers_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->customers[index].id;
}
