"""OGC application packages: every tool as CWL (EOAP `$graph`) and an OGC API Processes deploy document."""
