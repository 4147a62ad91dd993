/*  kpi_keys - kpi-evaluator's Redis keys (see kpi_keys.h). */
#include "kpi_keys.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* first, separator (when not NUL) and second into out (size bytes, NUL
   included): the length, or -1 when it does not fit. With memcpy: these
   run several times an event (printf took a third of a rebuild). */
static int
s_join (char *out, size_t size, const char *first, char separator, const char *second)
{
    size_t first_length = strlen (first), second_length = strlen (second);
    size_t length = first_length + (separator != '\0') + second_length;
    if (length >= size || length > INT_MAX)
        return -1;
    memcpy (out, first, first_length);
    if (separator != '\0')
        out[first_length] = separator;
    memcpy (out + length - second_length, second, second_length);
    out[length] = '\0';
    return (int) length;
}

/* A key of partition from a formatted suffix; -1 when it does not fit. */
static int
s_key (char *key, size_t size, uint32_t partition, const char *suffix, int written,
       size_t suffix_size)
{
    if (written < 0 || (size_t) written >= suffix_size)
        return -1;
    return sp_partition_key (key, size, KPI_KEYS_SERVICE, partition, suffix);
}

int
kpi_keys_bucket (char *key, size_t size, uint32_t partition, char kind, const char *label)
{
    assert (kind == KPI_KEYS_DAY || kind == KPI_KEYS_MONTH);
    char suffix[SP_PARTITION_KEY_MAX];
    const char prefix[] = { kind, '\0' };
    int written = s_join (suffix, sizeof suffix, prefix, ':', label);
    return s_key (key, size, partition, suffix, written, sizeof suffix);
}

int
kpi_keys_opportunity (char *key, size_t size, uint32_t partition, const char *opportunity)
{
    char suffix[SP_PARTITION_KEY_MAX];
    int written = snprintf (suffix, sizeof suffix, "o:%s", opportunity);
    return s_key (key, size, partition, suffix, written, sizeof suffix);
}

int
kpi_keys_customer (char *key, size_t size, uint32_t partition, const char *customer)
{
    char suffix[SP_PARTITION_KEY_MAX];
    int written = snprintf (suffix, sizeof suffix, "c:%s", customer);
    return s_key (key, size, partition, suffix, written, sizeof suffix);
}

int
kpi_keys_plan (char *key, size_t size, uint32_t partition, const char *day, const char *rep,
               const char *target)
{
    char suffix[SP_PARTITION_KEY_MAX];
    int written = snprintf (suffix, sizeof suffix, "v:%s:%zu:%s%s", day, strlen (rep), rep, target);
    return s_key (key, size, partition, suffix, written, sizeof suffix);
}

int
kpi_keys_field (char *field, size_t size, kpi_measure_t measure, const char *scope)
{
    const char *name = kpi_catalog_measure_name (measure);
    assert (name);
    return s_join (field, size, name, '|', scope);
}

int
kpi_keys_field_parse (const char *field, size_t length, kpi_measure_t *measure,
                      size_t *scope_offset)
{
    const char *bar = memchr (field, '|', length);
    if (!bar)
        return -1;
    char name[KPI_NAME_SIZE];
    size_t name_length = (size_t) (bar - field);
    if (name_length >= sizeof name)
        return -1;
    memcpy (name, field, name_length);
    name[name_length] = '\0';
    if (kpi_catalog_measure_parse (name, measure) != 0)
        return -1;
    *scope_offset = name_length + 1;
    return 0;
}

int
kpi_keys_open (char *key, size_t size, uint32_t partition, const char *stage)
{
    char suffix[SP_PARTITION_KEY_MAX];
    int written = snprintf (suffix, sizeof suffix, "p:%s", stage);
    return s_key (key, size, partition, suffix, written, sizeof suffix);
}

int
kpi_keys_stages (char *key, size_t size, uint32_t partition)
{
    return s_key (key, size, partition, "stages", (int) strlen ("stages"), sizeof "stages");
}

int
kpi_keys_open_field (char *field, size_t size, const char *name, const char *scope)
{
    return s_join (field, size, name, '|', scope);
}

int
kpi_keys_touched_field (char *field, size_t size, const char *customer, const char *scope)
{
    int written = snprintf (field, size, "t:%zu:%s|%s", strlen (customer), customer, scope);
    return written < 0 || (size_t) written >= size ? -1 : written;
}

int
kpi_keys_touched_parse (const char *field, size_t length, const char **customer,
                        size_t *customer_length, size_t *scope_offset)
{
    if (length < 4 || field[0] != 't' || field[1] != ':')
        return -1;
    size_t index = 2;
    size_t count = 0;
    while (index < length && field[index] >= '0' && field[index] <= '9' && count <= 1000)
        count = count * 10 + (size_t) (field[index++] - '0');
    if (index == 2 || index >= length || field[index] != ':' || count > length - index - 2 ||
        field[index + 1 + count] != '|')
        return -1;
    *customer = field + index + 1;
    *customer_length = count;
    *scope_offset = index + 2 + count;
    return 0;
}
