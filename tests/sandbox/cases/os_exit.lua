-- expect: field 'exit'
-- No ending the engine's process from a workflow.
os.exit(0)
