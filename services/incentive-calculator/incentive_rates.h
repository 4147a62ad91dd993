/*  incentive_rates - the rate engine of incentive-calculator: a rate
    table (ordered, contiguous, half-open bands [lo, hi) on an amount or
    on attainment, each band marginal or retroactive), its gate and caps,
    and the exact earning of a move of the base from one cumulative value
    to another (docs/incentives.md, "Rate tables").

    Exactness: rates, multipliers, attainment bounds and gates are parts
    per million (INCENTIVE_RATES_PPM = 1). Amounts and values are int64
    in the measure's minor unit. Quota, target incentive and the payout
    cap are prorated by active_days / period_days. Every earning is a
    rational computed with 128- and 256-bit integers, never a binary
    float, and rounded once, half away from zero, to the minor unit.

    The cumulative earning F(x) of a table at base x (x < 0 counts as 0):

      - the slice of each band is the part of [0, x) inside [lo, hi)
        (with a gate paying the excess only, the part above the gate);
      - a marginal band pays its own rate on its slice;
      - a retroactive band's slice is paid at the rate of the highest
        retroactive band reached (lo <= x), so reaching a retroactive band
        re-prices every retroactive slice below it; marginal slices keep
        their rate. Retroactive rates never fall from band to band, so F
        never falls as x grows;
      - below the gate F is 0; the attainment cap stops x; the payout
        cap bounds F.

    A line for a move from before to after is F(after) - F(before),
    computed exactly and rounded once. Pure: no I/O, no global state.
*/
#ifndef INCENTIVE_RATES_H_INCLUDED
#define INCENTIVE_RATES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parts per million in 1 (100 %). */
#define INCENTIVE_RATES_PPM INT64_C (1000000)

/* Decimals of a ppm value written as a decimal ("0.05" = 50,000). */
#define INCENTIVE_RATES_DECIMALS 6

/* Bands in a table. */
#define INCENTIVE_RATES_BANDS_MAX 16

/* Largest value, quota, amount bound, target incentive or payout cap
   (minor units): 10^15, as sp_money. */
#define INCENTIVE_RATES_VALUE_MAX INT64_C (1000000000000000)

/* Largest rate: 10^6 per unit of base (a fixed amount per event is a
   rate per event), i.e. 10^12 ppm; callers choose a lower bound. */
#define INCENTIVE_RATES_RATE_MAX_PPM (INCENTIVE_RATES_PPM * INCENTIVE_RATES_PPM)

/* Largest attainment bound or cap: 1,000 (100,000 %). */
#define INCENTIVE_RATES_ATTAINMENT_MAX_PPM (INT64_C (1000) * INCENTIVE_RATES_PPM)

/* Basis points in 1 (a component weight). */
#define INCENTIVE_RATES_BASIS_POINTS 10000

/* Longest period in days, and a rule id's longest name. */
#define INCENTIVE_RATES_DAYS_MAX 366
#define INCENTIVE_RATES_ID_MAX 63

/* Room for a ppm value or a bound written as a decimal, and for a message. */
#define INCENTIVE_RATES_TEXT_SIZE 32
#define INCENTIVE_RATES_ERROR_SIZE 512

/* How a band pays its slice. */
typedef enum {
    INCENTIVE_RATES_MARGINAL = 0,    /* its own rate on its own slice */
    INCENTIVE_RATES_RETROACTIVE = 1, /* once reached, its rate on every retroactive slice */
} incentive_rates_mode_t;

/* What the bands' bounds measure. */
typedef enum {
    INCENTIVE_RATES_ON_AMOUNT = 0,     /* the base in minor units (not prorated) */
    INCENTIVE_RATES_ON_ATTAINMENT = 1, /* base / prorated quota, ppm */
} incentive_rates_basis_t;

/* What a band's rate multiplies. */
typedef enum {
    INCENTIVE_RATES_PAYS_RATE = 0,   /* rate × slice of the base */
    INCENTIVE_RATES_PAYS_TARGET = 1, /* multiplier × target incentive × slice of attainment */
} incentive_rates_pays_t;

