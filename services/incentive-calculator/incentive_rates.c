/*  incentive_rates - the rate engine (see incentive_rates.h and
    docs/incentives.md, "Rate tables" and "Rounding").

    Positions are compared on one integer scale, the base × PPM ×
    period_days ("scaled units"), so that an amount bound (b × PPM × p)
    and an attainment bound on a prorated quota (b_ppm × quota × active)
    are both exact integers. F(x) is then N / D with

        N = Σ slice_i × applied_rate_i × M

    where M is 1 (rates) or target_incentive × weight_bp (multipliers),
    and D = PPM² × p (rates) or PPM² × 10,000 × quota × p (multipliers).
    N needs up to 190 bits, so it is held in a 256-bit unsigned integer
    (four 64-bit limbs); D stays below 2^122, so division is a plain
    shift-and-subtract long division with a 128-bit remainder.
*/
#include "incentive_rates.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sp_error.h"
#include "sp_json_read.h"
#include "sp_money.h"

#define S_PPM INCENTIVE_RATES_PPM
#define S_BP INCENTIVE_RATES_BASIS_POINTS
#define S_LIMBS INCENTIVE_RATES_WIDE_LIMBS /* 64-bit limbs of a wide integer */
#define S_LIMB_BITS 64                     /* bits of a limb */
#define S_DECIMAL_BASE 10
#define S_MICRO INCENTIVE_RATES_PPM /* millionths of a minor unit in a part */

typedef unsigned __int128 s_u128_t;
typedef __int128 s_i128_t;

/* A 256-bit unsigned integer, least significant limb first. */
typedef struct {
    uint64_t limb[S_LIMBS];
} s_wide_t;

static const char *const s_mode_names[] = { "marginal", "retroactive" };

static s_wide_t
s_wide (s_u128_t value)
{
    s_wide_t wide = { { (uint64_t) value, (uint64_t) (value >> S_LIMB_BITS), 0, 0 } };
    return wide;
}

/* a × b, both below 2^128: fits 256 bits. */
static s_wide_t
s_wide_multiply (s_u128_t a, s_u128_t b)
{
    uint64_t x[2] = { (uint64_t) a, (uint64_t) (a >> S_LIMB_BITS) };
    uint64_t y[2] = { (uint64_t) b, (uint64_t) (b >> S_LIMB_BITS) };
    s_wide_t product = { { 0, 0, 0, 0 } };
    for (size_t i = 0; i < 2; i++) {
        s_u128_t carry = 0;
        for (size_t j = 0; j < 2; j++) {
            s_u128_t sum = (s_u128_t) x[i] * y[j] + product.limb[i + j] + carry;
            product.limb[i + j] = (uint64_t) sum;
            carry = sum >> S_LIMB_BITS;
        }
        product.limb[i + 2] = (uint64_t) carry;
    }
    return product;
}

/* -1, 0 or 1 as a < b, a == b, a > b. */
static int
s_wide_compare (const s_wide_t *a, const s_wide_t *b)
{
    for (size_t index = S_LIMBS; index-- > 0;)
        if (a->limb[index] != b->limb[index])
            return a->limb[index] < b->limb[index] ? -1 : 1;
    return 0;
}

/* a - b, a >= b. */
static s_wide_t
s_wide_subtract (const s_wide_t *a, const s_wide_t *b)
{
    s_wide_t difference;
    uint64_t borrow = 0;
    for (size_t index = 0; index < S_LIMBS; index++) {
        uint64_t limb = a->limb[index] - b->limb[index] - borrow;
        borrow = (a->limb[index] < b->limb[index] || (a->limb[index] == b->limb[index] && borrow))
                     ? 1
                     : 0;
        difference.limb[index] = limb;
    }
    return difference;
}

/* value ÷ divisor (0 < divisor < 2^126) rounded half away from zero
   (value being a magnitude), into *quotient; false when it exceeds
   INT64_MAX. Long division one bit at a time, from the highest limb
   that is not zero: exact for any 256-bit value. */
