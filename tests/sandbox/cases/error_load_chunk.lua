-- expect: boom inside a loaded chunk
-- An error raised by code made with load() must still name the file that loaded it.
load("error('boom inside a loaded chunk')")()
