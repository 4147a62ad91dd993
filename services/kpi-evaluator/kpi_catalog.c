/*  kpi_catalog - the built-in catalogue of KPIs (see kpi_catalog.h and
    docs/kpis.md, which defines each one in words). */
#include "kpi_catalog.h"

#include <assert.h>
#include <string.h>

#define S_BASIS_POINTS 10000 /* ratio unit: 1 = 10,000 */
#define S_HUNDREDTHS 100     /* average, per_day and score unit */
#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* Stored measure names, indexed by kpi_measure_t. */
static const char *const s_measure_names[KPI_MEASURE_COUNT] = {
    [KPI_MEASURE_WON] = "won",
    [KPI_MEASURE_WON_AMOUNT] = "won_amount",
    [KPI_MEASURE_WON_OTHER_CURRENCY] = "won_other_currency",
    [KPI_MEASURE_MARGIN] = "margin",
    [KPI_MEASURE_LOST] = "lost",
    [KPI_MEASURE_NEW_CUSTOMERS] = "new_customers",
    [KPI_MEASURE_LEADS] = "leads",
    [KPI_MEASURE_LEADS_WON] = "leads_won",
    [KPI_MEASURE_QUOTES] = "quotes",
    [KPI_MEASURE_VISITS] = "visits",
    [KPI_MEASURE_VISIT_MINUTES] = "visit_minutes",
    [KPI_MEASURE_VISITS_TIER_A] = "visits_tier_a",
    [KPI_MEASURE_VISITS_PLANNED] = "visits_planned",
    [KPI_MEASURE_PLANNED_DONE] = "planned_done",
    [KPI_MEASURE_CALLS] = "calls",
    [KPI_MEASURE_DEMOS] = "demos",
    [KPI_MEASURE_NPS_ANSWERS] = "nps_answers",
    [KPI_MEASURE_NPS_PROMOTERS] = "nps_promoters",
    [KPI_MEASURE_NPS_DETRACTORS] = "nps_detractors",
    [KPI_MEASURE_CSAT_ANSWERS] = "csat_answers",
    [KPI_MEASURE_CSAT_SUM] = "csat_sum",
    [KPI_MEASURE_ORDER_AMOUNT] = "order_amount",
    [KPI_MEASURE_ORDER_OTHER_CURRENCY] = "order_other_currency",
    [KPI_MEASURE_PAYMENT_AMOUNT] = "payment_amount",
    [KPI_MEASURE_PAYMENT_OTHER_CURRENCY] = "payment_other_currency",
};

static const char *const s_unit_names[] = {
    [KPI_UNIT_MONEY] = "money",     [KPI_UNIT_COUNT] = "count",     [KPI_UNIT_RATIO] = "ratio",
    [KPI_UNIT_AVERAGE] = "average", [KPI_UNIT_PER_DAY] = "per_day", [KPI_UNIT_SCORE] = "score",
};

/* The catalogue, in the order listings show it. Defaults from the seed
   documents: 8 visits a working day, 80 % of planned visits done, 40 %
   of visits at tier-A customers, 35 minutes a visit, 100 touches a month
   (a rep's month: kpi_catalog.h). */
