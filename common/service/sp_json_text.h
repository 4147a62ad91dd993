/*  sp_json_text - writing a large JSON document straight to text, for the
    documents too big to build as a jansson tree first (a commission
    statement of 10,000 deals has 20,000 lines of about twenty members:
    building, dumping and freeing the tree cost 86 % of the statement's
    time, docs/performance.md).

        sp_json_text_t out = sp_json_text_new ();
        sp_json_text_open (&out, '{');
        sp_json_text_key (&out, "rep_id");
        sp_json_text_string (&out, "rep-ana");
        sp_json_text_key (&out, "lines");
        sp_json_text_open (&out, '[');
        ...
        sp_json_text_close (&out, ']');
        sp_json_text_close (&out, '}');
        char *text = sp_json_text_finish (&out);   // NULL when memory ran out

    The output is jansson's JSON_COMPACT form byte for byte (no spaces;
    strings escaped as json_dumps does without JSON_ENSURE_ASCII: '"',
    '\\', \b \f \n \r \t and other bytes below 0x20 as \u00XX; UTF-8 kept
    as it is), so a document written here and one dumped by jansson are
    the same bytes. Commas are placed by the writer. The caller keeps the
    structure well formed (a key before each member's value, opens and
    closes paired); strings must be valid UTF-8. A failed allocation
    makes every later call a no-op and finish return NULL. No I/O.
*/
#ifndef SP_JSON_TEXT_H_INCLUDED
#define SP_JSON_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A document being written; a small value the caller keeps. */
typedef struct {
    char *data;      /* the text so far, NUL-terminated once finished */
    size_t length;   /* bytes written */
    size_t capacity; /* bytes allocated */
    bool comma;      /* the next value or key needs a comma first */
    bool failed;     /* memory ran out: nothing more is written */
} sp_json_text_t;

/* An empty document. */
sp_json_text_t sp_json_text_new (void);

/* Opens or closes an object ('{', '}') or an array ('[', ']'). */
void sp_json_text_open (sp_json_text_t *self, char bracket);
void sp_json_text_close (sp_json_text_t *self, char bracket);

/* The key of the next member of an object. */
void sp_json_text_key (sp_json_text_t *self, const char *key);

/* sp_json_text_key of a key of length bytes the caller knows needs no
   escaping (letters, digits, '_': the keys of a document's own format),
   written as it is. */
void sp_json_text_key_plain (sp_json_text_t *self, const char *key, size_t length);

/* Values: a string, an integer, true/false, null, or text already JSON. */
void sp_json_text_string (sp_json_text_t *self, const char *value);
void sp_json_text_integer (sp_json_text_t *self, int64_t value);
void sp_json_text_bool (sp_json_text_t *self, bool value);
void sp_json_text_null (sp_json_text_t *self);
void sp_json_text_raw (sp_json_text_t *self, const char *json);

/* Members already JSON ("\"a\":1,\"b\":true") of the object being
   written, after those before them. */
void sp_json_text_members (sp_json_text_t *self, const char *members);

/* Makes room for bytes more of text at once (a writer that knows about
   how long its document is saves the regrowths on the way). */
void sp_json_text_reserve (sp_json_text_t *self, size_t bytes);

/* Empties the text written so far, keeping its room and the writer's
   place (whether a comma comes next): a writer streaming a long document
   hands on self->data's self->length bytes (none when self->failed),
   then clears it and writes on. */
void sp_json_text_clear (sp_json_text_t *self);

/* The text (malloc'd, the caller frees), or NULL when memory ran out;
   self is emptied either way. */
char *sp_json_text_finish (sp_json_text_t *self);

/* Frees what was written without taking it. */
void sp_json_text_discard (sp_json_text_t *self);

#endif
