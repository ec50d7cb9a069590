-- expect: global 'dofile'
-- No running other files.
dofile("/etc/passwd")