static const kpi_definition_t s_catalog[] = {
    { "revenue",
      "Revenue (won amount)",
      KPI_UNIT_MONEY,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_WON_AMOUNT },
      0,
      { 0 },
      false,
      0 },
    { "gross_margin",
      "Gross margin",
      KPI_UNIT_MONEY,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_MARGIN },
      0,
      { 0 },
      false,
      0 },
    { "deals_won",
      "Deals won",
      KPI_UNIT_COUNT,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_WON },
      0,
      { 0 },
      false,
      0 },
    { "new_customers",
      "New customers",
      KPI_UNIT_COUNT,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_NEW_CUSTOMERS },
      0,
      { 0 },
      false,
      0 },
    { "win_rate",
      "Win rate",
      KPI_UNIT_RATIO,
      false,
      KPI_FORMULA_RATIO,
      1,
      { KPI_MEASURE_WON },
      2,
      { KPI_MEASURE_WON, KPI_MEASURE_LOST },
      false,
      0 },
    { "lead_conversion",
      "Lead to won conversion",
      KPI_UNIT_RATIO,
      false,
      KPI_FORMULA_RATIO,
      1,
      { KPI_MEASURE_LEADS_WON },
      1,
      { KPI_MEASURE_LEADS },
      false,
      0 },
    { "quotes_sent",
      "Quotes sent",
      KPI_UNIT_COUNT,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_QUOTES },
      0,
      { 0 },
      false,
      0 },
    { "visits_completed",
      "Visits completed",
      KPI_UNIT_COUNT,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_VISITS },
      0,
      { 0 },
      false,
      0 },
    { "visits_per_day",
      "Visits per working day",
      KPI_UNIT_PER_DAY,
      false,
      KPI_FORMULA_PER_DAY,
      1,
      { KPI_MEASURE_VISITS },
      0,
      { 0 },
      true,
      8 * S_HUNDREDTHS },
    { "visit_plan_execution",
      "Visit plan execution",
      KPI_UNIT_RATIO,
      false,
      KPI_FORMULA_RATIO,
      1,
      { KPI_MEASURE_PLANNED_DONE },
      1,
      { KPI_MEASURE_VISITS_PLANNED },
      true,
      S_BASIS_POINTS * 80 / 100 },
    { "high_value_visit_share",
      "High-value visit share",
      KPI_UNIT_RATIO,
      false,
      KPI_FORMULA_RATIO,
      1,
      { KPI_MEASURE_VISITS_TIER_A },
      1,
      { KPI_MEASURE_VISITS },
      true,
      S_BASIS_POINTS * 40 / 100 },
    { "avg_visit_minutes",
      "Average visit minutes",
      KPI_UNIT_AVERAGE,
      false,
      KPI_FORMULA_AVERAGE,
      1,
      { KPI_MEASURE_VISIT_MINUTES },
      1,
      { KPI_MEASURE_VISITS },
      true,
      35 * S_HUNDREDTHS },
    { "touches",
      "Effective touches (visits, calls, demos)",
      KPI_UNIT_COUNT,
      false,
      KPI_FORMULA_SUM,
      3,
      { KPI_MEASURE_VISITS, KPI_MEASURE_CALLS, KPI_MEASURE_DEMOS },
      0,
      { 0 },
      true,
      100 },
    { "nps",
      "Net promoter score",
      KPI_UNIT_SCORE,
      false,
      KPI_FORMULA_NPS,
      3,
      { KPI_MEASURE_NPS_PROMOTERS, KPI_MEASURE_NPS_DETRACTORS, KPI_MEASURE_NPS_ANSWERS },
      0,
      { 0 },
      false,
      0 },
    { "csat",
      "Average CSAT (1-5)",
      KPI_UNIT_AVERAGE,
      false,
      KPI_FORMULA_AVERAGE,
      1,
      { KPI_MEASURE_CSAT_SUM },
      1,
      { KPI_MEASURE_CSAT_ANSWERS },
      false,
      0 },
    { "order_revenue",
      "Order revenue",
      KPI_UNIT_MONEY,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_ORDER_AMOUNT },
      0,
      { 0 },
      false,
      0 },
    { "payments_collected",
      "Payments collected",
      KPI_UNIT_MONEY,
      false,
      KPI_FORMULA_SUM,
      1,
      { KPI_MEASURE_PAYMENT_AMOUNT },
      0,
      { 0 },
      false,
      0 },
};

_Static_assert (S_COUNT (s_catalog) <= KPI_CATALOG_MAX, "KPI_CATALOG_MAX holds the catalogue");

size_t
kpi_catalog_count (void)
{
    return S_COUNT (s_catalog);
}

const kpi_definition_t *
kpi_catalog_at (size_t index)
{
    assert (index < S_COUNT (s_catalog));
    return &s_catalog[index];
}

