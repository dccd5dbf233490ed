"""Benchmarks: vermilion side by side with raw redis-py, pottery and walrus (``python bench/run.py``)."""
