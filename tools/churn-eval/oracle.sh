#!/usr/bin/env bash
# tools/churn-eval/oracle.sh - who actually stopped buying in the UCI "Online
# Retail" customer subset, and the best recency-only churn rule, computed
# straight from the CSV file, independently of Salespulse's code and of
# deploy/demo/retail/retail-events.sh (README.md beside this file).
#
#   oracle.sh [--cutoffs YYYY-MM-DD,...] [--out DIR] [RETAIL_CSV]
#
# RETAIL_CSV defaults to ../shared/data/uci-online-retail/
# online_retail_customers_mod4.csv beside the repository, --cutoffs to
# 2011-06-30,2011-07-31,2011-08-31,2011-09-08 and --out to this script's
# folder. All days are UTC calendar days of InvoiceDate; an invoice's day is
# that of its earliest line. A purchase is an invoice whose number does not
# start with "C" (whatever its amount); "C" invoices (credit notes) count for
# nothing here. For each cutoff C (ascending; C + 91 must fall before the
# data's last day, which is partial):
#   customers  the customers with a purchase on or before C; L = the last one
#   churned    those of them with no purchase on C+1 .. C+91
#   churn day  K = L + 91, the day they had gone 91 days without buying
#   baseline   "no purchase for more than D days": flags r = C - L > D; it
#              first fired on A = L + D + 1; D in 1..365 with the best F1 =
#              2TP / (2TP + FP + FN) (exact fractions; ties: the smallest D)
#   lead time  of a true positive K - A days (= 90 - D for this rule)
# Writes DIR/oracle.tsv, DIR/baseline.tsv, DIR/baseline-by-d.tsv and the
# markdown fragment DIR/baseline.md (formats in README.md), each replaced
# only when the whole file has been read and checked. A malformed row stops
# with exit status 1, the file and line on stderr, and writes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cutoffs=2011-06-30,2011-07-31,2011-08-31,2011-09-08
out=$here
usage() { sed -n '7p' "$0" | sed 's/^#  */usage: /' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --cutoffs) [ $# -ge 2 ] || usage; cutoffs=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        --) shift; break ;;
        -?*) usage ;;
        *) break ;;
    esac
