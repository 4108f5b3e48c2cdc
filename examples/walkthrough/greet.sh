#!/bin/sh
# Activity worker command for the README walkthrough: `stepwise worker` runs
# it once per task with the task input ({"name": "..."}) on stdin; what it
# prints (JSON) is the task's result. A non-zero exit fails the task.
name=$(sed -n 's/.*"name" *: *"\([^"]*\)".*/\1/p')
[ -n "$name" ] || { echo "error: NoName" >&2; echo "the input has no \"name\"" >&2; exit 1; }
printf '{"greeting": "Hello, %s!"}\n' "$name"