/* What a gate pays once crossed. */
typedef enum {
    INCENTIVE_RATES_GATE_WHOLE = 0,  /* the table on the whole base */
    INCENTIVE_RATES_GATE_EXCESS = 1, /* the table on the base above the gate only */
} incentive_rates_gate_pays_t;

/* One band, [lo, hi) in the table's basis. */
typedef struct {
    int64_t lo;                  /* inclusive: minor units, or ppm of quota */
    int64_t hi;                  /* exclusive; unused when open */
    bool open;                   /* no upper bound (the last band only) */
    int64_t rate_ppm;            /* rate or multiplier, ppm, >= 0 */
    incentive_rates_mode_t mode; /* marginal or retroactive */
} incentive_rates_band_t;

/* A rate table: a plain value, valid once incentive_rates_table_check
   accepted it. */
typedef struct {
    char id[INCENTIVE_RATES_ID_MAX + 1];                     /* rule id on statement lines */
    incentive_rates_basis_t basis;                           /* what bounds measure */
    incentive_rates_pays_t pays;                             /* what rates multiply */
    size_t band_count;                                       /* 1..INCENTIVE_RATES_BANDS_MAX */
    incentive_rates_band_t bands[INCENTIVE_RATES_BANDS_MAX]; /* in order, contiguous */
    bool has_gate;                                           /* nothing below gate_ppm */
    int64_t gate_ppm;                                        /* 1..10^6 attainment */
    incentive_rates_gate_pays_t gate_pays;                   /* whole or excess */
    bool has_payout_cap;                                     /* F is at most payout_cap */
    int64_t payout_cap;                                      /* minor units per full period, >= 0 */
    bool has_attainment_cap;                                 /* the base stops at the cap */
    int64_t attainment_cap_ppm;                              /* > 0 */
} incentive_rates_table_t;

/* What an earning is computed against. */
typedef struct {
    int64_t quota;            /* per full period, the base's unit; > 0 when needed */
    int64_t target_incentive; /* per full period, minor units (PAYS_TARGET) */
    int64_t weight_bp;        /* share of the target incentive, 0..10,000 */
    int64_t active_days;      /* proration: 1..period_days */
    int64_t period_days;      /* 1..INCENTIVE_RATES_DAYS_MAX */
} incentive_rates_context_t;

/* One band's part of a line. */
typedef struct {
    size_t band;                 /* index in the table */
    int64_t lo;                  /* its bounds, in the table's basis */
    int64_t hi;                  /* unused when open */
    bool open;                   /* no upper bound */
    incentive_rates_mode_t mode; /* its mode */
    int64_t rate_ppm;            /* its own rate */
    int64_t applied_rate_ppm;    /* the rate its slice is paid at after the move */
    int64_t amount_micro;        /* its part in millionths of a minor unit, rounded half
                                    away from zero: for the explanation only */
} incentive_rates_part_t;

/* A line and how it is made. */
typedef struct {
    const char *rule;              /* the table's id (borrowed) */
    int64_t amount;                /* F(after) - F(before), rounded once */
    int64_t attainment_before_ppm; /* for display, rounded toward zero */
    int64_t attainment_after_ppm;  /* for display, rounded toward zero */
    bool below_gate;               /* after the move the base is below the gate */
    bool gate_crossed;             /* the move crossed the gate upward or downward */
    bool attainment_capped;        /* the attainment cap stopped the base */
    bool payout_capped;            /* the payout cap bounded F(after) or F(before) */
    size_t part_count;             /* bands whose part changed, in band order */
    incentive_rates_part_t parts[INCENTIVE_RATES_BANDS_MAX];
} incentive_rates_result_t;

/* Names: "marginal" / "retroactive", "amount" / "attainment", "rate" /
   "target_incentive", "whole" / "excess"; and the parse of each (0, or -1
   with *out untouched). */
const char *incentive_rates_mode_name (incentive_rates_mode_t mode);
int incentive_rates_mode_parse (const char *text, incentive_rates_mode_t *mode);

