"""Risk: event ingestion and address screening (detectors and alerts come later)."""
