-- expect: error object is a table value
-- An error object whose __tostring itself fails: the engine must not call it blindly.
error(setmetatable({}, { __tostring = function() error("boom from __tostring") end }))
