"""Rule rewards: each takes a whole batch and returns a float32 NumPy array (NaN = cannot judge)."""
