"""The desktop app's window, panel, input, clock and conversation log (entry: viz/app.py)."""
