"""SQLite for the embedded mode, with writers taking turns in order instead of polling.

SQLite allows one writer at a time. When a second one arrives it retries with growing sleeps
(its busy handler), so under a burst of writes some requests wait hundreds of milliseconds
while others slip past. In the embedded mode all writers live in one process, so a lock in
the process makes them queue in order: each write transaction takes it at BEGIN and gives it
back at COMMIT or ROLLBACK.
"""
