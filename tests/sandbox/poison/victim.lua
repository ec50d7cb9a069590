-- Checked after a poison_*.lua file in the same process: everything here must still work.
print(string.format("the victim's print works (%s %d)", "format", 7))
local function want(ok, what) if not ok then error("poisoned by another file: " .. what, 2) end end
want(type(string) == "table" and type(string.format) == "function", "string.format is gone")
want(string.format("%s-%d", "x", 7) == "x-7", "string.format changed")
want(("abc"):upper() == "ABC", "string methods changed")
want(type(table) == "table" and table.concat({ "a", "b" }, ",") == "a,b", "table.concat changed")
want(math.floor(2.5) == 2, "math.floor changed")
want(os.time() > 1000000000, "os.time changed")
want(utf8.char(72) == "H", "utf8.char changed")
want(type(kf) == "table" and kf.today() ~= "1970-01-01", "kf.today changed")
want(type(tostring) == "function" and type(setmetatable) == "function" and type(assert) == "function", "base functions are gone")
want(_G ~= nil and _G.print == print, "_G is gone")
return workflow { name = "victim", roles = { "a" }, initial = "open",
  states = { { "open" }, { "closed", final = true } },
  transitions = { { "go", from = "open", to = "closed", by = { "a" } } } }
