"""Test helpers only (loopback servers, running built artifacts); runtime code never imports this."""
