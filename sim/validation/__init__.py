"""Validation against the literature (evidence.md) and calibration to Swedish data (sweden.md)."""
