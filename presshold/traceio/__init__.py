"""Trace files: the formats PressHold writes and reads (CSV, Parquet, MAT, FHIR R4).

Pure format code — columns and metadata in, bytes out, and files back to arrays — kept apart from
``presshold.signal`` (which does no I/O) and from the server (which supplies the sessions):

- ``csv_safe``: the one CSV-writing helper (quoting and formula-injection neutralising);
- ``columns``: the trace columns every export shares, settings in force per sample included;
- ``session_csv``, ``parquet_io``, ``mat_io``, ``fhir``: the export formats;
- ``read`` (with ``csv_read``, ``plotter_log`` and ``trace``): read a trace — our CSV/Parquet,
  a time/force CSV, a Serial Plotter log — for analysis, replay and import.
"""