static bool
s_wide_divide_round_bits (const s_wide_t *value, s_u128_t divisor, int64_t *quotient)
{
    assert (divisor > 0 && (divisor >> (2 * S_LIMB_BITS - 2)) == 0);
    s_wide_t result = { { 0, 0, 0, 0 } };
    s_u128_t remainder = 0;
    size_t limbs = S_LIMBS;
    while (limbs > 0 && value->limb[limbs - 1] == 0)
        limbs--;
    for (size_t bit = limbs * S_LIMB_BITS; bit-- > 0;) {
        remainder =
            (remainder << 1) | ((value->limb[bit / S_LIMB_BITS] >> (bit % S_LIMB_BITS)) & 1);
        if (remainder >= divisor) {
            remainder -= divisor;
            result.limb[bit / S_LIMB_BITS] |= (uint64_t) 1 << (bit % S_LIMB_BITS);
        }
    }
    if (result.limb[1] || result.limb[2] || result.limb[3] || result.limb[0] >= INT64_MAX)
        return false;
    *quotient = (int64_t) result.limb[0] + (2 * remainder >= divisor ? 1 : 0);
    return true;
}

/* s_wide_divide_round_bits, by the machine's 128-bit division when value
   fits 128 bits (every line of money below 10^15 with rates in ppm: the
   usual case), the same quotient and rounding. */
static bool
s_wide_divide_round (const s_wide_t *value, s_u128_t divisor, int64_t *quotient)
{
    assert (divisor > 0 && (divisor >> (2 * S_LIMB_BITS - 2)) == 0);
    if (value->limb[2] != 0 || value->limb[3] != 0)
        return s_wide_divide_round_bits (value, divisor, quotient);
    s_u128_t narrow = ((s_u128_t) value->limb[1] << S_LIMB_BITS) | value->limb[0];
    s_u128_t whole = narrow / divisor;
    s_u128_t remainder = narrow % divisor;
    if (whole >= (s_u128_t) INT64_MAX)
        return false;
    *quotient = (int64_t) whole + (2 * remainder >= divisor ? 1 : 0);
    return true;
}

bool
incentive_rates_divide_round (const uint64_t value[INCENTIVE_RATES_WIDE_LIMBS],
                              uint64_t divisor_high, uint64_t divisor_low, bool bit_by_bit,
                              int64_t *quotient)
{
    assert (value && quotient);
    s_wide_t wide = { { value[0], value[1], value[2], value[3] } };
    s_u128_t divisor = ((s_u128_t) divisor_high << S_LIMB_BITS) | divisor_low;
    return bit_by_bit ? s_wide_divide_round_bits (&wide, divisor, quotient)
                      : s_wide_divide_round (&wide, divisor, quotient);
}

const char *
incentive_rates_mode_name (incentive_rates_mode_t mode)
{
    assert ((size_t) mode < sizeof s_mode_names / sizeof s_mode_names[0]);
    return s_mode_names[mode];
}

int
incentive_rates_mode_parse (const char *text, incentive_rates_mode_t *mode)
{
    assert (text && mode);
    for (size_t index = 0; index < sizeof s_mode_names / sizeof s_mode_names[0]; index++)
        if (strcmp (text, s_mode_names[index]) == 0) {
            *mode = (incentive_rates_mode_t) index;
            return 0;
        }
    return -1;
}

