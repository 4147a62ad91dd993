/*  funnel_keys - funnel-tracker's Redis key names (see funnel_keys.h). */
#include "funnel_keys.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sp_error.h"

static const char *const s_scope_prefix[FUNNEL_SCOPE_KIND_COUNT] = { "company", "region:", "team:",
                                                                      "rep:" };

/* Formats a suffix, then the partition key around it. */
static int
s_key (char *buffer, size_t size, uint32_t partition, const char *suffix, int suffix_length)
{
    if (suffix_length < 0 || (size_t) suffix_length >= FUNNEL_KEYS_SIZE) {
        buffer[0] = '\0';
        return -1;
    }
    return sp_partition_key (buffer, size, FUNNEL_KEYS_SERVICE, partition, suffix);
}

int
funnel_keys_scope (char *buffer, size_t size, funnel_scope_kind_t kind, const char *id)
{
    assert (buffer && size > 0);
    assert ((unsigned) kind < FUNNEL_SCOPE_KIND_COUNT);
    int length;
    if (kind == FUNNEL_SCOPE_COMPANY)
        length = snprintf (buffer, size, "company");
    else {
        if (!id || !*id) {
            buffer[0] = '\0';
            return -1;
        }
        length = snprintf (buffer, size, "%s%s", s_scope_prefix[kind], id);
    }
    if (length < 0 || (size_t) length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    return length;
}

int
funnel_keys_scope_parse (const char *text, funnel_scope_kind_t *kind, const char **id,
                         char *error, size_t error_size)
{
    assert (text && kind && id);
    if (strcmp (text, "company") == 0) {
        *kind = FUNNEL_SCOPE_COMPANY;
        *id = "";
        return 0;
    }
    for (int candidate = FUNNEL_SCOPE_REGION; candidate < FUNNEL_SCOPE_KIND_COUNT; candidate++) {
        size_t prefix = strlen (s_scope_prefix[candidate]);
        if (strncmp (text, s_scope_prefix[candidate], prefix) == 0) {
            if (text[prefix] == '\0') {
                sp_error_set (error, error_size, "invalid scope \"%s\": the %.*s id is empty", text,
                              (int) (prefix - 1), s_scope_prefix[candidate]);
                return -1;
            }
            if (strlen (text + prefix) > FUNNEL_KEYS_SCOPE_SIZE - 8) {
                sp_error_set (error, error_size, "invalid scope \"%s\": the id is too long", text);
                return -1;
            }
            *kind = (funnel_scope_kind_t) candidate;
            *id = text + prefix;
            return 0;
        }
    }
    sp_error_set (error, error_size,
                  "invalid scope \"%s\": expected company, region:ID, team:ID or rep:ID", text);
    return -1;
}

int
funnel_keys_entity (char *buffer, size_t size, uint32_t partition, const char *funnel,
                    const char *entity)
{
    char suffix[FUNNEL_KEYS_SIZE];
    int length = snprintf (suffix, sizeof suffix, "e:%s:%s", funnel, entity);
    return s_key (buffer, size, partition, suffix, length);
}

int
funnel_keys_month (char *buffer, size_t size, uint32_t partition, const char *funnel,
                   const char *scope, const char *month)
{
    char suffix[FUNNEL_KEYS_SIZE];
    int length = snprintf (suffix, sizeof suffix, "m:%s:%s:%s", funnel, scope, month);
    return s_key (buffer, size, partition, suffix, length);
}

int
funnel_keys_distribution (char *buffer, size_t size, uint32_t partition, const char *funnel,
                          const char *scope, const char *month,
                          funnel_distribution_t distribution, size_t step)
{
    char suffix[FUNNEL_KEYS_SIZE];
    int length;
    switch (distribution) {
        case FUNNEL_DISTRIBUTION_DURATION:
            assert (step >= 2);
            length = snprintf (suffix, sizeof suffix, "z:%s:%s:%s:duration:%zu", funnel, scope,
                               month, step);
            break;
        case FUNNEL_DISTRIBUTION_CYCLE:
            length = snprintf (suffix, sizeof suffix, "z:%s:%s:%s:cycle", funnel, scope, month);
            break;
        case FUNNEL_DISTRIBUTION_AMOUNT:
        default:
            length = snprintf (suffix, sizeof suffix, "z:%s:%s:%s:amount", funnel, scope, month);
            break;
    }
    return s_key (buffer, size, partition, suffix, length);
}

int
funnel_keys_open (char *buffer, size_t size, uint32_t partition, const char *funnel,
                  const char *scope)
{
    char suffix[FUNNEL_KEYS_SIZE];
    int length = snprintf (suffix, sizeof suffix, "o:%s:%s", funnel, scope);
    return s_key (buffer, size, partition, suffix, length);
}

int
funnel_keys_day (char *buffer, size_t size, uint32_t partition, const char *funnel,
                 const char *scope, const char *day)
{
    char suffix[FUNNEL_KEYS_SIZE];
    int length = snprintf (suffix, sizeof suffix, "d:%s:%s:%s", funnel, scope, day);
    return s_key (buffer, size, partition, suffix, length);
}

int
funnel_keys_months (char *buffer, size_t size, uint32_t partition, const char *funnel)
{
    char suffix[FUNNEL_KEYS_SIZE];
    int length = snprintf (suffix, sizeof suffix, "months:%s", funnel);
    return s_key (buffer, size, partition, suffix, length);
}

int
funnel_keys_scopes (char *buffer, size_t size, uint32_t partition, const char *funnel)
{
    char suffix[FUNNEL_KEYS_SIZE];
    int length = snprintf (suffix, sizeof suffix, "scopes:%s", funnel);
    return s_key (buffer, size, partition, suffix, length);
}

int
funnel_keys_clock (char *buffer, size_t size, uint32_t partition)
{
    return sp_partition_key (buffer, size, FUNNEL_KEYS_SERVICE, partition, "clock");
}

int
funnel_keys_field (char *buffer, size_t size, const char *name, size_t step)
{
    assert (buffer && size >= FUNNEL_KEYS_FIELD_SIZE && name);
    int length = snprintf (buffer, size, "%s:%zu", name, step);
    assert (length > 0 && (size_t) length < size);
    return length;
}
