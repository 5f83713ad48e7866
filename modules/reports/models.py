"""The reports module's rows."""
