"""SD2E-style pipelines: identity exactly as SD2E's Data Catalog computes it, tokens, definitions, CWL."""
