"""Trainer mode's domain: protocols of scored trials, their schedule, the run state machine and
the scoring. Pure (pydantic, NumPy and :mod:`presshold.signal` only): the server, the CLI and
tests import it without the web stack.

Modules: ``protocols`` (the protocol model, validation, the built-ins), ``schedule`` (a protocol
expanded into trial plans, the faded-feedback schedule), ``scoring`` (per-trial metrics, the
0-100 score, references, the pass rule), ``machine`` (the run's phases, driven by pipeline
events and the clock).
"""
