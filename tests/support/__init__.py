"""Helpers shared by the test packages (importable as ``support`` via pytest's pythonpath)."""
