-- expect: field 'remove'
-- No deleting files.
os.remove("/tmp/kinflow-sandbox-victim")
