/*  funnel_keys - funnel-tracker's Redis key names (see funnel_keys.h).

    Every key is "funnel-tracker:{p<N>}:" (sp_partition_key's form) and a
    suffix of fewer than FUNNEL_KEYS_SIZE bytes, written piece by piece
    with memcpy: the writer builds tens of keys per event.
*/
#include "funnel_keys.h"

#include <assert.h>
#include <string.h>

#include "sp_decimal.h"
#include "sp_error.h"

#define S_PIECES_MAX 8    /* most pieces of one key after its head or prefix */

static const char *const s_scope_prefix[FUNNEL_SCOPE_KIND_COUNT] = { "company",
                                                                     "region:", "team:", "rep:" };

/* Kind letters of the keys built from a prefix. */
#define S_LETTER_MONTH 'm'
#define S_LETTER_DISTRIBUTION 'z'
#define S_LETTER_OPEN 'o'
#define S_LETTER_DAY 'd'

/* A piece of a key: bytes and their count. */
typedef struct {
    const char *text;
    size_t length;
} s_piece_t;

#define S_PIECE(literal) ((s_piece_t){ literal, sizeof literal - 1 })

static s_piece_t
s_piece (const char *text)
{
    return (s_piece_t){ text, strlen (text) };
}

/* Writes "funnel-tracker:{p<partition>}:" into head (FUNNEL_KEYS_PREFIX_SIZE
   is room enough); returns its length. */
static size_t
s_head (char *head, uint32_t partition)
{
    static const char start[] = FUNNEL_KEYS_SERVICE ":{p";
    size_t length = sizeof start - 1;
    memcpy (head, start, length);
    length += sp_decimal_write (head + length, partition);
    head[length++] = '}';
    head[length++] = ':';
    return length;
}

/* Writes start (start_length bytes, whose first head bytes are the
   partition head) then the pieces into buffer with a NUL. Returns the
   length, or -1 with buffer "" when the part after the head reaches
   FUNNEL_KEYS_SIZE bytes or the whole does not fit in size. */
