#!/bin/sh
# the uploaded environment's script: adds up numbers and writes the total
total=$((1 + 2 + 3))
echo "total is $total"
printf %s "$total" > total.txt