done
[ $# -le 1 ] || usage
shared=$here/../../../shared/data/uci-online-retail/online_retail_customers_mod4.csv
retail=${1:-$( [ -r "$shared" ] && echo "$shared" || echo "$here/../../deploy/demo/retail/online_retail_customers_mod4.csv.gz" )}
source_name=$(basename "${retail%.gz}")
shown=$retail # messages name the file given
plain=""
if [ "${retail%.gz}" != "$retail" ]; then # the repository's gzipped copy
    plain=$(mktemp); trap 'rm -f "$plain"' EXIT; gzip -dc "$retail" > "$plain"; retail=$plain
fi
[ -r "$retail" ] || { echo "oracle: cannot read \"$retail\"" >&2; exit 1; }
if [ ! -d "$out" ] || [ ! -w "$out" ]; then
    echo "oracle: \"$out\" is not a writable folder" >&2
    exit 1
fi
digest=$(sha256sum < "$retail" | cut -d' ' -f1)

work=$(mktemp -d "$out/.oracle.XXXXXX")
trap 'rm -rf "$work" ${plain:+"$plain"}' EXIT

LC_ALL=C awk -v retail_path="$shown" -v cutoff_list="$cutoffs" -v work="$work" \
    -v digest="$digest" -v data_name="$source_name" '
function fail(message) {
    printf "oracle: %s\n", message > "/dev/stderr"
    failed = 1
    exit 1
}

# The current line as CSV fields in cell[1..n] (RFC 4180, one line per
# record); returns n.
function cells(where,    n, i, c, quoted, value, text) {
    split("", cell)
    text = $0
    if (index(text, "\"") == 0)
        return split(text, cell, ",")
    n = 1; value = ""; quoted = 0
    for (i = 1; i <= length(text); i++) {
        c = substr(text, i, 1)
        if (quoted) {
            if (c != "\"")
                value = value c
            else if (substr(text, i + 1, 1) == "\"") {
                value = value c
                i++
            } else {
                quoted = 0
                if (i < length(text) && substr(text, i + 1, 1) != ",")
                    fail(where ": text after a closing quote")
            }
        } else if (c == ",") {
            cell[n++] = value
            value = ""
        } else if (c == "\"" && value == "" && (i == 1 || substr(text, i - 1, 1) == ","))
            quoted = 1
        else if (c == "\"")
            fail(where ": a stray quote")
        else
            value = value c
    }
    if (quoted)
        fail(where ": a quoted field is not closed")
    cell[n] = value
    return n
}

# Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
function day_number(year, month, day,    era, yoe, doy, doe) {
    year -= month <= 2
    era = int((year >= 0 ? year : year - 399) / 400)
    yoe = year - era * 400
    doy = int((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
    doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    return era * 146097 + doe - 719468
}

# "YYYY-MM-DD" of a day number.
function day_text(z,    era, doe, yoe, doy, mp, day, month, year) {
    z += 719468
    era = int((z >= 0 ? z : z - 146096) / 146097)
    doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    year = yoe + era * 400
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
    mp = int((5 * doy + 2) / 153)
    day = doy - int((153 * mp + 2) / 5) + 1
    month = mp + (mp < 10 ? 3 : -9)
    return sprintf("%04d-%02d-%02d", year + (month <= 2), month, day)
}

# Day number of "YYYY-MM-DD...", or -1 when the date does not exist.
function parse_day(text,    year, month, day) {
    if (text !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/)
        return -1
    year = substr(text, 1, 4) + 0; month = substr(text, 6, 2) + 0; day = substr(text, 9, 2) + 0
    if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1971)
        return -1
    if (day_text(day_number(year, month, day)) != substr(text, 1, 10))
        return -1
    return day_number(year, month, day)
}

function ratio(numerator, denominator) {
    return denominator == 0 ? "0.0000" : sprintf("%.4f", numerator / denominator)
}

# Sorts list[1..n] ascending (numbers), in place.
function sort_numbers(list, n,    i, j, v) {
    for (i = 2; i <= n; i++) {
        v = list[i]
        for (j = i - 1; j >= 1 && list[j] > v; j--)
            list[j + 1] = list[j]
        list[j + 1] = v
    }
}

function median(list, n,    sum) {
    if (n == 0)
        return ""
    sort_numbers(list, n)
    if (n % 2)
        return list[(n + 1) / 2] ""
    sum = list[n / 2] + list[n / 2 + 1]
    return sum % 2 == 0 ? sum / 2 "" : sprintf("%.1f", sum / 2)
}

function thousands(n,    text) {
    text = n ""
    while (text ~ /[0-9][0-9][0-9][0-9]/)
        sub(/[0-9][0-9][0-9]($|,)/, ",&", text)
    return text
}

BEGIN {
    horizon = 91
    cutoff_count = split(cutoff_list, cutoff_text, ",")
    for (k = 1; k <= cutoff_count; k++) {
        if (cutoff_text[k] !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/ || parse_day(cutoff_text[k]) < 0)
            fail("cutoff \"" cutoff_text[k] "\" is not a YYYY-MM-DD date")
        cutoff[k] = parse_day(cutoff_text[k])
        if (k > 1 && cutoff[k] <= cutoff[k - 1])
            fail("cutoffs must be in ascending order, " cutoff_text[k] " follows " cutoff_text[k - 1])
    }
}

{ sub(/\r$/, "") }

FNR == 1 {
    columns = cells(retail_path ":1")
    for (i = 1; i <= columns; i++)
        column[cell[i]] = i
    split("InvoiceNo InvoiceDate CustomerID", needed, " ")
    for (i = 1; i <= 3; i++)
        if (!(needed[i] in column))
            fail(retail_path ":1: no column \"" needed[i] "\" in the header")
    c_invoice = column["InvoiceNo"]; c_date = column["InvoiceDate"]; c_customer = column["CustomerID"]
    next
}
$0 != "" {
    where = retail_path ":" FNR
    if (cells(where) != columns)
        fail(where ": not " columns " fields")
    invoice = cell[c_invoice]; customer = cell[c_customer]; when = cell[c_date]
    if (invoice !~ /^C?[0-9]+$/)
        fail(where ": InvoiceNo \"" invoice "\" is neither digits nor C and digits")
    if (customer == "")
        fail(where ": CustomerID is blank (a guest line)")
    if (customer !~ /^[0-9]+\.0$/)
        fail(where ": CustomerID \"" customer "\" is not a whole number written like 13748.0")
    sub(/\.0$/, "", customer)
    customer += 0
    if (when !~ /^[0-9-]+ [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$/ || parse_day(when) < 0)
        fail(where ": InvoiceDate \"" when "\" is not a YYYY-MM-DD HH:MM:SS time")
    day = parse_day(when)
    if (!(customer in known)) {
        known[customer] = 1
        customer_list[++customer_count] = customer
    }
    if (!(invoice in invoice_day)) {
        invoice_list[++invoice_count] = invoice
        invoice_customer[invoice] = customer
        invoice_day[invoice] = day
    } else if (invoice_customer[invoice] != customer)
        fail(where ": invoice " invoice " names customer " customer ", its earlier lines " invoice_customer[invoice])
    else if (day < invoice_day[invoice])
        invoice_day[invoice] = day
    if (first_time == "" || when < first_time)
        first_time = when
    if (when > last_time)
        last_time = when
}

END {
    if (failed)
        exit 1
    if (invoice_count == 0)
        fail(retail_path ": no data rows")
    first_day = parse_day(first_time); last_day = parse_day(last_time)
    for (k = 1; k <= cutoff_count; k++)
        if (cutoff[k] + horizon >= last_day)
            fail("cutoff " cutoff_text[k] ": its window ends " day_text(cutoff[k] + horizon) \
                ", not before " day_text(last_day) ", the data'"'"'s last (partial) day")
        else if (cutoff[k] < first_day)
            fail("cutoff " cutoff_text[k] " is before the data'"'"'s first day " day_text(first_day))

    # Purchase days per customer (credit notes left out).
    for (i = 1; i <= invoice_count; i++) {
        invoice = invoice_list[i]
        if (substr(invoice, 1, 1) == "C") {
            credit_notes++
            continue
        }
        customer = invoice_customer[invoice]
        purchase_day[customer, ++purchases[customer]] = invoice_day[invoice]
    }
    sort_numbers(customer_list, customer_count)
    for (i = 1; i <= customer_count; i++)
        if (purchases[customer_list[i]] > 0)
            buyers++

    oracle = work "/oracle.tsv"; by_d = work "/baseline-by-d.tsv"; summary = work "/baseline.tsv"
    md = work "/baseline.md"
    print "cutoff\tcustomer_id\tlast_purchase\tdays_since\tchurned\tchurn_day\tnext_purchase" > oracle
    print "cutoff\tD\tflagged\ttp\tfp\tfn\tprecision\trecall\tf1" > by_d
    print "cutoff\twindow_end\tcustomers\tchurned\tD\tD_same_f1_up_to\tflagged\ttp\tfp\tfn\tprecision\trecall\tf1\tmedian_lead_days\tf1_flag_all" > summary

    for (k = 1; k <= cutoff_count; k++) {
        C = cutoff[k]
        population = 0; churners = 0
        split("", at_recency); split("", churn_at_recency)
        for (i = 1; i <= customer_count; i++) {
            customer = customer_list[i]
            last = -1; next_day = -1
            for (j = 1; j <= purchases[customer]; j++) {
                d = purchase_day[customer, j]
                if (d <= C && d > last)
                    last = d
                if (d > C && (next_day < 0 || d < next_day))
                    next_day = d
            }
            if (last < 0)
                continue
            population++
            churned = next_day < 0 || next_day > C + horizon
            churners += churned
            recency[customer] = C - last
            at_recency[C - last]++
            if (churned)
                churn_at_recency[C - last]++
            last_of[customer] = last
            churned_of[customer] = churned
            printf "%s\t%d\t%s\t%d\t%d\t%s\t%s\n", cutoff_text[k], customer, day_text(last), C - last,
                churned, churned ? day_text(last + horizon) : "", next_day < 0 ? "" : day_text(next_day) > oracle
        }

        # flagged / tp for "r > D", D = 1..365, from the histogram of r.
        best = 0
        for (D = 1; D <= 365; D++) {
            flagged = 0; tp = 0
            for (r in at_recency)
                if (r + 0 > D) {
                    flagged += at_recency[r]
                    tp += churn_at_recency[r]
                }
            fp = flagged - tp; fn = churners - tp
            printf "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", cutoff_text[k], D, flagged, tp, fp, fn,
                ratio(tp, flagged), ratio(tp, churners), ratio(2 * tp, 2 * tp + fp + fn) > by_d
            # F1 = 2tp / (2tp + fp + fn), compared exactly by cross-multiplying
            if (!best || 2 * tp * best_den > best_num * (2 * tp + fp + fn)) {
                best = D; best_num = 2 * tp; best_den = 2 * tp + fp + fn
                best_flagged = flagged; best_tp = tp; best_fp = fp; best_fn = fn; best_last = D
            } else if (2 * tp * best_den == best_num * (2 * tp + fp + fn))
                best_last = D
        }
        # A plateau that ends before 365 is only the run of equal F1 right after best.
        plateau = best
        while (plateau < best_last) {
            flagged = 0; tp = 0
            for (r in at_recency)
                if (r + 0 > plateau + 1) {
                    flagged += at_recency[r]
                    tp += churn_at_recency[r]
                }
            if (2 * tp * best_den != best_num * (2 * tp + (flagged - tp) + (churners - tp)))
                break
            plateau++
        }

        leads = 0
        split("", lead)
        for (i = 1; i <= customer_count; i++) {
            customer = customer_list[i]
            if ((customer in churned_of) && churned_of[customer] && recency[customer] > best)
                lead[++leads] = (last_of[customer] + horizon) - (last_of[customer] + best + 1)
        }
        middle = median(lead, leads)
        split("", churned_of); split("", recency); split("", last_of)

        # flagging every customer: tp = churners, fp = the others, fn = 0
        flag_all = ratio(2 * churners, churners + population)
        row[k] = sprintf("%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s",
            cutoff_text[k], day_text(C + horizon), population, churners, best, plateau, best_flagged,
            best_tp, best_fp, best_fn, ratio(best_tp, best_flagged), ratio(best_tp, churners),
            ratio(best_num, best_den), middle, flag_all)
        print row[k] > summary
        md_row[k] = sprintf("| %s | %s .. %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
            cutoff_text[k], day_text(C + 1), day_text(C + horizon), thousands(population),
            thousands(churners), best (plateau > best ? " (" best "-" plateau ")" : ""),
            thousands(best_flagged), best_tp, best_fp, best_fn, ratio(best_tp, best_flagged),
            ratio(best_tp, churners), ratio(best_num, best_den), middle == "" ? "-" : middle " d", flag_all)
    }

    print "<!-- generated by tools/churn-eval/oracle.sh; do not edit, run it again -->" > md
    print "### Recency-only baseline" > md
    print "" > md
    printf "Data: `%s` (sha256 `%s`), %s invoices (%s of them credit notes) of %s customers, %s to %s.\n",
        data_name, digest, thousands(invoice_count), thousands(credit_notes), thousands(customer_count),
        substr(first_time, 1, 16), substr(last_time, 1, 16) > md
    print "" > md
    print "At each cutoff C, the customers are those with a purchase (an invoice not starting with `C`) on or" > md
    print "before C; a customer **churned** when no purchase follows in the 91 days after C (C+1 .. C+91, UTC" > md
    print "days). The rule \"no purchase for more than D days\" flags a customer whose last purchase L has" > md
    print "C - L > D; D is the one of 1..365 with the best F1 (ties: the smallest D; the range in brackets" > md
    print "gives the same F1). Lead time of a true positive: churn day (L + 91, when the customer had gone" > md
    print "91 days without buying) minus the day the rule first fired (L + D + 1), which for this rule is" > md
    print "always 90 - D. For scale, the last column is the F1 of flagging every customer." > md
    print "" > md
    print "| cutoff | churn window | customers | churned | best D | flagged | TP | FP | FN | precision | recall | F1 | median lead | F1 flag all |" > md
    print "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" > md
    for (k = 1; k <= cutoff_count; k++)
        print md_row[k] > md
    close(oracle); close(by_d); close(summary); close(md)
}
' "$retail"

for file in oracle.tsv baseline.tsv baseline-by-d.tsv baseline.md; do
    mv -f "$work/$file" "$out/$file"
done