int
incentive_rates_ppm_parse (const char *text, int64_t max_ppm, int64_t *ppm, char *error,
                           size_t error_size)
{
    assert (text && ppm && max_ppm >= 0);
    char quoted[INCENTIVE_RATES_TEXT_SIZE];
    sp_error_quote (text, quoted, sizeof quoted);
    const char *cursor = text;
    bool negative = *cursor == '-';
    if (negative)
        cursor++;
    int64_t whole = 0;
    size_t digits = 0;
    for (; *cursor >= '0' && *cursor <= '9'; cursor++, digits++) {
        if (whole > max_ppm / S_PPM + 1)
            break; /* already above any bound: stop before overflowing */
        whole = whole * S_DECIMAL_BASE + (*cursor - '0');
    }
    int64_t fraction = 0;
    int decimals = 0;
    bool malformed = digits == 0;
    if (!malformed && *cursor == '.') {
        cursor++;
        for (; *cursor >= '0' && *cursor <= '9' && decimals <= INCENTIVE_RATES_DECIMALS;
             cursor++, decimals++)
            if (decimals < INCENTIVE_RATES_DECIMALS)
                fraction = fraction * S_DECIMAL_BASE + (*cursor - '0');
        malformed = decimals == 0;
    }
    if (malformed || (*cursor != '\0' && !(*cursor >= '0' && *cursor <= '9'))) {
        sp_error_set (error, error_size, "\"%s\" is not a decimal such as \"0.05\"", quoted);
        return -1;
    }
    if (decimals > INCENTIVE_RATES_DECIMALS) {
        sp_error_set (error, error_size, "\"%s\" has more than %d decimals", quoted,
                      INCENTIVE_RATES_DECIMALS);
        return -1;
    }
    if (*cursor != '\0') { /* digits left over: too many whole digits */
        char high[INCENTIVE_RATES_TEXT_SIZE];
        sp_error_set (error, error_size, "\"%s\" is above %s", quoted,
                      incentive_rates_ppm_text (max_ppm, high, sizeof high));
        return -1;
    }
    for (int scale = decimals; scale < INCENTIVE_RATES_DECIMALS; scale++)
        fraction *= S_DECIMAL_BASE;
    int64_t value = whole * S_PPM + fraction;
    if (negative && value != 0) {
        sp_error_set (error, error_size, "\"%s\" is negative", quoted);
        return -1;
    }
    if (whole > max_ppm / S_PPM + 1 || value > max_ppm) {
        char high[INCENTIVE_RATES_TEXT_SIZE];
        sp_error_set (error, error_size, "\"%s\" is above %s", quoted,
                      incentive_rates_ppm_text (max_ppm, high, sizeof high));
        return -1;
    }
    *ppm = value;
    return 0;
}

const char *
incentive_rates_ppm_text (int64_t ppm, char *buffer, size_t size)
{
    const char *sign = ppm < 0 ? "-" : "";
    uint64_t magnitude = ppm < 0 ? (uint64_t) 0 - (uint64_t) ppm : (uint64_t) ppm;
    uint64_t fraction = magnitude % (uint64_t) S_PPM;
    int digits = INCENTIVE_RATES_DECIMALS;
    while (fraction != 0 && fraction % S_DECIMAL_BASE == 0) {
        fraction /= S_DECIMAL_BASE;
        digits--;
    }
    if (fraction == 0)
        snprintf (buffer, size, "%s%" PRIu64, sign, magnitude / (uint64_t) S_PPM);
    else
        snprintf (buffer, size, "%s%" PRIu64 ".%0*" PRIu64, sign, magnitude / (uint64_t) S_PPM,
                  digits, fraction);
    return buffer;
}

/* Decimals of money in a table whose amounts are value / scale with
   decimals decimals: the currency's decimals. */
static int
s_money_decimals (int decimals, int64_t scale)
{
    for (; scale > 1; scale /= S_DECIMAL_BASE)
        decimals++;
    return decimals;
}

const char *
incentive_rates_bound_text (const incentive_rates_table_t *table, int64_t value, int decimals,
                            int64_t scale, char *buffer, size_t size)
{
    assert (table && scale > 0 && size >= SP_MONEY_TEXT_SIZE);
    if (table->basis == INCENTIVE_RATES_ON_ATTAINMENT)
        return incentive_rates_ppm_text (value, buffer, size);
    if (sp_money_format_decimal (value / scale, decimals, buffer, size) != SP_MONEY_OK)
        snprintf (buffer, size, "%" PRId64, value);
    return buffer;
}

/* "[lo, hi)" of band index into buffer. */
static const char *
s_band_text (const incentive_rates_table_t *table, const char *list, size_t index, int decimals,
             int64_t scale, char *buffer, size_t size)
{
    char lo[INCENTIVE_RATES_TEXT_SIZE];
    char hi[INCENTIVE_RATES_TEXT_SIZE];
    const incentive_rates_band_t *band = &table->bands[index];
    incentive_rates_bound_text (table, band->lo, decimals, scale, lo, sizeof lo);
    if (band->open)
        snprintf (hi, sizeof hi, "...");
    else
        incentive_rates_bound_text (table, band->hi, decimals, scale, hi, sizeof hi);
    snprintf (buffer, size, "%s[%zu] [%s, %s)", list, index, lo, hi);
    return buffer;
}

