#!/usr/bin/env bash
# `make lint`: static checks over every tracked and new C file.
#  1. forbidden unsafe functions (sprintf, vsprintf, strcpy, strcat, gets,
#     atoi, atol, atoll, strtok, tmpnam): use snprintf, memcpy, strtoll...
#  2. cppcheck (warning, performance, portability; errors fail the run).
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
[ ${#files[@]} -gt 0 ] || { echo "lint: no C files"; exit 0; }

status=0
unsafe='(^|[^_[:alnum:]])(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|atoll|strtok|tmpnam)[[:space:]]*\('
if grep -nE "$unsafe" "${files[@]}"; then
    echo "lint: unsafe functions above: use snprintf, memcpy, strtoll (with checks), strtok_r"
    status=1
fi

cppcheck --quiet --error-exitcode=1 --std=c11 --language=c \
    --enable=warning,performance,portability \
    --inline-suppr --suppress=missingIncludeSystem \
    -Icommon/contract -Icommon/seams -Icommon/service -Icommon/consumer -Itests/integration/harness --suppress=missingInclude \
    -D__GNUC__ "${files[@]}" || status=1

[ $status -eq 0 ] && echo "lint: clean (${#files[@]} files)"
exit $status
