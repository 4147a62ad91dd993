/*  churn_customer - a customer's bounded state (see churn_customer.h and
    docs/health-model.md, "Customer state").

    Each day-keyed list is sorted by day ascending and keeps the most
    recent days: inserting a new day into a full list drops the oldest
    one, and a day older than every kept day of a full list is dropped.
    A day once dropped can never come back (the kept minimum only grows),
    so the kept days are the latest of all days seen, each with every one
    of its events: the state depends on the set of events, not their
    order.

    The owner is the one of the latest event naming one, by occurred_at,
    ties broken by the larger (rep_id, team_id, region_id): a maximum over
    what the events carry, so it depends neither on their order nor on
    their ids (two customers with the same events under other ids have
    the same bytes, as they do without an owner).

    Binary form, version 3: every integer a varint (LEB128: 7 bits a byte,
    low first, the high bit set on every byte but the last, in as few
    bytes as the value needs; every integer of the state is >= 0), a day
    of a list the difference from the day before it (the first: the day
    itself; a list's days strictly increase, so a difference is >= 1):
        'H' 3 flags                       flags: 1 first_day, 2 first_engagement_day,
                                                 4 owner
        [first_day] [first_engagement_day]
        money count, then per day: day orders ordered returns returned
                                   payments paid
        engagement count, per day: day visits calls demos
        complaint count, per day: day low medium high critical
        answer count, per answer: occurred_at day, then survey 1 byte,
                                  score 1 byte, id length 1 byte, id bytes
        [owner: occurred_at, then rep_id, team_id and region_id each as
                length 1 byte, bytes]
    A benchmark customer (20 money days, 20 engagement days, 4 surveys)
    takes 500-odd bytes, against 1,483 in version 2, which wrote integers
    little-endian at fixed widths (days and sums 8 bytes, counts 4);
    version 1 had no owner. Unpacking checks every invariant the state
    keeps and reads this version only (a varint in more bytes than its
    value needs is refused too: one state, one form): churn-alerting
    rebuilds a state of another layout (CHURN_KEYS_FORMAT).
*/
#include "churn_customer.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_event.h"

#define S_KIND 'H'
#define S_VERSION 3
#define S_FLAG_FIRST_DAY 1
#define S_FLAG_FIRST_ENGAGEMENT 2
#define S_FLAG_OWNER 4
#define S_FLAGS_ALL (S_FLAG_FIRST_DAY | S_FLAG_FIRST_ENGAGEMENT | S_FLAG_OWNER)
#define S_VARINT_BITS 7     /* value bits a varint byte holds */
#define S_VARINT_MORE 0x80u /* set on every byte of a varint but its last */

struct _churn_customer_t {
    bool has_first_day;           /* any event applied */
    int64_t first_day;            /* earliest day of any event */
    bool has_first_engagement;    /* any visit, call or demo applied */
    int64_t first_engagement_day; /* earliest day of one */
    size_t money_count;           /* money days kept */
    size_t engagement_count;      /* engagement days kept */
    size_t complaint_count;       /* complaint days kept */
    size_t answer_count;          /* surveys kept */
    bool has_owner;               /* an event applied named a rep, team or region */
    churn_customer_owner_t owner; /* the latest of them, when has_owner */
    churn_customer_money_t money[CHURN_CUSTOMER_MONEY_DAYS_MAX];                /* day ascending */
    churn_customer_engagement_t engagement[CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX]; /* day ascending */
    churn_customer_complaint_t complaints[CHURN_CUSTOMER_COMPLAINT_DAYS_MAX];   /* day ascending */
    churn_customer_answer_t answers[CHURN_CUSTOMER_SURVEYS_MAX];                /* latest first */
};

_Static_assert(CHURN_CUSTOMER_MONEY_DAYS_MAX < (1 << 14), "a money count fits 2 varint bytes");
_Static_assert(CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX < (1 << 14), "an engagement count fits 2 bytes");
_Static_assert(CHURN_CUSTOMER_COMPLAINT_DAYS_MAX < (1 << 7), "a complaint count fits 1 byte");
_Static_assert(CHURN_CUSTOMER_SURVEYS_MAX < (1 << 7), "an answer count fits 1 byte");
_Static_assert(CHURN_CUSTOMER_EVENT_ID_MAX <= UINT8_MAX, "an id length fits 1 byte");
_Static_assert(CHURN_CUSTOMER_OWNER_MAX <= UINT8_MAX, "an owner id length fits 1 byte");
_Static_assert(CHURN_MODEL_SEVERITY_COUNT == 4, "the binary form has four severities");

