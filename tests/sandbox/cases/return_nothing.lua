-- expect: returned nil
-- expect-guard: is not met
-- A guard that returns nothing is not met; a file that returns nothing is no workflow.
do return end
