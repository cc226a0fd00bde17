"""The domain: aggregates, their events and the policy's rules. Pure Python, no I/O."""
