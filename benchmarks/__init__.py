"""numbersync's benchmarks, run by `make bench` (`python -m benchmarks`): plan against a bare fetch,
apply against a rate-limited server, CLI start-up. Every figure is a median of several runs with
its spread, and every ratio is measured in the same run, since the machine may be shared and noisy.
"""
