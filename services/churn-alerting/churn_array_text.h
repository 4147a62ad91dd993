/*  churn_array_text - a PostgreSQL array literal built in memory, so a
    batch of customers travels in one parameter ($1::text[]) rather than
    one statement each (churn_alert_store's batched read and write).

    Elements are added in order: quoted (any text: wrapped in double
    quotes, '"' and '\' escaped with a backslash, so commas, braces,
    spaces and the word NULL stay text) or bare (digits, hex: the caller
    vouches they need no quoting). churn_array_text_finish closes the
    literal and hands it over. Memory grows as needed; a failed growth
    marks the text failed and later calls do nothing. Pure: no I/O.
*/
#ifndef CHURN_ARRAY_TEXT_H_INCLUDED
#define CHURN_ARRAY_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* An array literal being built: zero-initialise, then add. */
typedef struct {
    char *text;      /* owned: "{a,b" so far, NUL-terminated; NULL before the first add */
    size_t length;   /* bytes used, without the NUL */
    size_t capacity; /* bytes allocated */
    size_t count;    /* elements added */
    bool failed;     /* memory ran out: the text is unusable */
} churn_array_text_t;

/* Adds value as a quoted element. */
void churn_array_text_add_quoted (churn_array_text_t *self, const char *value);

/* Adds value as it is (it must need no quoting: digits, hex, a name). */
void churn_array_text_add_bare (churn_array_text_t *self, const char *value);

/* Adds an int64 in decimal. */
void churn_array_text_add_int64 (churn_array_text_t *self, int64_t value);

/* Closes the literal ("{}" when empty) and returns it (the caller frees),
   leaving self empty; NULL when memory ran out (self freed and empty). */
char *churn_array_text_finish (churn_array_text_t *self);

/* Frees what self holds and empties it (after a failure elsewhere). */
void churn_array_text_reset (churn_array_text_t *self);

#endif