/* Parses a decimal with at most INCENTIVE_RATES_DECIMALS decimals
   ("0.05", "1.5", "12") into ppm, between 0 and max_ppm. Returns 0, or
   -1 with *ppm untouched and the reason in error ("negative", "more than
   6 decimals", "not a decimal", "above <max>"). */
int incentive_rates_ppm_parse (const char *text, int64_t max_ppm, int64_t *ppm, char *error,
                               size_t error_size);

/* Writes ppm as a decimal without trailing zeros (50,000 -> "0.05",
   1,500,000 -> "1.5"); returns buffer (INCENTIVE_RATES_TEXT_SIZE bytes). */
const char *incentive_rates_ppm_text (int64_t ppm, char *buffer, size_t size);

/* Validates table: 1..INCENTIVE_RATES_BANDS_MAX bands, the first from 0,
   each lo < hi, only the last open, consecutive bands contiguous (a gap,
   an overlap or an order problem names both bands), rates 0..rate_max_ppm,
   retroactive rates non-decreasing, a gate in (0, 1], caps >= 0 and > 0.
   Messages are `field "<path>.<list>[i]...": ...` (list: "bands", or
   "tiers" for a SPIFF), bands named as `<list>[i] [lo, hi)`; amount bounds are written as
   value / scale with decimals decimals (scale 1 and 2 for USD money;
   scale 100 and 0 for a count stored in hundredths). Returns 0 or -1. */
int incentive_rates_table_check (const incentive_rates_table_t *table, const char *path,
                                 const char *list, int64_t rate_max_ppm, int decimals,
                                 int64_t scale, char *error, size_t error_size);

/* A bound (or any value in the table's basis) as text for messages and
   canonical forms, as incentive_rates_table_check writes it. */
const char *incentive_rates_bound_text (const incentive_rates_table_t *table, int64_t value,
                                        int decimals, int64_t scale, char *buffer, size_t size);

/* True when context is complete for table: period and active days in
   range, a quota > 0 when the table needs one (attainment bounds, a gate,
   an attainment cap, target pays), values in range. */
bool incentive_rates_context_valid (const incentive_rates_table_t *table,
                                    const incentive_rates_context_t *context);

/* The line for a move of the cumulative base from before to after
   (either order; values in -VALUE_MAX..VALUE_MAX), with its explanation.
   Returns 0, or -1 with *result untouched when the rounded amount does
   not fit an int64 (never for values in range). table valid and context
   valid for it (asserted). */
int incentive_rates_earn (const incentive_rates_table_t *table,
                          const incentive_rates_context_t *context, int64_t before, int64_t after,
                          incentive_rates_result_t *result);

/* F(value) rounded once: what the table has earned in total at value
   (for a true-up). Returns 0 or -1 as incentive_rates_earn. */
int incentive_rates_total (const incentive_rates_table_t *table,
                           const incentive_rates_context_t *context, int64_t value,
                           int64_t *amount);

/* numerator ÷ denominator (> 0) rounded half away from zero: the one
   rounding rule, "half-away-from-zero". */
int64_t incentive_rates_round (int64_t numerator, int64_t denominator);

/* 64-bit limbs of the 256-bit integers the engine computes with. */
#define INCENTIVE_RATES_WIDE_LIMBS 4

/* The engine's exact division, for tests: value (a 256-bit magnitude,
   least significant limb first) ÷ the divisor (high and low 64 bits,
   0 < divisor < 2^126), rounded half away from zero, into *quotient;
   false (untouched) when it reaches INT64_MAX. bit_by_bit: the long
   division every value can take, otherwise the path the engine takes
   (the machine's 128-bit division when value fits 128 bits); both give
   the same answer. */
bool incentive_rates_divide_round (const uint64_t value[INCENTIVE_RATES_WIDE_LIMBS],
                                   uint64_t divisor_high, uint64_t divisor_low, bool bit_by_bit,
                                   int64_t *quotient);

#endif
