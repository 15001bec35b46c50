#!/bin/bash
# Sums the numbers of sub/numbers.txt and writes the total to total.txt.
total=0
while read -r n; do total=$((total + n)); done < sub/numbers.txt
printf '%s' "$total" > total.txt
echo "total is $total"