static int
s_write (char *buffer, size_t size, const char *start, size_t start_length, size_t head,
         const s_piece_t *pieces, size_t count)
{
    assert (buffer && size > 0 && start_length >= head);
    size_t length = start_length;
    for (size_t index = 0; index < count; index++)
        length += pieces[index].length;
    if (length - head >= FUNNEL_KEYS_SIZE || length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    memcpy (buffer, start, start_length);
    length = start_length;
    for (size_t index = 0; index < count; index++) {
        memcpy (buffer + length, pieces[index].text, pieces[index].length);
        length += pieces[index].length;
    }
    buffer[length] = '\0';
    return (int) length;
}

/* A key of partition: the head, then the pieces. */
static int
s_key (char *buffer, size_t size, uint32_t partition, const s_piece_t *pieces, size_t count)
{
    char head[FUNNEL_KEYS_PREFIX_SIZE];
    size_t length = s_head (head, partition);
    return s_write (buffer, size, head, length, length, pieces, count);
}

/* A key from prefix with its kind letter, then the pieces. */
static int
s_prefixed (char *buffer, size_t size, const funnel_keys_prefix_t *prefix, char letter,
            const s_piece_t *pieces, size_t count)
{
    assert (prefix);
    if (prefix->length == 0) {
        assert (buffer && size > 0);
        buffer[0] = '\0';
        return -1;
    }
    int length =
        s_write (buffer, size, prefix->text, prefix->length, prefix->letter, pieces, count);
    if (length > 0)
        buffer[prefix->letter] = letter;
    return length;
}

int
funnel_keys_scope (char *buffer, size_t size, funnel_scope_kind_t kind, const char *id)
{
    assert (buffer && size > 0);
    assert ((unsigned) kind < FUNNEL_SCOPE_KIND_COUNT);
    s_piece_t pieces[2] = { s_piece (s_scope_prefix[kind]), { "", 0 } };
    if (kind != FUNNEL_SCOPE_COMPANY) {
        if (!id || !*id) {
            buffer[0] = '\0';
            return -1;
        }
        pieces[1] = s_piece (id);
    }
    size_t length = pieces[0].length + pieces[1].length;
    if (length >= size) {
        buffer[0] = '\0';
        return -1;
    }
    memcpy (buffer, pieces[0].text, pieces[0].length);
    memcpy (buffer + pieces[0].length, pieces[1].text, pieces[1].length);
    buffer[length] = '\0';
    return (int) length;
}

int
funnel_keys_scope_parse (const char *text, funnel_scope_kind_t *kind, const char **id, char *error,
                         size_t error_size)
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
                sp_error_set (error, error_size, "invalid scope \"%s\": the %.*s id is empty",
                              quoted, (int) (prefix - 1), s_scope_prefix[candidate]);
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
funnel_keys_prefix (funnel_keys_prefix_t *prefix, uint32_t partition, const char *funnel,
                    const char *scope)
{
    assert (prefix && funnel && scope);
    size_t head = s_head (prefix->text, partition);
    size_t funnel_length = strlen (funnel), scope_length = strlen (scope);
    /* "?:" F ":" scope, which must leave room for a key's suffix */
    if (2 + funnel_length + 1 + scope_length >= FUNNEL_KEYS_SIZE) {
        prefix->length = 0;
        prefix->letter = 0;
        return -1;
    }
    char *end = prefix->text + head;
    *end++ = '?';
    *end++ = ':';
    memcpy (end, funnel, funnel_length);
    end += funnel_length;
    *end++ = ':';
    memcpy (end, scope, scope_length);
    end += scope_length;
    prefix->length = (size_t) (end - prefix->text);
    prefix->letter = head;
    return 0;
}

int
funnel_keys_prefix_month (char *buffer, size_t size, const funnel_keys_prefix_t *prefix,
                          const char *month)
{
    const s_piece_t pieces[] = { S_PIECE (":"), s_piece (month) };
    return s_prefixed (buffer, size, prefix, S_LETTER_MONTH, pieces, 2);
}

int
funnel_keys_prefix_distribution (char *buffer, size_t size, const funnel_keys_prefix_t *prefix,
                                 const char *month, funnel_distribution_t distribution, size_t step)
{
    char digits[SP_DECIMAL_MAX];
    s_piece_t pieces[S_PIECES_MAX] = { S_PIECE (":"), s_piece (month) };
    size_t count = 2;
    switch (distribution) {
        case FUNNEL_DISTRIBUTION_DURATION:
            assert (step >= 2);
            pieces[count++] = S_PIECE (":duration:");
            pieces[count++] = (s_piece_t){ digits, sp_decimal_write (digits, step) };
            break;
        case FUNNEL_DISTRIBUTION_CYCLE:
            pieces[count++] = S_PIECE (":cycle");
            break;
        case FUNNEL_DISTRIBUTION_AMOUNT:
        default:
            pieces[count++] = S_PIECE (":amount");
            break;
    }
    return s_prefixed (buffer, size, prefix, S_LETTER_DISTRIBUTION, pieces, count);
}

int
funnel_keys_prefix_open (char *buffer, size_t size, const funnel_keys_prefix_t *prefix)
{
    return s_prefixed (buffer, size, prefix, S_LETTER_OPEN, NULL, 0);
}

int
funnel_keys_prefix_day (char *buffer, size_t size, const funnel_keys_prefix_t *prefix,
                        const char *day)
{
    const s_piece_t pieces[] = { S_PIECE (":"), s_piece (day) };
    return s_prefixed (buffer, size, prefix, S_LETTER_DAY, pieces, 2);
}

/* Prepares the prefix of partition, funnel and scope for one key; on
   failure the key fails as it would have (buffer ""). */
static bool
s_prefix_for (funnel_keys_prefix_t *prefix, char *buffer, size_t size, uint32_t partition,
              const char *funnel, const char *scope)
{
    assert (buffer && size > 0);
    if (funnel_keys_prefix (prefix, partition, funnel, scope) == 0)
        return true;
    buffer[0] = '\0';
    return false;
}

int
funnel_keys_entity (char *buffer, size_t size, uint32_t partition, const char *funnel,
                    const char *entity)
{
    const s_piece_t pieces[] = { S_PIECE ("e:"), s_piece (funnel), S_PIECE (":"),
                                 s_piece (entity) };
    return s_key (buffer, size, partition, pieces, 4);
}

int
funnel_keys_month (char *buffer, size_t size, uint32_t partition, const char *funnel,
                   const char *scope, const char *month)
{
    funnel_keys_prefix_t prefix;
    if (!s_prefix_for (&prefix, buffer, size, partition, funnel, scope))
        return -1;
    return funnel_keys_prefix_month (buffer, size, &prefix, month);
}

int
funnel_keys_distribution (char *buffer, size_t size, uint32_t partition, const char *funnel,
                          const char *scope, const char *month, funnel_distribution_t distribution,
                          size_t step)
{
    funnel_keys_prefix_t prefix;
    if (!s_prefix_for (&prefix, buffer, size, partition, funnel, scope))
        return -1;
    return funnel_keys_prefix_distribution (buffer, size, &prefix, month, distribution, step);
}

int
funnel_keys_open (char *buffer, size_t size, uint32_t partition, const char *funnel,
                  const char *scope)
{
    funnel_keys_prefix_t prefix;
    if (!s_prefix_for (&prefix, buffer, size, partition, funnel, scope))
        return -1;
    return funnel_keys_prefix_open (buffer, size, &prefix);
}

int
funnel_keys_day (char *buffer, size_t size, uint32_t partition, const char *funnel,
                 const char *scope, const char *day)
{
    funnel_keys_prefix_t prefix;
    if (!s_prefix_for (&prefix, buffer, size, partition, funnel, scope))
        return -1;
    return funnel_keys_prefix_day (buffer, size, &prefix, day);
}

int
funnel_keys_months (char *buffer, size_t size, uint32_t partition, const char *funnel)
{
    const s_piece_t pieces[] = { S_PIECE ("months:"), s_piece (funnel) };
    return s_key (buffer, size, partition, pieces, 2);
}

int
funnel_keys_scopes (char *buffer, size_t size, uint32_t partition, const char *funnel)
{
    const s_piece_t pieces[] = { S_PIECE ("scopes:"), s_piece (funnel) };
    return s_key (buffer, size, partition, pieces, 2);
}

int
funnel_keys_clock (char *buffer, size_t size, uint32_t partition)
{
    const s_piece_t pieces[] = { S_PIECE ("clock") };
    return s_key (buffer, size, partition, pieces, 1);
}

int
funnel_keys_field (char *buffer, size_t size, const char *name, size_t step)
{
    assert (buffer && size >= FUNNEL_KEYS_FIELD_SIZE && name);
    size_t name_length = strlen (name);
    char digits[SP_DECIMAL_MAX];
    size_t digit_count = sp_decimal_write (digits, step);
    size_t length = name_length + 1 + digit_count;
    assert (length < size);
    memcpy (buffer, name, name_length);
    buffer[name_length] = ':';
    memcpy (buffer + name_length + 1, digits, digit_count);
    buffer[length] = '\0';
    return (int) length;
}
