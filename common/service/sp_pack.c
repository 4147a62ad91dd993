/*  sp_pack - the byte codec of the binary records (see sp_pack.h). */
#include "sp_pack.h"

#include <assert.h>
#include <string.h>

#define S_BYTE_BITS 8
#define S_INT64_BYTES 8
#define S_STRING_MAX UINT8_MAX /* a string's length fits its one length byte */

sp_pack_writer_t
sp_pack_writer (void *buffer, size_t size)
{
    assert (buffer || size == 0);
    return (sp_pack_writer_t){ buffer, size, 0, false };
}

sp_pack_reader_t
sp_pack_reader (const void *data, size_t length)
{
    assert (data || length == 0);
    return (sp_pack_reader_t){ data, length, 0, false };
}

void
sp_pack_put (sp_pack_writer_t *writer, const void *bytes, size_t length)
{
    assert (writer && (bytes || length == 0));
    if (writer->full || writer->size - writer->used < length) {
        writer->full = true;
        return;
    }
    if (length > 0)
        memcpy (writer->data + writer->used, bytes, length);
    writer->used += length;
}

void
sp_pack_put_u8 (sp_pack_writer_t *writer, uint8_t value)
{
    sp_pack_put (writer, &value, 1);
}

void
sp_pack_put_uint (sp_pack_writer_t *writer, uint64_t value, size_t width)
{
    unsigned char bytes[S_INT64_BYTES];
    assert (width >= 1 && width <= sizeof bytes);
    for (size_t index = 0; index < width; index++)
        bytes[index] = (unsigned char) (value >> (S_BYTE_BITS * index));
    sp_pack_put (writer, bytes, width);
}

void
sp_pack_put_i64 (sp_pack_writer_t *writer, int64_t value)
{
    sp_pack_put_uint (writer, (uint64_t) value, S_INT64_BYTES);
}

void
sp_pack_put_string (sp_pack_writer_t *writer, const char *text, size_t size)
{
    assert (text);
    size_t length = strlen (text);
    assert (length < size && length <= S_STRING_MAX);
    sp_pack_put_u8 (writer, (uint8_t) length);
    sp_pack_put (writer, text, length);
}

size_t
sp_pack_written (const sp_pack_writer_t *writer)
{
    assert (writer);
    return writer->full ? 0 : writer->used;
}

/* The next length bytes, or NULL (and bad) when fewer remain. */
static const unsigned char *
s_take (sp_pack_reader_t *reader, size_t length)
{
    assert (reader);
    if (reader->bad || reader->length - reader->used < length) {
        reader->bad = true;
        return NULL;
    }
    const unsigned char *bytes = reader->data + reader->used;
    reader->used += length;
    return bytes;
}

uint8_t
sp_pack_get_u8 (sp_pack_reader_t *reader)
{
    const unsigned char *byte = s_take (reader, 1);
    return byte ? *byte : 0;
}

uint64_t
sp_pack_get_uint (sp_pack_reader_t *reader, size_t width)
{
    assert (width >= 1 && width <= S_INT64_BYTES);
    const unsigned char *bytes = s_take (reader, width);
    if (!bytes)
        return 0;
    uint64_t value = 0;
    for (size_t index = 0; index < width; index++)
        value |= (uint64_t) bytes[index] << (S_BYTE_BITS * index);
    return value;
}

int64_t
sp_pack_get_i64 (sp_pack_reader_t *reader)
{
    return (int64_t) sp_pack_get_uint (reader, S_INT64_BYTES);
}

bool
sp_pack_get_bytes (sp_pack_reader_t *reader, void *target, size_t length)
{
    assert (reader && (target || length == 0));
    if (reader->bad || reader->length - reader->used < length) {
        reader->bad = true;
        return false;
    }
    if (length > 0)
        memcpy (target, reader->data + reader->used, length);
    reader->used += length;
    return true;
}

void
sp_pack_get_string (sp_pack_reader_t *reader, char *text, size_t size)
{
    assert (text && size > 0);
    uint8_t length = sp_pack_get_u8 (reader);
    const unsigned char *bytes = length < size ? s_take (reader, length) : NULL;
    if (!bytes) {
        reader->bad = true;
        text[0] = '\0';
        return;
    }
    memcpy (text, bytes, length);
    text[length] = '\0';
}

bool
sp_pack_done (const sp_pack_reader_t *reader)
{
    assert (reader);
    return !reader->bad && reader->used == reader->length;
}
