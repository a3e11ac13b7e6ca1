"""Create a new tool (a Flywheel gear that also runs as a KLMS tool) from the skeleton."""
