-- expect: global 'collectgarbage'
-- No steering the collector (it could stop it and defeat the memory cap's timing).
collectgarbage("stop")
