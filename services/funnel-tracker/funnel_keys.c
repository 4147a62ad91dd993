/*  funnel_keys - funnel-tracker's Redis key names (see funnel_keys.h). */
#include "funnel_keys.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sp_error.h"

static const char *const s_scope_prefix[FUNNEL_SCOPE_KIND_COUNT] = { "company", "region:", "team:",
                                                                      "rep:" };

/* Formats the suffix of a key of partition, then the partition key
   around it (sp_partition_key). The length, or -1 when it does not fit. */
static int s_key (char *buffer, size_t size, uint32_t partition, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
s_key (char *buffer, size_t size, uint32_t partition, const char *format, ...)
{
    char suffix[FUNNEL_KEYS_SIZE];
    va_list arguments;
    va_start (arguments, format);
    int length = vsnprintf (suffix, sizeof suffix, format, arguments);
    va_end (arguments);
    if (length < 0 || (size_t) length >= sizeof suffix) {
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
    char quoted[FUNNEL_KEYS_SCOPE_SIZE]; /* the text for messages, cut and made printable */
    sp_error_quote (text, quoted, sizeof quoted);
    if (strcmp (text, "company") == 0) {
        *kind = FUNNEL_SCOPE_COMPANY;
        *id = "";
        return 0;
    }
    for (int candidate = FUNNEL_SCOPE_REGION; candidate < FUNNEL_SCOPE_KIND_COUNT; candidate++) {
        size_t prefix = strlen (s_scope_prefix[candidate]);
        if (strncmp (text, s_scope_prefix[candidate], prefix) == 0) {
            if (text[prefix] == '\0') {
                sp_error_set (error, error_size, "invalid scope \"%s\": the %.*s id is empty", quoted,
                              (int) (prefix - 1), s_scope_prefix[candidate]);
                return -1;
            }
            if (strlen (text + prefix) > FUNNEL_KEYS_ID_MAX) {
                sp_error_set (error, error_size,
                              "invalid scope \"%s\": the id is longer than %d bytes", quoted,
                              FUNNEL_KEYS_ID_MAX);
                return -1;
            }
            *kind = (funnel_scope_kind_t) candidate;
            *id = text + prefix;
            return 0;
        }
    }
    sp_error_set (error, error_size,
                  "invalid scope \"%s\": expected company, region:ID, team:ID or rep:ID", quoted);
    return -1;
}

int
funnel_keys_entity (char *buffer, size_t size, uint32_t partition, const char *funnel,
                    const char *entity)
{
    return s_key (buffer, size, partition, "e:%s:%s", funnel, entity);
}

int
funnel_keys_month (char *buffer, size_t size, uint32_t partition, const char *funnel,
                   const char *scope, const char *month)
{
    return s_key (buffer, size, partition, "m:%s:%s:%s", funnel, scope, month);
}

int
funnel_keys_distribution (char *buffer, size_t size, uint32_t partition, const char *funnel,
                          const char *scope, const char *month,
                          funnel_distribution_t distribution, size_t step)
{
    switch (distribution) {
        case FUNNEL_DISTRIBUTION_DURATION:
            assert (step >= 2);
            return s_key (buffer, size, partition, "z:%s:%s:%s:duration:%zu", funnel, scope, month,
                          step);
        case FUNNEL_DISTRIBUTION_CYCLE:
            return s_key (buffer, size, partition, "z:%s:%s:%s:cycle", funnel, scope, month);
        case FUNNEL_DISTRIBUTION_AMOUNT:
        default:
            return s_key (buffer, size, partition, "z:%s:%s:%s:amount", funnel, scope, month);
    }
}

int
funnel_keys_open (char *buffer, size_t size, uint32_t partition, const char *funnel,
                  const char *scope)
{
    return s_key (buffer, size, partition, "o:%s:%s", funnel, scope);
}

int
funnel_keys_day (char *buffer, size_t size, uint32_t partition, const char *funnel,
                 const char *scope, const char *day)
{
    return s_key (buffer, size, partition, "d:%s:%s:%s", funnel, scope, day);
}

int
funnel_keys_months (char *buffer, size_t size, uint32_t partition, const char *funnel)
{
    return s_key (buffer, size, partition, "months:%s", funnel);
}

int
funnel_keys_scopes (char *buffer, size_t size, uint32_t partition, const char *funnel)
{
    return s_key (buffer, size, partition, "scopes:%s", funnel);
}

int
funnel_keys_clock (char *buffer, size_t size, uint32_t partition)
{
    return s_key (buffer, size, partition, "clock");
}

int
funnel_keys_field (char *buffer, size_t size, const char *name, size_t step)
{
    assert (buffer && size >= FUNNEL_KEYS_FIELD_SIZE && name);
    int length = snprintf (buffer, size, "%s:%zu", name, step);
    assert (length > 0 && (size_t) length < size);
    return length;
}
