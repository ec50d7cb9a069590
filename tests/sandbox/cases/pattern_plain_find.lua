-- expect: string.find:
-- A plain find is O(text x needle): a 512 KiB needle against 1 MiB of text is ~6 s in
-- one C call, past the 5 s deadline, and no hook can stop it; it must be bounded before
-- it starts (the pattern checks skip plain finds entirely).
local r = ("a"):rep(2^20):find(("a"):rep(2^19) .. "b", 1, true)
