#!/usr/bin/env bash
# deploy/demo/retail/retail-events.sh - turns the UCI "Online Retail"
# customer subset (README.md beside this file) into Salespulse sales events,
# JSON lines on stdout, for `salesctl publish -`.
#
#   retail-events.sh [RETAIL_CSV]
#
# RETAIL_CSV defaults to ../shared/data/uci-online-retail/
# online_retail_customers_mod4.csv beside the repository. Columns (found by
# their header names): InvoiceNo, StockCode, Description, Quantity,
# InvoiceDate, UnitPrice (GBP), CustomerID, Country. One event per invoice,
# in the order of the invoices' first lines:
#   order_placed  "retail:<InvoiceNo>"  customer_id = CustomerID without its
#                                       ".0" ("13748.0" -> "13748"),
#                                       order_id = InvoiceNo, currency "GBP",
#                                       amount = the sum of Quantity x
#                                       UnitPrice over the invoice's lines
#                                       ("204.00"), occurred_at = the
#                                       invoice's earliest InvoiceDate, read
#                                       as UTC ("2010-12-01T09:00:00Z")
# An invoice whose number starts with "C" is a cancellation or credit note:
# its quantities are negative and so is its amount (docs/events.md allows
# negative order amounts for returns and credit notes). Every event has
# source "retail" and no rep_id: the data names no sales rep. The data has
# no payments, so no payment_received is made up.
#
# Money is exact: UnitPrice is read as a decimal (at most 3 decimals) into
# integers of 1/1000 GBP, never as a floating-point number; the invoice's
# total is rounded to whole pence, half away from zero, only at the end
# (one invoice of the subset, 550193, has a 0.001 price: 2042.761 -> 2042.76).
#
# Plain awk (mawk on Debian 12: no gawk extensions); CSV as in RFC 4180 on
# single lines (quoted Descriptions with commas and doubled quotes), CRLF or
# LF line endings. A row that breaks the data set's shape (a wrong number of
# fields, a blank or malformed CustomerID, an InvoiceNo that is neither
# digits nor "C" and digits, a malformed date, quantity or price, a
# quantity whose sign does not match the invoice kind, an invoice whose lines
# name different customers) stops the conversion with exit status 1 and the
# file and line on stderr; nothing is guessed. The events are held until the
# whole file has been read, so a refused file writes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=$here/../../../../shared/data/uci-online-retail/online_retail_customers_mod4.csv
retail=${1:-$( [ -r "$shared" ] && echo "$shared" || echo "$here/online_retail_customers_mod4.csv.gz" )}
shown=$retail # messages name the file given
if [ "${retail%.gz}" != "$retail" ]; then # the repository's gzipped copy
    plain=$(mktemp); trap 'rm -f "$plain"' EXIT; gzip -dc "$retail" > "$plain"; retail=$plain
