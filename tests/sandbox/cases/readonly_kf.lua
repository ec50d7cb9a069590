-- expect: read-only table 'kf'
-- Poisoning the kf API that every file shares.
kf.today = function() return "1970-01-01" end
