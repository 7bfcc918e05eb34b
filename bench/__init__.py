"""Benchmarks (not tests): synthetic data, peers, a load generator and recorded results."""