fi
[ $# -le 1 ] || { sed -n '6p' "$0" | sed 's/^#  */usage: /' >&2; exit 2; }
[ -r "$retail" ] || { echo "retail-events: cannot read \"$retail\"" >&2; exit 1; }

awk -v retail_path="$shown" '
function fail(message) {
    printf "retail-events: %s\n", message > "/dev/stderr"
    failed = 1
    exit 1
}

# Splits the current line into field[1..n] as CSV (RFC 4180, one line per
# record); returns n. Refuses stray or unbalanced quotes.
function split_csv(where,    n, rest, value, i, c) {
    split("", field)
    if (index($0, "\"") == 0)
        return split($0, field, ",")
    n = 0
    rest = $0
    while (1) {
        value = ""
        if (substr(rest, 1, 1) == "\"") {
            i = 2
            while (1) {
                if (i > length(rest))
                    fail(where ": a quoted field is not closed")
                c = substr(rest, i, 1)
                if (c == "\"") {
                    if (substr(rest, i + 1, 1) == "\"") {
                        value = value "\""
                        i += 2
                        continue
                    }
                    break
                }
                value = value c
                i++
            }
            rest = substr(rest, i + 1)
            if (rest != "" && substr(rest, 1, 1) != ",")
                fail(where ": text after the closing quote of field " (n + 1))
        } else {
            i = index(rest, ",")
            value = i ? substr(rest, 1, i - 1) : rest
            if (index(value, "\""))
                fail(where ": a quote inside unquoted field " (n + 1))
            rest = i ? substr(rest, i) : ""
        }
        field[++n] = value
        if (rest == "")
            return n
        rest = substr(rest, 2)
        if (rest == "") {
            field[++n] = ""
            return n
        }
    }
}

function days_in_month(year, month) {
    if (month == 2)
        return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
    return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31
}

# "YYYY-MM-DD HH:MM:SS" naming a real time of day on a real date.
function is_time(text,    year, month) {
    if (text !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/)
        return 0
    year = substr(text, 1, 4) + 0; month = substr(text, 6, 2) + 0
    return year >= 1971 && month >= 1 && month <= 12 && substr(text, 9, 2) + 0 >= 1 &&
        substr(text, 9, 2) + 0 <= days_in_month(year, month) && substr(text, 12, 2) + 0 <= 23 &&
        substr(text, 15, 2) + 0 <= 59 && substr(text, 18, 2) + 0 <= 59
}

# A price "I" or "I.F" with at most 3 decimals, as an integer of 1/1000 GBP.
function price_mils(text,    dot, whole, fraction) {
    dot = index(text, ".")
    whole = dot ? substr(text, 1, dot - 1) : text
    fraction = dot ? substr(text, dot + 1) : ""
    while (length(fraction) < 3)
        fraction = fraction "0"
    return whole * 1000 + fraction
}

# pence (an integer) as a decimal string with 2 decimals: -1234 -> "-12.34".
function money(pence,    sign, magnitude, cents) {
    sign = pence < 0 ? "-" : ""
    magnitude = pence < 0 ? -pence : pence
    cents = magnitude % 100
    return sign sprintf("%.0f", (magnitude - cents) / 100) "." sprintf("%02d", cents)
}

# Maps header names to column numbers in column[]; every name in list is required.
function read_header(list, where,    names, count, i) {
    split("", column)
    for (i = 1; i <= header_count; i++)
        column[field[i]] = i
    count = split(list, names, " ")
    for (i = 1; i <= count; i++)
        if (!(names[i] in column))
            fail(where ": no column \"" names[i] "\" in the header")
}

BEGIN { limit = 1000000000000000 }   # 10^15: beyond it sums would lose exactness

{ sub(/\r$/, "") }

FNR == 1 {
    header_count = split_csv(retail_path ":1")
    read_header("InvoiceNo Quantity InvoiceDate UnitPrice CustomerID", retail_path ":1")
    c_invoice = column["InvoiceNo"]; c_quantity = column["Quantity"]; c_date = column["InvoiceDate"]
    c_price = column["UnitPrice"]; c_customer = column["CustomerID"]
    header_seen = 1
    next
}
{
    if ($0 == "")
        next
    where = retail_path ":" FNR
    if (split_csv(where) != header_count)
        fail(where ": " split_csv(where) " fields, the header has " header_count)
    invoice = field[c_invoice]; quantity = field[c_quantity]; when = field[c_date]
    price = field[c_price]; customer = field[c_customer]

    if (invoice !~ /^C?[0-9]+$/)
        fail(where ": InvoiceNo \"" invoice "\" is neither digits (a purchase) nor C and digits (a credit note)")
    if (customer == "")
        fail(where ": CustomerID is blank (a guest line: no customer to place the order for)")
    if (customer !~ /^[0-9]+\.0$/)
        fail(where ": CustomerID \"" customer "\" is not a whole number written like 13748.0")
    sub(/\.0$/, "", customer)
    if (!is_time(when))
        fail(where ": InvoiceDate \"" when "\" is not a YYYY-MM-DD HH:MM:SS time")
    if (quantity !~ /^-?[0-9]+$/ || length(quantity) > 10)
        fail(where ": Quantity \"" quantity "\" is not a whole number")
    if (price !~ /^[0-9]+(\.[0-9]+)?$/ || length(price) > 13)
        fail(where ": UnitPrice \"" price "\" is not a non-negative decimal such as 2.55")
    if (price ~ /\.[0-9][0-9][0-9][0-9]/)
        fail(where ": UnitPrice \"" price "\" has more than 3 decimals")
    if (substr(invoice, 1, 1) == "C" ? quantity + 0 >= 0 : quantity + 0 <= 0)
        fail(where ": Quantity " quantity " on " (substr(invoice, 1, 1) == "C" ? \
            "credit note " invoice " is not negative" : "purchase invoice " invoice " is not positive"))

    line_mils = quantity * price_mils(price)
    if (line_mils > limit || -line_mils > limit)
        fail(where ": Quantity x UnitPrice is out of range")
    if (!(invoice in owner)) {
        order[++invoice_count] = invoice
        owner[invoice] = customer
        first[invoice] = when
        total[invoice] = 0
    } else if (owner[invoice] != customer)
        fail(where ": invoice " invoice " is for customer " customer ", its earlier lines for " owner[invoice])
    if (when < first[invoice])
        first[invoice] = when
    total[invoice] += line_mils
    if (total[invoice] > limit || -total[invoice] > limit)
        fail(where ": the total of invoice " invoice " is out of range")
    next
}

END {
    if (failed)
        exit 1
    if (!header_seen)
        fail(retail_path ": no header row")
    for (i = 1; i <= invoice_count; i++) {
        invoice = order[i]
        mils = total[invoice]
        # whole pence, half away from zero
        pence = mils < 0 ? -int((-mils + 5) / 10) : int((mils + 5) / 10)
        when = first[invoice]
        printf "{\"event_id\":\"retail:%s\",\"source\":\"retail\",\"type\":\"order_placed\"," \
            "\"occurred_at\":\"%sT%sZ\",\"customer_id\":\"%s\",\"currency\":\"GBP\"," \
            "\"amount\":\"%s\",\"order_id\":\"%s\"}\n",
            invoice, substr(when, 1, 10), substr(when, 12, 8), owner[invoice], money(pence), invoice
    }
}
' "$retail"
