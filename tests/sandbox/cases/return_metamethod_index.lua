-- expect: boom from __index
-- expect-guard: is not met
-- Values handed back whose metamethods raise: at the top, a workflow table whose
-- fields raise when read; in a guard, false with such a table as the reason.
do
  local evil = setmetatable({}, { __index = function() error("boom from __index") end })
  return case == nil and workflow(evil) or false, evil
end
