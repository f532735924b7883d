#!/usr/bin/env bash
# Recompute the golden draw of golden_population.csv + golden_plan.toml with coreutils only
# (sha256sum, sort, awk): no shuangsuiji code is involved. The sample sizes per stratum are the
# hand-worked allocation of docs/algorithm.md:
#   T1 (scope GV-1): A 1, B 1, C 2, D 1      (floor binds: ratio 4/19)
#   T2 (scope GV-1.T2): region=410302 6, region=410303 4   (tie of remainders broken by label)
# Output: task,stratum,uscc,ticket for every selected entity, in (task, stratum, ticket) order.
set -euo pipefail
cd "$(dirname "$0")"
seed=$(printf '%s' 'shuangsuiji test vector' | sha256sum | cut -c1-64)
tickets() {  # scope column -> "stratum uscc ticket" for operating entities
  local scope=$1 col=$2
  awk -F, 'NR > 1 && $5 == "存续" {print $'"$col"', $1}' golden_population.csv |
  while read -r value code; do
    printf '%s %s %s\n' "$value" "$code" "$(printf '%s' "$seed:$scope:$code" | sha256sum | cut -c1-64)"
  done
}
take() {  # task stratum_column value n
  local task=$1 name=$2 value=$3 n=$4
  grep "^$value " | LC_ALL=C sort -k3,3 | head -n "$n" | awk -v t="$task" -v s="$name=$value" '{print t "," s "," $2 "," $3}'
}
t1=$(tickets GV-1 3)
for spec in "A 1" "B 1" "C 2" "D 1"; do set -- $spec; printf '%s\n' "$t1" | take T1 credit_class "$1" "$2"; done
t2=$(tickets GV-1.T2 4)
for spec in "410302 6" "410303 4"; do set -- $spec; printf '%s\n' "$t2" | take T2 region "$1" "$2"; done
