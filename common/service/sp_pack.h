/*  sp_pack - the byte codec of the services' binary records (kpi-evaluator's
    opportunity, customer and plan records, churn-alerting's customer state
    and alert lifecycle, all stored in Redis): a writer that appends to a
    caller's buffer and a reader that walks a caller's bytes, integers
    little-endian, strings as one length byte and their bytes (no NUL).

    Neither ever fails mid-way: a writer that runs out of room sets full
    and writes nothing more, a reader that runs out of bytes (or meets a
    string too long for its target) sets bad and reads zeros from then on,
    so a record's pack or unpack is a straight list of calls with one
    check at the end. Each record keeps its own layout, kind byte and
    version; this is only the bytes. No I/O, no allocation.

    The two are small value types a caller keeps on its stack, so their
    fields are public: read used, full and bad; set them only through
    sp_pack_writer / sp_pack_reader and the calls below.
*/
#ifndef SP_PACK_H_INCLUDED
#define SP_PACK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Appends to a caller's buffer. */
typedef struct {
    unsigned char *data; /* the buffer, size bytes */
    size_t size;         /* its size */
    size_t used;         /* bytes written so far */
    bool full;           /* a write did not fit: nothing after it was written */
} sp_pack_writer_t;

/* Walks a caller's bytes. */
typedef struct {
    const unsigned char *data; /* the input, length bytes */
    size_t length;             /* its length */
    size_t used;               /* bytes read so far */
    bool bad;                  /* a read ran past the end or did not fit its target */
} sp_pack_reader_t;

/* A writer over buffer (size bytes; buffer may be NULL when size is 0),
   a reader over data (length bytes; NULL when length is 0). */
sp_pack_writer_t sp_pack_writer (void *buffer, size_t size);
sp_pack_reader_t sp_pack_reader (const void *data, size_t length);

/* Appends length bytes, one byte, value as width (1 to 8) bytes
   little-endian, an int64 as 8 bytes little-endian. */
void sp_pack_put (sp_pack_writer_t *writer, const void *bytes, size_t length);
void sp_pack_put_u8 (sp_pack_writer_t *writer, uint8_t value);
void sp_pack_put_uint (sp_pack_writer_t *writer, uint64_t value, size_t width);
void sp_pack_put_i64 (sp_pack_writer_t *writer, int64_t value);

/* Appends text as one length byte and its bytes; its length must be
   below size (the room of the field it comes from, with the NUL) and
   256 (asserted). */
void sp_pack_put_string (sp_pack_writer_t *writer, const char *text, size_t size);

/* What was written: used, or 0 when the buffer was too small. */
size_t sp_pack_written (const sp_pack_writer_t *writer);

/* Reads one byte, width (1 to 8) bytes little-endian, an int64 of 8 bytes
   little-endian; 0 once the reader is bad. */
uint8_t sp_pack_get_u8 (sp_pack_reader_t *reader);
uint64_t sp_pack_get_uint (sp_pack_reader_t *reader, size_t width);
int64_t sp_pack_get_i64 (sp_pack_reader_t *reader);

/* Copies length bytes into target; false (and bad) when fewer remain,
   target untouched. */
bool sp_pack_get_bytes (sp_pack_reader_t *reader, void *target, size_t length);

/* Reads a string written by sp_pack_put_string into text (size bytes
   with the NUL); a length of size or more, or too few bytes, makes the
   reader bad and text empty. */
void sp_pack_get_string (sp_pack_reader_t *reader, char *text, size_t size);

/* True when the reader read all its input and nothing went wrong. */
bool sp_pack_done (const sp_pack_reader_t *reader);

#endif