/* Checks band index against the one before it. */
static int
s_check_band (sp_json_reader_t *reader, const incentive_rates_table_t *table, size_t index,
              const char *path, const char *list, int64_t rate_max_ppm, int decimals, int64_t scale)
{
    const incentive_rates_band_t *band = &table->bands[index];
    char where[SP_JSON_PATH_SIZE];
    char field[SP_JSON_PATH_SIZE];
    char one[SP_JSON_PATH_SIZE];
    char other[SP_JSON_PATH_SIZE];
    char low[INCENTIVE_RATES_TEXT_SIZE];
    char high[INCENTIVE_RATES_TEXT_SIZE];
    snprintf (where, sizeof where, "%s%s%s[%zu]", path, *path ? "." : "", list, index);
    assert (band->mode == INCENTIVE_RATES_MARGINAL || band->mode == INCENTIVE_RATES_RETROACTIVE);
    if (band->open && index + 1 < table->band_count) {
        sp_json_path (field, sizeof field, where, "hi");
        return sp_json_fail (reader, field, "required: only the last band may be open");
    }
    if (!band->open && band->lo >= band->hi)
        return sp_json_fail (
            reader, where, "lo %s is not below hi %s",
            incentive_rates_bound_text (table, band->lo, decimals, scale, low, sizeof low),
            incentive_rates_bound_text (table, band->hi, decimals, scale, high, sizeof high));
    sp_json_path (field, sizeof field, where, "rate");
    if (band->rate_ppm < 0)
        return sp_json_fail (reader, field, "%s is negative",
                             incentive_rates_ppm_text (band->rate_ppm, low, sizeof low));
    if (band->rate_ppm > rate_max_ppm)
        return sp_json_fail (reader, field, "%s is above %s",
                             incentive_rates_ppm_text (band->rate_ppm, low, sizeof low),
                             incentive_rates_ppm_text (rate_max_ppm, high, sizeof high));
    if (index == 0) {
        if (band->lo != 0) {
            sp_json_path (field, sizeof field, where, "lo");
            return sp_json_fail (
                reader, field, "the first band must start at 0, not %s",
                incentive_rates_bound_text (table, band->lo, decimals, scale, low, sizeof low));
        }
        return 0;
    }
    const incentive_rates_band_t *previous = &table->bands[index - 1];
    s_band_text (table, list, index - 1, decimals, scale, one, sizeof one);
    s_band_text (table, list, index, decimals, scale, other, sizeof other);
    if (band->lo < previous->lo)
        return sp_json_fail (reader, where, "bands out of order: %s starts before %s", other, one);
    if (band->lo > previous->hi)
        return sp_json_fail (
            reader, where, "gap between %s and %s: [%s, %s) is not covered", one, other,
            incentive_rates_bound_text (table, previous->hi, decimals, scale, low, sizeof low),
            incentive_rates_bound_text (table, band->lo, decimals, scale, high, sizeof high));
    if (band->lo < previous->hi) {
        int64_t end = band->open || previous->hi < band->hi ? previous->hi : band->hi;
        return sp_json_fail (
            reader, where, "%s and %s overlap on [%s, %s)", one, other,
            incentive_rates_bound_text (table, band->lo, decimals, scale, low, sizeof low),
            incentive_rates_bound_text (table, end, decimals, scale, high, sizeof high));
    }
    if (band->mode == INCENTIVE_RATES_RETROACTIVE)
        for (size_t earlier = index; earlier-- > 0;)
            if (table->bands[earlier].mode == INCENTIVE_RATES_RETROACTIVE) {
                if (table->bands[earlier].rate_ppm > band->rate_ppm)
                    return sp_json_fail (
                        reader, field,
                        "retroactive rate %s is below %s of %s[%zu]: it would take back "
                        "pay already earned (make the band marginal)",
                        incentive_rates_ppm_text (band->rate_ppm, low, sizeof low),
                        incentive_rates_ppm_text (table->bands[earlier].rate_ppm, high,
                                                  sizeof high),
                        list, earlier);
                break;
            }
    return 0;
}

