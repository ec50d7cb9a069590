-- expect: read-only library 'string'
string.upper = nil
