-- expect: read-only library 'table'
table.insert = nil