const kpi_definition_t *
kpi_catalog_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t index = 0; index < S_COUNT (s_catalog); index++)
        if (strcmp (s_catalog[index].name, name) == 0)
            return &s_catalog[index];
    return NULL;
}

bool
kpi_catalog_additive (const kpi_definition_t *kpi)
{
    assert (kpi);
    return kpi->formula == KPI_FORMULA_SUM;
}

const char *
kpi_catalog_unit_name (kpi_unit_t unit)
{
    if ((size_t) unit >= S_COUNT (s_unit_names))
        return NULL;
    return s_unit_names[unit];
}

const char *
kpi_catalog_measure_name (kpi_measure_t measure)
{
    if ((size_t) measure >= KPI_MEASURE_COUNT)
        return NULL;
    return s_measure_names[measure];
}

int
kpi_catalog_measure_parse (const char *name, kpi_measure_t *measure)
{
    if (!name)
        return -1;
    for (size_t index = 0; index < KPI_MEASURE_COUNT; index++)
        if (strcmp (s_measure_names[index], name) == 0) {
            *measure = (kpi_measure_t) index;
            return 0;
        }
    return -1;
}

/* Σ of terms; false on overflow. */
static bool
s_sum (const int64_t *sums, const kpi_measure_t *terms, size_t count, int64_t *total)
{
    int64_t value = 0;
    for (size_t index = 0; index < count; index++)
        if (__builtin_add_overflow (value, sums[terms[index]], &value))
            return false;
    *total = value;
    return true;
}

/* numerator × scale ÷ denominator, rounded half away from zero; 1 when
   the denominator is 0, -1 when the result does not fit. */
static int
s_divide (int64_t numerator, int64_t scale, int64_t denominator, int64_t *value)
{
    if (denominator == 0)
        return 1;
    __int128 scaled = (__int128) numerator * scale;
    __int128 quotient = scaled / denominator;
    __int128 remainder = scaled % denominator;
    __int128 twice = remainder < 0 ? -2 * remainder : 2 * remainder;
    __int128 magnitude = denominator < 0 ? -(__int128) denominator : denominator;
    if (twice >= magnitude)
        quotient += ((scaled < 0) != (denominator < 0)) ? -1 : 1;
    if (quotient > INT64_MAX || quotient < INT64_MIN)
        return -1;
    *value = (int64_t) quotient;
    return 0;
}

int
kpi_catalog_value (const kpi_definition_t *kpi, const int64_t *sums, int64_t working_days,
                   int64_t *value)
{
    assert (kpi);
    assert (sums);
    assert (value);
    int64_t numerator;
    int64_t denominator;
    switch (kpi->formula) {
        case KPI_FORMULA_SUM:
            if (!s_sum (sums, kpi->numerator, kpi->numerator_count, value))
                return -1;
            return 0;
        case KPI_FORMULA_RATIO:
        case KPI_FORMULA_AVERAGE:
            if (!s_sum (sums, kpi->numerator, kpi->numerator_count, &numerator) ||
                !s_sum (sums, kpi->denominator, kpi->denominator_count, &denominator))
                return -1;
            return s_divide (numerator,
                             kpi->formula == KPI_FORMULA_RATIO ? S_BASIS_POINTS : S_HUNDREDTHS,
                             denominator, value);
        case KPI_FORMULA_PER_DAY:
            if (!s_sum (sums, kpi->numerator, kpi->numerator_count, &numerator))
                return -1;
            return s_divide (numerator, S_HUNDREDTHS, working_days, value);
        case KPI_FORMULA_NPS: {
            /* numerator: promoters, detractors, answers */
            int64_t promoters = sums[kpi->numerator[0]];
            int64_t detractors = sums[kpi->numerator[1]];
            int64_t answers = sums[kpi->numerator[2]];
            int64_t net;
            if (__builtin_sub_overflow (promoters, detractors, &net))
                return -1;
            return s_divide (net, S_BASIS_POINTS, answers, value);
        }
    }
    return -1;
}
