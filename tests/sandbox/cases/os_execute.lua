-- expect: field 'execute'
-- os keeps only time, date and clock: no running commands.
os.execute("id > /tmp/kinflow-sandbox-escaped")
