"""D4Science CCP: Methods (OGC API - Processes descriptions with lifecycle scripts) from tool manifests."""
