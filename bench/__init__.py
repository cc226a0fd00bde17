"""The benchmark: every hot path against its physical baseline, measured in the same run."""
