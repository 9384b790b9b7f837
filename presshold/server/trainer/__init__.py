"""Trainer mode on the server: storage (``repository``), the protocol library (``library``), runs
on stations (``service``), CSV (``tables``, through
:mod:`presshold.traceio.csv_safe`) and the printable pages (``reports``). The domain
rules live in :mod:`presshold.training`; this package only stores, schedules I/O and renders.
"""
