"""Simulated viewers through the pure fold and the report maths give exactly the expected report."""