int
incentive_rates_table_check (const incentive_rates_table_t *table, const char *path,
                             const char *list, int64_t rate_max_ppm, int decimals, int64_t scale,
                             char *error, size_t error_size)
{
    assert (table && path && scale > 0);
    assert (rate_max_ppm >= 0 && rate_max_ppm <= INCENTIVE_RATES_RATE_MAX_PPM);
    sp_json_reader_t reader = { error, error_size };
    char field[SP_JSON_PATH_SIZE];
    char text[INCENTIVE_RATES_TEXT_SIZE];
    if (table->band_count == 0 || table->band_count > INCENTIVE_RATES_BANDS_MAX) {
        sp_json_path (field, sizeof field, path, list);
        return sp_json_fail (&reader, field, "a table has 1 to %d bands, not %zu",
                             INCENTIVE_RATES_BANDS_MAX, table->band_count);
    }
    int64_t bound_max = table->basis == INCENTIVE_RATES_ON_ATTAINMENT
                            ? INCENTIVE_RATES_ATTAINMENT_MAX_PPM
                            : INCENTIVE_RATES_VALUE_MAX;
    for (size_t index = 0; index < table->band_count; index++) {
        if (s_check_band (&reader, table, index, path, list, rate_max_ppm, decimals, scale) != 0)
            return -1;
        const incentive_rates_band_t *band = &table->bands[index];
        if (band->lo > bound_max || (!band->open && band->hi > bound_max)) {
            snprintf (field, sizeof field, "%s%s%s[%zu]", path, *path ? "." : "", list, index);
            return sp_json_fail (
                &reader, field, "a bound is above %s",
                incentive_rates_bound_text (table, bound_max, decimals, scale, text, sizeof text));
        }
    }
    if (table->has_gate) {
        sp_json_path (field, sizeof field, path, "gate.attainment");
        if (table->gate_ppm <= 0)
            return sp_json_fail (&reader, field, "must be above 0");
        if (table->gate_ppm > S_PPM)
            return sp_json_fail (&reader, field, "%s is above 1 (100 %%)",
                                 incentive_rates_ppm_text (table->gate_ppm, text, sizeof text));
    }
    if (table->has_payout_cap) {
        sp_json_path (field, sizeof field, path, "cap.payout");
        int money = s_money_decimals (decimals, scale);
        if (table->payout_cap < 0 || table->payout_cap > INCENTIVE_RATES_VALUE_MAX) {
            if (sp_money_format_decimal (table->payout_cap, money, text, sizeof text) !=
                SP_MONEY_OK)
                snprintf (text, sizeof text, "%" PRId64, table->payout_cap);
            return sp_json_fail (&reader, field, "%s is %s", text,
                                 table->payout_cap < 0 ? "below 0" : "too large");
        }
    }
    if (table->has_attainment_cap) {
        sp_json_path (field, sizeof field, path, "cap.attainment");
        if (table->attainment_cap_ppm <= 0)
            return sp_json_fail (&reader, field, "must be above 0");
        if (table->attainment_cap_ppm > INCENTIVE_RATES_ATTAINMENT_MAX_PPM)
            return sp_json_fail (
                &reader, field, "%s is above %s",
                incentive_rates_ppm_text (table->attainment_cap_ppm, text, sizeof text),
                incentive_rates_ppm_text (INCENTIVE_RATES_ATTAINMENT_MAX_PPM, field, sizeof field));
    }
    return 0;
}

/* True when the table needs a quota. */
static bool
s_needs_quota (const incentive_rates_table_t *table)
{
    return table->basis == INCENTIVE_RATES_ON_ATTAINMENT || table->has_gate ||
           table->has_attainment_cap || table->pays == INCENTIVE_RATES_PAYS_TARGET;
}

bool
incentive_rates_context_valid (const incentive_rates_table_t *table,
                               const incentive_rates_context_t *context)
{
    assert (table && context);
    if (context->period_days < 1 || context->period_days > INCENTIVE_RATES_DAYS_MAX ||
        context->active_days < 1 || context->active_days > context->period_days)
        return false;
    if (context->quota < 0 || context->quota > INCENTIVE_RATES_VALUE_MAX ||
        (s_needs_quota (table) && context->quota == 0))
        return false;
    if (table->pays == INCENTIVE_RATES_PAYS_TARGET &&
        (context->target_incentive < 0 || context->target_incentive > INCENTIVE_RATES_VALUE_MAX ||
         context->weight_bp < 0 || context->weight_bp > S_BP))
        return false;
    return true;
}

