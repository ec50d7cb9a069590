-- expect: boom from __pairs
-- expect-guard: is not met
-- A workflow table whose __pairs raises (the engine iterates the spec's fields).
do
  local evil = setmetatable({ name = "evil", roles = { "a" }, initial = "open",
                              states = { { "open" }, { "closed", final = true } }, transitions = {} },
                            { __pairs = function() error("boom from __pairs") end })
  return case == nil and workflow(evil) or false, evil
end
