/*  sp_json_read - reading reference data documents (funnels, org charts,
    targets, scorecards, customers, plans) from JSON with errors that name
    the JSON path and the reason:

        field "targets[3].floor": expected a string, got an integer

    A reader is the caller's error buffer; each read returns 0, or -1 after
    writing the one message, so the first error found is the one reported.
    Paths are built by the caller with sp_json_path / sp_json_path_index
    ("steps[1].name"). Pure: no I/O, no global state.
*/
#ifndef SP_JSON_READ_H_INCLUDED
#define SP_JSON_READ_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a JSON path in a message, such as "targets[15].spread.weights[11]". */
#define SP_JSON_PATH_SIZE 128

/* Basis points in 1: a fraction 0.25 reads as 2500. */
#define SP_JSON_BASIS_POINTS 10000

/* Room for a basis-point value written as a decimal ("-922337203685477.5808"). */
#define SP_JSON_NUMBER_SIZE 32

/* Where errors go while reading. */
typedef struct {
    char *error;       /* caller's buffer */
    size_t error_size; /* its size */
} sp_json_reader_t;

/* Writes `field "path": reason` into the reader's buffer and returns -1. */
int sp_json_fail (sp_json_reader_t *reader, const char *path, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Parses text (length bytes) with duplicate keys refused; the root must
   be an object. Returns it (the caller json_decref's it), or NULL with
   "invalid JSON at line L column C: ..." or "<what> must be a JSON
   object, got ..." in error. what names the document ("a funnel
   definition"). */
json_t *sp_json_load_object (const char *text, size_t length, const char *what, char *error,
                             size_t error_size);

/* How a JSON value is called in a message: "an object", "a string", ... */
const char *sp_json_kind (const json_t *value);

/* Joins a parent path and a key ("steps[1]" + "name" = "steps[1].name");
   and a parent path and an index ("steps" + 1 = "steps[1]"). A path too
   long for the buffer is cut, which is fine in a message that only has to
   point at the value. */
void sp_json_path (char *buffer, size_t size, const char *parent, const char *key);
void sp_json_path_index (char *buffer, size_t size, const char *parent, size_t index);

/* A string value quoted for a message (control characters escaped, cut
   to fit buffer). */
const char *sp_json_quote (const json_t *value, char *buffer, size_t size);

/* Refuses the first key of object that allowed (NULL-terminated) does not
   list, as `field "parent.key": unknown field`. */
int sp_json_check_keys (sp_json_reader_t *reader, const json_t *object, const char *parent,
                        const char *const *allowed);

/* A required object / array (value NULL: "required"). */
int sp_json_read_object (sp_json_reader_t *reader, const json_t *value, const char *path);
int sp_json_read_array (sp_json_reader_t *reader, const json_t *value, const char *path);

/* A required string member into *text (borrowed from value). */
int sp_json_read_string (sp_json_reader_t *reader, const json_t *value, const char *path,
                         const char **text);

/* A required string of 1..max bytes with no control character
   (U+0000..U+001F, U+007F..U+009F) into *text (borrowed from value): the
   rule of ids in reference data. Fails with `must not be empty` /
   `longer than <max> bytes` / `control character U+XXXX at byte
   <offset>` (the character is named, not quoted, to keep it out of
   logs); *text is untouched then. */
int sp_json_read_text (sp_json_reader_t *reader, const json_t *value, const char *path, size_t max,
                       const char **text);

/* A required name of 1..max characters of a-z, 0-9, "_" and "-" copied
   into name (max + 1 bytes at least). */
int sp_json_read_name (sp_json_reader_t *reader, const json_t *value, const char *path, char *name,
                       size_t max);

/* A required string that must be one of names[0..count - 1] (entries ""
   are never chosen); *choice becomes its index. what names the kind of
   value and allowed lists the choices, for the message. */
int sp_json_read_choice (sp_json_reader_t *reader, const json_t *value, const char *path,
                         const char *what, const char *allowed, const char *const *names,
                         size_t count, int *choice);

/* A required integer in min..max. */
int sp_json_read_integer (sp_json_reader_t *reader, const json_t *value, const char *path,
                          json_int_t min, json_int_t max, json_int_t *number);

/* A required fraction: a JSON number 0..1 with at most four decimals,
   into basis points (0.25 -> 2500); sp_json_read_basis_points from 0 to
   SP_JSON_BASIS_POINTS, with the example 0.25. */
int sp_json_read_fraction (sp_json_reader_t *reader, const json_t *value, const char *path,
                           uint32_t *bp);

/* A required number min_bp..max_bp (basis points, min_bp <= max_bp) with
   at most four decimals, into basis points (a cap of 1.5 -> 15000).
   Fails with `<got> is not in <min>..<max>` (bounds as decimals: "1..10"),
   `<got> has more than 4 decimals` or `expected a number from <min> to
   <max> such as <example>, got ...`, the example half a unit above
   min_bp (1.5 for 1..10), or the middle of a narrower range. */
int sp_json_read_basis_points (sp_json_reader_t *reader, const json_t *value, const char *path,
                               uint32_t min_bp, uint32_t max_bp, uint32_t *bp);

/* A basis-point value as a decimal without trailing zeros, for messages
   (15000 -> "1.5", -2500 -> "-0.25"); returns buffer (SP_JSON_NUMBER_SIZE
   bytes fit every value). */
const char *sp_json_basis_points_text (int64_t bp, char *buffer, size_t size);

/* An optional boolean: *flag is left as it is when value is NULL. */
int sp_json_read_bool (sp_json_reader_t *reader, const json_t *value, const char *path, bool *flag);

#endif
