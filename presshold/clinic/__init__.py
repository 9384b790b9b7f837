"""The therapist's practice: clients, their own signal, thresholds and progress across visits.

Pure domain logic (pydantic and the standard library only), importable without the server: the
HTTP layer (``presshold.server.routes.clients``) only validates, calls and serialises.
"""
