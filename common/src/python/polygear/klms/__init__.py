"""STELAR KLMS runtime: the task API (run.sh's contract), the task JSON, and MinIO staging."""
