"""Benchmarks: `make bench` (`python -m bench`). Never part of `make test`.

Measures live in bench/measures/<module>.py, registered with the `@measure` decorator from bench.registry.
"""