/* F at one value, as the numerator over s_denominator, with what made it. */
typedef struct {
    s_wide_t numerator;                               /* N, after the payout cap */
    s_i128_t contribution[INCENTIVE_RATES_BANDS_MAX]; /* slice × applied rate, per band */
    int64_t applied_ppm[INCENTIVE_RATES_BANDS_MAX];   /* rate each slice is paid at */
    int64_t attainment_ppm;                           /* display, toward zero */
    bool below_gate;                                  /* under the gate: F = 0 */
    bool attainment_capped;                           /* the cap stopped the base */
    bool payout_capped;                               /* the payout cap bounded F */
} s_evaluation_t;

/* D, the denominator of every F of table under context. */
static s_u128_t
s_denominator (const incentive_rates_table_t *table, const incentive_rates_context_t *context)
{
    s_u128_t per_day = (s_u128_t) S_PPM * S_PPM;
    if (table->pays == INCENTIVE_RATES_PAYS_TARGET)
        per_day *= (s_u128_t) S_BP * (s_u128_t) context->quota;
    return per_day * (s_u128_t) context->period_days;
}

/* A bound of table in scaled units. */
static s_i128_t
s_scaled_bound (const incentive_rates_table_t *table, const incentive_rates_context_t *context,
                int64_t bound)
{
    if (table->basis == INCENTIVE_RATES_ON_ATTAINMENT)
        return (s_i128_t) bound * context->quota * context->active_days;
    return (s_i128_t) bound * S_PPM * context->period_days;
}

static void
s_evaluate (const incentive_rates_table_t *table, const incentive_rates_context_t *context,
            int64_t value, s_evaluation_t *out)
{
    memset (out, 0, sizeof *out);
    if (value < 0)
        value = 0;
    s_i128_t position = (s_i128_t) value * S_PPM * context->period_days;
    s_i128_t quota_scaled = (s_i128_t) context->quota * context->active_days; /* per ppm */
    if (quota_scaled > 0)
        out->attainment_ppm = (int64_t) (position / quota_scaled);
    s_i128_t floor = 0;
    if (table->has_gate) {
        s_i128_t gate = (s_i128_t) table->gate_ppm * quota_scaled;
        if (position < gate) {
            out->below_gate = true;
            return;
        }
        if (table->gate_pays == INCENTIVE_RATES_GATE_EXCESS)
            floor = gate;
    }
    if (table->has_attainment_cap) {
        s_i128_t cap = (s_i128_t) table->attainment_cap_ppm * quota_scaled;
        if (position > cap) {
            position = cap;
            out->attainment_capped = true;
        }
    }
    /* The rate of the highest retroactive band reached. */
    int64_t retroactive_ppm = 0;
    for (size_t index = 0; index < table->band_count; index++)
        if (table->bands[index].mode == INCENTIVE_RATES_RETROACTIVE &&
            s_scaled_bound (table, context, table->bands[index].lo) <= position)
            retroactive_ppm = table->bands[index].rate_ppm;
    s_u128_t sum = 0;
    for (size_t index = 0; index < table->band_count; index++) {
        const incentive_rates_band_t *band = &table->bands[index];
        s_i128_t lo = s_scaled_bound (table, context, band->lo);
        s_i128_t start = lo > floor ? lo : floor;
        s_i128_t end = position;
        if (!band->open) {
            s_i128_t hi = s_scaled_bound (table, context, band->hi);
            end = hi < end ? hi : end;
        }
        int64_t applied =
            band->mode == INCENTIVE_RATES_RETROACTIVE ? retroactive_ppm : band->rate_ppm;
        out->applied_ppm[index] = applied;
        if (end <= start)
            continue;
        out->contribution[index] = (end - start) * applied;
        sum += (s_u128_t) out->contribution[index];
    }
    s_u128_t multiplier = 1;
    if (table->pays == INCENTIVE_RATES_PAYS_TARGET)
        multiplier = (s_u128_t) context->target_incentive * (s_u128_t) context->weight_bp;
    out->numerator = s_wide_multiply (sum, multiplier);
    if (table->has_payout_cap) {
        /* cap × active / period in units of 1 / D: D / period is whole. */
        s_u128_t per_day = s_denominator (table, context) / (s_u128_t) context->period_days;
        s_wide_t cap = s_wide_multiply (
            (s_u128_t) table->payout_cap * (s_u128_t) context->active_days, per_day);
        if (s_wide_compare (&out->numerator, &cap) > 0) {
            out->numerator = cap;
            out->payout_capped = true;
        }
    }
}

