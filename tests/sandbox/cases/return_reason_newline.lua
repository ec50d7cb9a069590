-- expect: returned boolean
-- expect-guard: reason on line one
-- A guard's reason with a newline must still make a one-line refusal.
do return false, "reason on line one\nreason on line two" end