/* The fields before the lists: they and the lists' entries in use are
   the whole state (entries past a list's count are never read: a new one
   is zeroed when added). */
#define S_HEAD_SIZE offsetof (churn_customer_t, money)

churn_customer_t *
churn_customer_new (void)
{
    /* the head only: the 25 KB of room is never read before it is written
       (a new state is made for every customer a run or a scoring reads) */
    churn_customer_t *self = (churn_customer_t *) malloc (sizeof (churn_customer_t));
    if (self)
        memset (self, 0, S_HEAD_SIZE);
    return self;
}

void
churn_customer_destroy (churn_customer_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

/* ---------------------------------------------------------------- applying */

static uint32_t
s_add_count (uint32_t count)
{
    return count == UINT32_MAX ? count : count + 1;
}

/* sum + amount, both >= 0, saturating at INT64_MAX. */
static int64_t
s_add_amount (int64_t sum, int64_t amount)
{
    assert (sum >= 0 && amount >= 0);
    return sum > INT64_MAX - amount ? INT64_MAX : sum + amount;
}

/* The entry of day in a day-ascending list of *count entries of size bytes
   (at most max), each starting with its int64_t day: the existing one, a
   new zeroed one with its day set (the oldest dropped when the list is
   full), or NULL when the list is full and day is older than all kept. */
static void *
s_day_entry (void *entries, size_t *count, size_t max, size_t size, int64_t day)
{
    char *bytes = (char *) entries;
    size_t index = 0;
    int64_t kept = 0;
    while (index < *count) {
        memcpy (&kept, bytes + index * size, sizeof kept);
        if (kept >= day)
            break;
        index++;
    }
    if (index < *count && kept == day)
        return bytes + index * size;
    if (*count == max) {
        if (index == 0)
            return NULL; /* older than every kept day */
        /* drop the oldest: the days before index move down one, which
           frees index - 1 */
        memmove (bytes, bytes + size, (index - 1) * size);
        index--;
    }
    else {
        memmove (bytes + (index + 1) * size, bytes + index * size, (*count - index) * size);
        (*count)++;
    }
    memset (bytes + index * size, 0, size);
    memcpy (bytes + index * size, &day, sizeof day);
    return bytes + index * size;
}

/* True for a valid event id: 1..128 bytes of A-Z a-z 0-9 . _ : - */
static bool
s_event_id_valid (const char *id, size_t length)
{
    if (length == 0 || length > CHURN_CUSTOMER_EVENT_ID_MAX)
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = id[index];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* True for a survey score on its scale. */
static bool
s_survey_valid (churn_customer_survey_t survey, int score)
{
    if (survey == CHURN_CUSTOMER_SURVEY_NPS)
        return score >= 0 && score <= CHURN_MODEL_NPS_MAX;
    if (survey == CHURN_CUSTOMER_SURVEY_CSAT)
        return score >= CHURN_MODEL_CSAT_MIN && score <= CHURN_MODEL_CSAT_MAX;
    return false;
}

/* True for an owner id: NULL, or 0..64 bytes of UTF-8. */
static bool
s_owner_id_valid (const char *id)
{
    if (!id)
        return true;
    size_t length = strnlen (id, CHURN_CUSTOMER_OWNER_MAX + 1);
    return length <= CHURN_CUSTOMER_OWNER_MAX && sp_event_utf8_valid (id, length);
}

static bool
s_set (const char *text)
{
    return text && *text;
}

/* True when event names a rep, team or region. */
static bool
s_names_owner (const churn_customer_event_t *event)
{
    return s_set (event->rep_id) || s_set (event->team_id) || s_set (event->region_id);
}

static bool
s_time_valid (int64_t at)
{
    return at >= 1 && at <= CHURN_CUSTOMER_TIME_MAX;
}

/* True for an event churn_customer_apply takes. */
static bool
s_event_valid (const churn_customer_event_t *event)
{
    if (event->day < 0 || event->day > CHURN_CUSTOMER_DAY_MAX)
        return false;
    if (!s_owner_id_valid (event->rep_id) || !s_owner_id_valid (event->team_id) ||
        !s_owner_id_valid (event->region_id))
        return false;
    if (s_names_owner (event) && !s_time_valid (event->occurred_at))
        return false;
    switch (event->type) {
        case CHURN_CUSTOMER_ORDER:
            return event->amount_minor >= -CHURN_CUSTOMER_AMOUNT_MAX &&
                   event->amount_minor <= CHURN_CUSTOMER_AMOUNT_MAX;
        case CHURN_CUSTOMER_PAYMENT:
            return event->amount_minor >= 0 && event->amount_minor <= CHURN_CUSTOMER_AMOUNT_MAX;
        case CHURN_CUSTOMER_VISIT:
        case CHURN_CUSTOMER_CALL:
        case CHURN_CUSTOMER_DEMO:
            return true;
        case CHURN_CUSTOMER_COMPLAINT:
            return (unsigned) event->severity < CHURN_MODEL_SEVERITY_COUNT;
        case CHURN_CUSTOMER_SURVEY:
            return s_time_valid (event->occurred_at) &&
                   s_survey_valid (event->survey, event->survey_score) && event->event_id &&
                   s_event_id_valid (event->event_id,
                                     strnlen (event->event_id, CHURN_CUSTOMER_EVENT_ID_MAX + 1));
    }
    return false;
}

/* Negative when answer (at, id) is later than other: the list's order. */
static int
s_answer_order (int64_t at, const char *id, const churn_customer_answer_t *other)
{
    if (at != other->occurred_at)
        return at > other->occurred_at ? -1 : 1;
    int compare = strcmp (id, other->event_id);
    return compare > 0 ? -1 : compare < 0 ? 1 : 0;
}

static const char *
s_text (const char *text)
{
    return text ? text : "";
}

/* Positive when event's owner comes after the kept one: a later time, or
   the same time and a larger (rep_id, team_id, region_id); 0 when the
   same. */
static int
s_owner_order (const churn_customer_event_t *event, const churn_customer_owner_t *kept)
{
    if (event->occurred_at != kept->occurred_at)
        return event->occurred_at > kept->occurred_at ? 1 : -1;
    int compare = strcmp (s_text (event->rep_id), kept->rep_id);
    if (compare == 0)
        compare = strcmp (s_text (event->team_id), kept->team_id);
    if (compare == 0)
        compare = strcmp (s_text (event->region_id), kept->region_id);
    return compare;
}

/* Takes the event's owner when it names one and comes after the kept
   one. */
static void
s_apply_owner (churn_customer_t *self, const churn_customer_event_t *event)
{
    if (!s_names_owner (event))
        return;
    if (self->has_owner && s_owner_order (event, &self->owner) <= 0)
        return; /* an older one, or the same owner */
    churn_customer_owner_t *owner = &self->owner;
    memset (owner, 0, sizeof *owner);
    owner->occurred_at = event->occurred_at;
    snprintf (owner->rep_id, sizeof owner->rep_id, "%s", s_text (event->rep_id));
    snprintf (owner->team_id, sizeof owner->team_id, "%s", s_text (event->team_id));
    snprintf (owner->region_id, sizeof owner->region_id, "%s", s_text (event->region_id));
    self->has_owner = true;
}

/* Keeps the survey among the latest CHURN_CUSTOMER_SURVEYS_MAX. */
static void
s_apply_survey (churn_customer_t *self, const churn_customer_event_t *event)
{
    size_t index = 0;
    int order = 1;
    while (index < self->answer_count &&
           (order = s_answer_order (event->occurred_at, event->event_id, &self->answers[index])) >
               0)
        index++;
    if (index < self->answer_count && order == 0)
        return; /* the same answer again */
    if (index == CHURN_CUSTOMER_SURVEYS_MAX)
        return; /* older than every kept one */
    if (self->answer_count == CHURN_CUSTOMER_SURVEYS_MAX)
        self->answer_count--;
    memmove (&self->answers[index + 1], &self->answers[index],
             (self->answer_count - index) * sizeof self->answers[0]);
    churn_customer_answer_t *answer = &self->answers[index];
    memset (answer, 0, sizeof *answer);
    answer->occurred_at = event->occurred_at;
    answer->day = event->day;
    answer->survey = event->survey;
    answer->score = event->survey_score;
    memcpy (answer->event_id, event->event_id, strlen (event->event_id));
    self->answer_count++;
}

static void
s_apply_money (churn_customer_t *self, const churn_customer_event_t *event)
{
    churn_customer_money_t *day = (churn_customer_money_t *) s_day_entry (
        self->money, &self->money_count, CHURN_CUSTOMER_MONEY_DAYS_MAX, sizeof self->money[0],
        event->day);
    if (!day)
        return;
    int64_t amount = event->reporting_currency ? event->amount_minor : 0;
    if (event->type == CHURN_CUSTOMER_PAYMENT) {
        day->payments = s_add_count (day->payments);
        day->paid_minor = s_add_amount (day->paid_minor, amount);
    }
    else if (event->amount_minor >= 0) {
        day->orders = s_add_count (day->orders);
        day->ordered_minor = s_add_amount (day->ordered_minor, amount);
    }
    else {
        day->returns = s_add_count (day->returns);
        day->returned_minor = s_add_amount (day->returned_minor, -amount);
    }
}

static void
s_apply_engagement (churn_customer_t *self, const churn_customer_event_t *event)
{
    if (!self->has_first_engagement || event->day < self->first_engagement_day)
        self->first_engagement_day = event->day;
    self->has_first_engagement = true;
    churn_customer_engagement_t *day = (churn_customer_engagement_t *) s_day_entry (
        self->engagement, &self->engagement_count, CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX,
        sizeof self->engagement[0], event->day);
    if (!day)
        return;
    if (event->type == CHURN_CUSTOMER_VISIT)
        day->visits = s_add_count (day->visits);
    else if (event->type == CHURN_CUSTOMER_CALL)
        day->calls = s_add_count (day->calls);
    else
        day->demos = s_add_count (day->demos);
}

static void
s_apply_complaint (churn_customer_t *self, const churn_customer_event_t *event)
{
    churn_customer_complaint_t *day = (churn_customer_complaint_t *) s_day_entry (
        self->complaints, &self->complaint_count, CHURN_CUSTOMER_COMPLAINT_DAYS_MAX,
        sizeof self->complaints[0], event->day);
    if (day)
        day->counts[event->severity] = s_add_count (day->counts[event->severity]);
}

int
churn_customer_apply (churn_customer_t *self, const churn_customer_event_t *event)
{
    assert (self && event);
    if (!s_event_valid (event))
        return -1;
    if (!self->has_first_day || event->day < self->first_day)
        self->first_day = event->day;
    self->has_first_day = true;
    switch (event->type) {
        case CHURN_CUSTOMER_ORDER:
        case CHURN_CUSTOMER_PAYMENT:
            s_apply_money (self, event);
            break;
        case CHURN_CUSTOMER_VISIT:
        case CHURN_CUSTOMER_CALL:
        case CHURN_CUSTOMER_DEMO:
            s_apply_engagement (self, event);
            break;
        case CHURN_CUSTOMER_COMPLAINT:
            s_apply_complaint (self, event);
            break;
        case CHURN_CUSTOMER_SURVEY:
            s_apply_survey (self, event);
            break;
    }
    s_apply_owner (self, event);
    return 0;
}

/* ---------------------------------------------------------------- reading */

bool
churn_customer_first_day (const churn_customer_t *self, int64_t *day)
{
    assert (self && day);
    if (self->has_first_day)
        *day = self->first_day;
    return self->has_first_day;
}

bool
churn_customer_first_engagement_day (const churn_customer_t *self, int64_t *day)
{
    assert (self && day);
    if (self->has_first_engagement)
        *day = self->first_engagement_day;
    return self->has_first_engagement;
}

const churn_customer_owner_t *
churn_customer_owner (const churn_customer_t *self)
{
    assert (self);
    return self->has_owner ? &self->owner : NULL;
}

size_t
churn_customer_money_count (const churn_customer_t *self)
{
    assert (self);
    return self->money_count;
}

const churn_customer_money_t *
churn_customer_money (const churn_customer_t *self, size_t index)
{
    assert (self && index < self->money_count);
    return &self->money[index];
}

size_t
churn_customer_engagement_count (const churn_customer_t *self)
{
    assert (self);
    return self->engagement_count;
}

const churn_customer_engagement_t *
churn_customer_engagement (const churn_customer_t *self, size_t index)
{
    assert (self && index < self->engagement_count);
    return &self->engagement[index];
}

size_t
churn_customer_complaint_count (const churn_customer_t *self)
{
    assert (self);
    return self->complaint_count;
}

const churn_customer_complaint_t *
churn_customer_complaint (const churn_customer_t *self, size_t index)
{
    assert (self && index < self->complaint_count);
    return &self->complaints[index];
}

size_t
churn_customer_answer_count (const churn_customer_t *self)
{
    assert (self);
    return self->answer_count;
}

const churn_customer_answer_t *
churn_customer_answer (const churn_customer_t *self, size_t index)
{
    assert (self && index < self->answer_count);
    return &self->answers[index];
}

/* ---------------------------------------------------------------- binary form */

/* The binary form being read: the bytes left, and whether a rule broke. */
typedef struct {
    const unsigned char *at;  /* the next byte */
    const unsigned char *end; /* past the last */
    bool bad;                 /* truncated, or a varint not in its shortest form or too big */
} s_reader_t;

/* Writes value as a varint at *at, which then moves past it. */
static inline void
s_put (unsigned char **at, uint64_t value)
{
    while (value >= S_VARINT_MORE) {
        *(*at)++ = (unsigned char) (value | S_VARINT_MORE);
        value >>= S_VARINT_BITS;
    }
    *(*at)++ = (unsigned char) value;
}

/* A length byte, then the bytes of text. */
static inline void
s_put_text (unsigned char **at, const char *text)
{
    size_t length = strlen (text);
    *(*at)++ = (unsigned char) length;
    memcpy (*at, text, length);
    *at += length;
}

/* The next varint; 0 with the reader bad when it is cut, longer than its
   value needs, or beyond 64 bits. */
static inline uint64_t
s_get (s_reader_t *reader)
{
    if (reader->at < reader->end && *reader->at < S_VARINT_MORE)
        return *reader->at++; /* one byte: most of a record */
    uint64_t value = 0;
    for (unsigned shift = 0; shift < 64 && reader->at < reader->end; shift += S_VARINT_BITS) {
        unsigned byte = *reader->at++;
        if (shift == 63 && byte > 1)
            break; /* beyond 64 bits */
        value |= (uint64_t) (byte & (S_VARINT_MORE - 1)) << shift;
        if (byte < S_VARINT_MORE) {
            if (byte == 0 && shift > 0)
                break; /* not the shortest form */
            return value;
        }
    }
    reader->bad = true;
    return 0;
}

/* The next varint when it is at most max; otherwise max + 1 (max <
   UINT64_MAX) with the reader bad. */
static inline uint64_t
s_get_max (s_reader_t *reader, uint64_t max)
{
    uint64_t value = s_get (reader);
    if (value > max) {
        reader->bad = true;
        return max + 1;
    }
    return value;
}

/* The next byte; 0 with the reader bad when there is none. */
static inline unsigned
s_get_byte (s_reader_t *reader)
{
    if (reader->at == reader->end) {
        reader->bad = true;
        return 0;
    }
    return *reader->at++;
}

/* Writes self's binary form at buffer, which has room for
   CHURN_CUSTOMER_PACKED_MAX bytes; returns its length. */
static size_t
s_pack (const churn_customer_t *self, unsigned char *buffer)
{
    unsigned char *at = buffer;
    *at++ = S_KIND;
    *at++ = S_VERSION;
    *at++ = (unsigned char) ((self->has_first_day ? S_FLAG_FIRST_DAY : 0) |
                             (self->has_first_engagement ? S_FLAG_FIRST_ENGAGEMENT : 0) |
                             (self->has_owner ? S_FLAG_OWNER : 0));
    if (self->has_first_day)
        s_put (&at, (uint64_t) self->first_day);
    if (self->has_first_engagement)
        s_put (&at, (uint64_t) self->first_engagement_day);
    s_put (&at, self->money_count);
    int64_t before = 0;
    for (size_t index = 0; index < self->money_count; index++) {
        const churn_customer_money_t *day = &self->money[index];
        s_put (&at, (uint64_t) (day->day - before));
        before = day->day;
        s_put (&at, day->orders);
        s_put (&at, (uint64_t) day->ordered_minor);
        s_put (&at, day->returns);
        s_put (&at, (uint64_t) day->returned_minor);
        s_put (&at, day->payments);
        s_put (&at, (uint64_t) day->paid_minor);
    }
    s_put (&at, self->engagement_count);
    before = 0;
    for (size_t index = 0; index < self->engagement_count; index++) {
        const churn_customer_engagement_t *day = &self->engagement[index];
        s_put (&at, (uint64_t) (day->day - before));
        before = day->day;
        s_put (&at, day->visits);
        s_put (&at, day->calls);
        s_put (&at, day->demos);
    }
    s_put (&at, self->complaint_count);
    before = 0;
    for (size_t index = 0; index < self->complaint_count; index++) {
        const churn_customer_complaint_t *day = &self->complaints[index];
        s_put (&at, (uint64_t) (day->day - before));
        before = day->day;
        for (size_t severity = 0; severity < CHURN_MODEL_SEVERITY_COUNT; severity++)
            s_put (&at, day->counts[severity]);
    }
    s_put (&at, self->answer_count);
    for (size_t index = 0; index < self->answer_count; index++) {
        const churn_customer_answer_t *answer = &self->answers[index];
        s_put (&at, (uint64_t) answer->occurred_at);
        s_put (&at, (uint64_t) answer->day);
        *at++ = (unsigned char) answer->survey;
        *at++ = (unsigned char) answer->score;
        s_put_text (&at, answer->event_id);
    }
    if (self->has_owner) {
        s_put (&at, (uint64_t) self->owner.occurred_at);
        s_put_text (&at, self->owner.rep_id);
        s_put_text (&at, self->owner.team_id);
        s_put_text (&at, self->owner.region_id);
    }
    size_t length = (size_t) (at - buffer);
    assert (length <= CHURN_CUSTOMER_PACKED_MAX);
    return length;
}

size_t
churn_customer_pack (const churn_customer_t *self, char *buffer, size_t size)
{
    assert (self && (buffer || size == 0));
    if (size >= CHURN_CUSTOMER_PACKED_MAX)
        return s_pack (self, (unsigned char *) buffer); /* the handler's case: room for any */
    unsigned char *room = malloc (CHURN_CUSTOMER_PACKED_MAX);
    size_t length = room ? s_pack (self, room) : 0;
    if (length > size)
        length = 0;
    if (length > 0)
        memcpy (buffer, room, length);
    free (room);
    return length;
}

static bool
s_day_valid (int64_t day)
{
    return day >= 0 && day <= CHURN_CUSTOMER_DAY_MAX;
}

/* A count and a sum that go together: the sum needs the count. */
static bool
s_sum_valid (uint32_t count, int64_t sum)
{
    return sum >= 0 && (sum == 0 || count > 0);
}

/* The next day of a list whose day before is before (-1: the first):
   before plus the difference read, or -1 with the reader bad when that
   is not a valid day after before. */
static inline int64_t
s_get_day (s_reader_t *reader, int64_t before)
{
    uint64_t step = s_get_max (reader, CHURN_CUSTOMER_DAY_MAX);
    int64_t day = (before < 0 ? 0 : before) + (int64_t) step;
    if (reader->bad || (before >= 0 && step == 0) || !s_day_valid (day)) {
        reader->bad = true;
        return -1;
    }
    return day;
}

/* Reads a count of a list of at most max entries. */
static inline size_t
s_get_count (s_reader_t *reader, size_t max)
{
    return (size_t) s_get_max (reader, max);
}

/* Reads the day lists into state; false on a broken invariant. The day
   of each entry must be valid, after the one before, not before
   *earliest (updated to the earliest day seen). */
static bool
s_unpack_lists (s_reader_t *reader, churn_customer_t *state, int64_t *earliest)
{
    int64_t before = -1;
    state->money_count = s_get_count (reader, CHURN_CUSTOMER_MONEY_DAYS_MAX);
    for (size_t index = 0; index < state->money_count && !reader->bad; index++) {
        churn_customer_money_t *day = &state->money[index];
        day->day = s_get_day (reader, before);
        day->orders = (uint32_t) s_get_max (reader, UINT32_MAX);
        day->ordered_minor = (int64_t) s_get_max (reader, INT64_MAX);
        day->returns = (uint32_t) s_get_max (reader, UINT32_MAX);
        day->returned_minor = (int64_t) s_get_max (reader, INT64_MAX);
        day->payments = (uint32_t) s_get_max (reader, UINT32_MAX);
        day->paid_minor = (int64_t) s_get_max (reader, INT64_MAX);
        if (reader->bad || day->orders + (uint64_t) day->returns + day->payments == 0 ||
            !s_sum_valid (day->orders, day->ordered_minor) ||
            !s_sum_valid (day->returns, day->returned_minor) ||
            !s_sum_valid (day->payments, day->paid_minor))
            return false;
        before = day->day;
        if (index == 0 && day->day < *earliest)
            *earliest = day->day;
    }
    before = -1;
    state->engagement_count = s_get_count (reader, CHURN_CUSTOMER_ENGAGEMENT_DAYS_MAX);
    for (size_t index = 0; index < state->engagement_count && !reader->bad; index++) {
        churn_customer_engagement_t *day = &state->engagement[index];
        day->day = s_get_day (reader, before);
        day->visits = (uint32_t) s_get_max (reader, UINT32_MAX);
        day->calls = (uint32_t) s_get_max (reader, UINT32_MAX);
        day->demos = (uint32_t) s_get_max (reader, UINT32_MAX);
        if (reader->bad || day->visits + (uint64_t) day->calls + day->demos == 0)
            return false;
        before = day->day;
    }
    before = -1;
    state->complaint_count = s_get_count (reader, CHURN_CUSTOMER_COMPLAINT_DAYS_MAX);
    for (size_t index = 0; index < state->complaint_count && !reader->bad; index++) {
        churn_customer_complaint_t *day = &state->complaints[index];
        day->day = s_get_day (reader, before);
        uint64_t total = 0;
        for (size_t severity = 0; severity < CHURN_MODEL_SEVERITY_COUNT; severity++) {
            day->counts[severity] = (uint32_t) s_get_max (reader, UINT32_MAX);
            total += day->counts[severity];
        }
        if (reader->bad || total == 0)
            return false;
        before = day->day;
        if (index == 0 && day->day < *earliest)
            *earliest = day->day;
    }
    return !reader->bad;
}

/* Reads a length byte and that many bytes into text (size bytes with the
   NUL); false when the length is size or more, the bytes are not all
   there or hold a NUL. */
static bool
s_unpack_text (s_reader_t *reader, char *text, size_t size)
{
    size_t length = s_get_byte (reader);
    if (reader->bad || length >= size || (size_t) (reader->end - reader->at) < length ||
        memchr (reader->at, '\0', length)) {
        reader->bad = true;
        return false;
    }
    memcpy (text, reader->at, length);
    text[length] = '\0';
    reader->at += length;
    return true;
}

/* Reads the answers into state; false on a broken invariant. */
static bool
s_unpack_answers (s_reader_t *reader, churn_customer_t *state, int64_t *earliest)
{
    state->answer_count = s_get_count (reader, CHURN_CUSTOMER_SURVEYS_MAX);
    for (size_t index = 0; index < state->answer_count && !reader->bad; index++) {
        churn_customer_answer_t *answer = &state->answers[index];
        answer->occurred_at = (int64_t) s_get_max (reader, CHURN_CUSTOMER_TIME_MAX);
        answer->day = (int64_t) s_get_max (reader, CHURN_CUSTOMER_DAY_MAX);
        answer->survey = (churn_customer_survey_t) s_get_byte (reader);
        answer->score = (int) s_get_byte (reader);
        if (!s_unpack_text (reader, answer->event_id, sizeof answer->event_id))
            return false;
        size_t length = strlen (answer->event_id);
        if (answer->occurred_at < 1 || !s_survey_valid (answer->survey, answer->score) ||
            !s_event_id_valid (answer->event_id, length))
            return false;
        if (index > 0 &&
            s_answer_order (answer->occurred_at, answer->event_id, &state->answers[index - 1]) <= 0)
            return false; /* not strictly older than the one before */
        if (answer->day < *earliest)
            *earliest = answer->day;
    }
    return !reader->bad;
}

/* Reads the owner into state; false on a broken invariant: a time out of
   range, nothing named, an id not UTF-8. */
static bool
s_unpack_owner (s_reader_t *reader, churn_customer_t *state)
{
    churn_customer_owner_t *owner = &state->owner;
    owner->occurred_at = (int64_t) s_get_max (reader, CHURN_CUSTOMER_TIME_MAX);
    if (reader->bad || !s_unpack_text (reader, owner->rep_id, sizeof owner->rep_id) ||
        !s_unpack_text (reader, owner->team_id, sizeof owner->team_id) ||
        !s_unpack_text (reader, owner->region_id, sizeof owner->region_id))
        return false;
    churn_customer_event_t named = { .rep_id = owner->rep_id,
                                     .team_id = owner->team_id,
                                     .region_id = owner->region_id };
    return s_time_valid (owner->occurred_at) && s_names_owner (&named) &&
           s_owner_id_valid (owner->rep_id) && s_owner_id_valid (owner->team_id) &&
           s_owner_id_valid (owner->region_id);
}

/* Copies the state of src into self: the head and the entries in use
   only, not the 25 KB of room (unpack runs once per event applied). */
static void
s_copy (churn_customer_t *self, const churn_customer_t *src)
{
    memcpy (self, src, S_HEAD_SIZE);
    memcpy (self->money, src->money, src->money_count * sizeof src->money[0]);
    memcpy (self->engagement, src->engagement, src->engagement_count * sizeof src->engagement[0]);
    memcpy (self->complaints, src->complaints, src->complaint_count * sizeof src->complaints[0]);
    memcpy (self->answers, src->answers, src->answer_count * sizeof src->answers[0]);
}

/* Reads length bytes of a binary form into state (its head zeroed);
   false when they are not a valid state of this version. */
static bool
s_unpack (churn_customer_t *state, const char *data, size_t length)
{
    if (length == 0)
        return true;
    const unsigned char *bytes = (const unsigned char *) data;
    s_reader_t reader = { bytes, bytes + length, false };
    if (s_get_byte (&reader) != S_KIND || s_get_byte (&reader) != S_VERSION)
        return false;
    unsigned flags = s_get_byte (&reader);
    if (reader.bad || (flags & ~(unsigned) S_FLAGS_ALL) != 0)
        return false;
    state->has_first_day = (flags & S_FLAG_FIRST_DAY) != 0;
    state->has_first_engagement = (flags & S_FLAG_FIRST_ENGAGEMENT) != 0;
    state->has_owner = (flags & S_FLAG_OWNER) != 0;
    if (state->has_first_day)
        state->first_day = (int64_t) s_get_max (&reader, CHURN_CUSTOMER_DAY_MAX);
    if (state->has_first_engagement)
        state->first_engagement_day = (int64_t) s_get_max (&reader, CHURN_CUSTOMER_DAY_MAX);
    int64_t earliest = CHURN_CUSTOMER_DAY_MAX + 1;
    if (reader.bad || !s_unpack_lists (&reader, state, &earliest) ||
        !s_unpack_answers (&reader, state, &earliest) ||
        (state->has_owner && !s_unpack_owner (&reader, state)) || reader.at != reader.end)
        return false;
    if (state->engagement_count > 0 && state->engagement[0].day < earliest)
        earliest = state->engagement[0].day;
    /* An event was applied exactly when some list holds one (a list only
       drops a day for a newer one); the first days come before them. */
    bool any = state->money_count + state->engagement_count + state->complaint_count +
                   state->answer_count >
               0;
    if (state->has_first_day != any ||
        state->has_first_engagement != (state->engagement_count > 0) || (state->has_owner && !any))
        return false;
    if (state->has_first_day && (!s_day_valid (state->first_day) || state->first_day > earliest))
        return false;
    if (state->has_first_engagement && (state->first_engagement_day < state->first_day ||
                                        state->first_engagement_day > state->engagement[0].day))
        return false;
    return true;
}

int
churn_customer_unpack (churn_customer_t *self, const char *data, size_t length)
{
    assert (self && (data || length == 0));
    /* the lists are filled up to their counts only: not zeroed */
    churn_customer_t *state = churn_customer_new ();
    if (!state)
        return -1;
    int rc = -1;
    if (s_unpack (state, data, length)) {
        s_copy (self, state);
        rc = 0;
    }
    churn_customer_destroy (&state);
    return rc;
}

churn_customer_t *
churn_customer_read (const char *data, size_t length, bool *valid)
{
    assert ((data || length == 0) && valid);
    *valid = true;
    churn_customer_t *state = churn_customer_new ();
    if (state && !s_unpack (state, data, length)) {
        *valid = false;
        churn_customer_destroy (&state);
    }
    return state;
}
