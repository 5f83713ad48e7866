"""The privacy module's rows."""
