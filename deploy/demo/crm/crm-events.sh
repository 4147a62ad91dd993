#!/usr/bin/env bash
# deploy/demo/crm/crm-events.sh - turns the Maven Analytics "CRM Sales
# Opportunities" data set (README.md beside this file) into Salespulse sales
# events, JSON lines on stdout, for `salesctl publish -`.
#
#   crm-events.sh [SALES_PIPELINE_CSV [SALES_TEAMS_CSV [PRODUCTS_CSV]]]
#
# The paths default to the files in this script's folder. Per row of
# sales_pipeline.csv (opportunity_id, sales_agent, product, account,
# deal_stage, engage_date, close_date, close_value), in file order:
#   lead_created   "crm:<opp>:lead"     at engage_date; a row without one
#                                       (Prospecting) at 2017-12-31, the
#                                       data set's last day; estimated_value
#                                       the product's sales_price in
#                                       products.csv (USD; "GTXPro" is that
#                                       file's "GTX Pro": names are compared
#                                       without spaces)
#   stage_changed  "crm:<opp>:engaging" to_stage "Engaging", at engage_date
#                                       (rows that have one)
#   deal_won       "crm:<opp>:won"      at close_date, amount close_value
#                                       USD ("1054.00"), product as written
#                                       (GTXPro kept)
#   deal_lost      "crm:<opp>:lost"     at close_date, reason "lost"
# Every event: source "crm", rep_id = sales_agent, team_id = its manager and
# region_id = its regional_office (from sales_teams.csv), opportunity_id,
# customer_id = account (left out when blank, so an opportunity's events
# share one partition key). Times are midnight UTC of the date.
#
# Plain awk (mawk on Debian 12: no gawk extensions); CRLF or LF line
# endings. Columns are found by their header names. A row that breaks the
# data set's shape (an unknown agent, a malformed date or value, a Won or
# Lost row without close fields) stops the conversion with exit status 1
# and the file and line on stderr; nothing is guessed. The events are held
# until the whole file has been read, so a refused file writes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pipeline=${1:-$here/sales_pipeline.csv}
teams=${2:-$here/sales_teams.csv}
products=${3:-$here/products.csv}
[ $# -le 3 ] || { sed -n '6p' "$0" | sed 's/^#  */usage: /' >&2; exit 2; }
for file in "$pipeline" "$teams" "$products"; do
    [ -r "$file" ] || { echo "crm-events: cannot read \"$file\"" >&2; exit 1; }
done

exec awk -F, -v teams_path="$teams" -v pipeline_path="$pipeline" -v products_path="$products" '
function fail(message) {
    printf "crm-events: %s\n", message > "/dev/stderr"
    failed = 1
    exit 1
}

# A JSON string literal of text (the data is ASCII; quotes, backslashes and
# control characters are escaped all the same).
function quote(text,    out, i, c) {
    out = ""
    for (i = 1; i <= length(text); i++) {
        c = substr(text, i, 1)
        if (c == "\"" || c == "\\")
            out = out "\\" c
        else if (c == "\t")
            out = out "\\t"
        else if (c < " ")
            out = out " "
        else
            out = out c
    }
    return "\"" out "\""
}

# Holds one event line until the whole input has been checked.
function emit(line) {
    events[++event_count] = line
}

function is_date(text) {
    return text ~ /^[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]$/
}

# Maps header names to column numbers in column[]; every name in list is required.
function read_header(list, where,    names, count, i) {
    split("", column)
    for (i = 1; i <= NF; i++)
        column[$i] = i
    count = split(list, names, " ")
    for (i = 1; i <= count; i++)
        if (!(names[i] in column))
            fail(where ": no column \"" names[i] "\" in the header")
}

# The envelope every event of the current row shares, after type and time.
function envelope(type, suffix, date) {
    return "{\"event_id\":" quote("crm:" opportunity ":" suffix) ",\"source\":\"crm\",\"type\":\"" \
        type "\",\"occurred_at\":\"" date "T00:00:00Z\",\"rep_id\":" quote(agent) \
        ",\"team_id\":" quote(manager[agent]) ",\"region_id\":" quote(office[agent]) \
        (account == "" ? "" : ",\"customer_id\":" quote(account)) \
        ",\"opportunity_id\":" quote(opportunity)
}

{ sub(/\r$/, "") }

FILENAME == teams_path && FNR == 1 {
    read_header("sales_agent manager regional_office", teams_path ":1")
    agent_column = column["sales_agent"]; manager_column = column["manager"]
    office_column = column["regional_office"]
    next
}
FILENAME == teams_path {
    if ($0 == "")
        next
    manager[$agent_column] = $manager_column
    office[$agent_column] = $office_column
    next
}

# Product names compared without spaces: the pipeline spells "GTX Pro" "GTXPro".
function product_key(name,    key) {
    key = name
    gsub(/ /, "", key)
    return key
}

FILENAME == products_path && FNR == 1 {
    read_header("product sales_price", products_path ":1")
    product_column = column["product"]; price_column = column["sales_price"]
    next
}
FILENAME == products_path {
    if ($0 == "")
        next
    if ($price_column !~ /^[0-9]+$/)
        fail(products_path ":" FNR ": sales_price \"" $price_column "\" is not a whole number")
    price[product_key($product_column)] = $price_column
    next
}

FILENAME == pipeline_path && FNR == 1 {
    read_header("opportunity_id sales_agent product account deal_stage engage_date close_date close_value",
                pipeline_path ":1")
    c_opportunity = column["opportunity_id"]; c_agent = column["sales_agent"]
    c_product = column["product"]; c_account = column["account"]; c_stage = column["deal_stage"]
    c_engage = column["engage_date"]; c_close = column["close_date"]; c_value = column["close_value"]
    header_seen = 1
    next
}
FILENAME == pipeline_path {
    if ($0 == "")
        next
    where = pipeline_path ":" FNR
    opportunity = $c_opportunity; agent = $c_agent; product = $c_product; account = $c_account
    stage = $c_stage; engage = $c_engage; closed = $c_close; value = $c_value
    if (opportunity !~ /^[A-Za-z0-9._:-]+$/)
        fail(where ": opportunity_id \"" opportunity "\" is not usable in an event_id")
    if (!(agent in manager))
        fail(where ": sales_agent \"" agent "\" is not in " teams_path)
    if (engage != "" && !is_date(engage))
        fail(where ": engage_date \"" engage "\" is not a YYYY-MM-DD date")

    if (!(product_key(product) in price))
        fail(where ": product \"" product "\" is not in " products_path)
    emit(envelope("lead_created", "lead", engage == "" ? "2017-12-31" : engage) \
        ",\"currency\":\"USD\",\"estimated_value\":\"" price[product_key(product)] ".00\"}")
    if (engage != "")
        emit(envelope("stage_changed", "engaging", engage) ",\"to_stage\":\"Engaging\"}")

    if (stage == "Won" || stage == "Lost") {
        if (!is_date(closed))
            fail(where ": close_date \"" closed "\" of a " stage " row is not a YYYY-MM-DD date")
        if (stage == "Won") {
            if (value !~ /^[0-9]+$/)
                fail(where ": close_value \"" value "\" of a Won row is not a whole number")
            sub(/^0+/, "", value)
            if (value == "")
                value = "0"
            emit(envelope("deal_won", "won", closed) ",\"currency\":\"USD\",\"amount\":\"" value \
                ".00\"" (product == "" ? "" : ",\"product\":" quote(product)) "}")
        } else
            emit(envelope("deal_lost", "lost", closed) ",\"reason\":\"lost\"}")
    } else if (stage != "Engaging" && stage != "Prospecting")
        fail(where ": deal_stage \"" stage "\" is not Prospecting, Engaging, Won or Lost")
    next
}

END {
    if (failed)
        exit 1
    if (!header_seen)
        fail(pipeline_path ": no header row")
    for (i = 1; i <= event_count; i++)
        print events[i]
}
' "$products" "$teams" "$pipeline"