/* (after - before) ÷ denominator, rounded half away from zero. */
static bool
s_difference_round (const s_wide_t *after, const s_wide_t *before, s_u128_t denominator,
                    int64_t *amount)
{
    int order = s_wide_compare (after, before);
    s_wide_t magnitude =
        order >= 0 ? s_wide_subtract (after, before) : s_wide_subtract (before, after);
    int64_t rounded;
    if (!s_wide_divide_round (&magnitude, denominator, &rounded))
        return false;
    *amount = order >= 0 ? rounded : -rounded;
    return true;
}

int
incentive_rates_earn (const incentive_rates_table_t *table,
                      const incentive_rates_context_t *context, int64_t before, int64_t after,
                      incentive_rates_result_t *result)
{
    assert (table && context && result);
    assert (incentive_rates_context_valid (table, context));
    assert (before >= -INCENTIVE_RATES_VALUE_MAX && before <= INCENTIVE_RATES_VALUE_MAX);
    assert (after >= -INCENTIVE_RATES_VALUE_MAX && after <= INCENTIVE_RATES_VALUE_MAX);
    s_evaluation_t from;
    s_evaluation_t to;
    s_evaluate (table, context, before, &from);
    s_evaluate (table, context, after, &to);
    s_u128_t denominator = s_denominator (table, context);
    incentive_rates_result_t line = { .rule = table->id };
    if (!s_difference_round (&to.numerator, &from.numerator, denominator, &line.amount))
        return -1;
    line.attainment_before_ppm = from.attainment_ppm;
    line.attainment_after_ppm = to.attainment_ppm;
    line.below_gate = to.below_gate;
    line.gate_crossed = from.below_gate != to.below_gate;
    line.attainment_capped = to.attainment_capped || from.attainment_capped;
    line.payout_capped = to.payout_capped || from.payout_capped;
    s_u128_t multiplier = S_MICRO;
    if (table->pays == INCENTIVE_RATES_PAYS_TARGET)
        multiplier *= (s_u128_t) context->target_incentive * (s_u128_t) context->weight_bp;
    for (size_t index = 0; index < table->band_count; index++) {
        s_i128_t change = to.contribution[index] - from.contribution[index];
        if (change == 0)
            continue;
        const incentive_rates_band_t *band = &table->bands[index];
        incentive_rates_part_t *part = &line.parts[line.part_count++];
        part->band = index;
        part->lo = band->lo;
        part->hi = band->hi;
        part->open = band->open;
        part->mode = band->mode;
        part->rate_ppm = band->rate_ppm;
        part->applied_rate_ppm = to.applied_ppm[index];
        s_u128_t magnitude = (s_u128_t) (change < 0 ? -change : change);
        s_wide_t micro = s_wide_multiply (magnitude, multiplier);
        int64_t rounded;
        if (!s_wide_divide_round (&micro, denominator, &rounded))
            return -1;
        part->amount_micro = change < 0 ? -rounded : rounded;
    }
    *result = line;
    return 0;
}

int
incentive_rates_total (const incentive_rates_table_t *table,
                       const incentive_rates_context_t *context, int64_t value, int64_t *amount)
{
    assert (table && context && amount);
    assert (incentive_rates_context_valid (table, context));
    s_evaluation_t at;
    s_evaluate (table, context, value, &at);
    s_wide_t zero = s_wide (0);
    return s_difference_round (&at.numerator, &zero, s_denominator (table, context), amount) ? 0
                                                                                             : -1;
}

int64_t
incentive_rates_round (int64_t numerator, int64_t denominator)
{
    assert (denominator > 0);
    int64_t quotient = numerator / denominator;
    int64_t remainder = numerator % denominator; /* same sign as numerator */
    uint64_t twice = 2 * (uint64_t) (remainder < 0 ? -remainder : remainder);
    if (twice >= (uint64_t) denominator)
        quotient += numerator < 0 ? -1 : 1;
    return quotient;
}
