-- expect: first line of the message
-- A message with a newline must still come out as one line.
error("first line of the message\nsecond line of the message")
