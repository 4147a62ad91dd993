/*  churn_array_text - a PostgreSQL array literal (see churn_array_text.h). */
#include "churn_array_text.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_array.h"

/* Bytes allocated at the first add. */
#define S_INITIAL 256

/* Room for an int64 in decimal with its sign and NUL. */
#define S_NUMBER_SIZE 24

/* Makes room for more bytes and the NUL; false when memory ran out. */
static bool
s_reserve (churn_array_text_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (self->length + more + 1 <= self->capacity)
        return true;
    if (sp_array_reserve ((void **) &self->text, &self->capacity, self->length + more + 1, 1,
                          S_INITIAL) != 0) {
        self->failed = true;
        return false;
    }
    return true;
}

/* Appends the opening brace or the separator before a new element. */
static bool
s_separate (churn_array_text_t *self)
{
    if (!s_reserve (self, 1))
        return false;
    self->text[self->length++] = self->count ? ',' : '{';
    self->text[self->length] = '\0';
    self->count++;
    return true;
}

void
churn_array_text_add_quoted (churn_array_text_t *self, const char *value)
{
    assert (self && value);
    size_t length = strlen (value);
    /* worst case: every byte escaped, and the two quotes */
    if (!s_separate (self) || !s_reserve (self, 2 * length + 2))
        return;
    self->text[self->length++] = '"';
    for (size_t index = 0; index < length; index++) {
        if (value[index] == '"' || value[index] == '\\')
            self->text[self->length++] = '\\';
        self->text[self->length++] = value[index];
    }
    self->text[self->length++] = '"';
    self->text[self->length] = '\0';
}

void
churn_array_text_add_bare (churn_array_text_t *self, const char *value)
{
    assert (self && value && *value);
    size_t length = strlen (value);
    if (!s_separate (self) || !s_reserve (self, length))
        return;
    memcpy (self->text + self->length, value, length + 1);
    self->length += length;
}

void
churn_array_text_add_int64 (churn_array_text_t *self, int64_t value)
{
    char number[S_NUMBER_SIZE];
    snprintf (number, sizeof number, "%" PRId64, value);
    churn_array_text_add_bare (self, number);
}

char *
churn_array_text_finish (churn_array_text_t *self)
{
    assert (self);
    if (self->count == 0 && s_reserve (self, 1))
        self->text[self->length++] = '{';
    if (!s_reserve (self, 1)) {
        churn_array_text_reset (self);
        return NULL;
    }
    self->text[self->length++] = '}';
    self->text[self->length] = '\0';
    char *text = self->text;
    memset (self, 0, sizeof *self);
    return text;
}

void
churn_array_text_reset (churn_array_text_t *self)
{
    assert (self);
    free (self->text);
    memset (self, 0, sizeof *self);
}
