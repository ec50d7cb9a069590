-- expect: boom from __tostring
-- expect-guard: is not met
-- A name (top) or reason (guard) whose __tostring raises.
do
  local evil = setmetatable({}, { __tostring = function() error("boom from __tostring") end,
                                  __concat = function() error("boom from __concat") end,
                                  __len = function() error("boom from __len") end })
  return case == nil and workflow({ name = evil }) or false, evil
end
