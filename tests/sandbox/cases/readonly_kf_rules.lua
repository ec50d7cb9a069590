-- expect: kf.rules is read-only
-- Planting a rule that every guard would find.
kf.rules.consent_recorded = function() return true end
