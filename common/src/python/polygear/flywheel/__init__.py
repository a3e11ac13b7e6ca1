"""Flywheel: gears run by fw-gear's GearContext on /flywheel/v0, with .metadata.json and the manifest lint."""
