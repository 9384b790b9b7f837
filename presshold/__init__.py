"""PressHold: live, measured feedback on sustained manual-therapy pressure.

Layers (imports point one way): ``firmware_bridge`` -> ``signal`` <- ``server``.
``signal`` is pure NumPy/SciPy; the dashboard speaks only the documented HTTP/websocket API.
"""

__version__ = "0.1.0"
