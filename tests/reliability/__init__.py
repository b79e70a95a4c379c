"""The reliability suite: a real ``registrum serve`` under abuse, each test bounded in time.

- ``test_crash``: kill -9 in the middle of a publish storm loses no acknowledged publish and
  leaves the change feed gap-free;
- ``test_races``: fifty identical publishes at once give exactly one success;
- ``test_soak``: a short mixed load leaves no 5xx, every acknowledged write readable, and
  memory where it started;
- ``test_slow_clients``: clients that read their answers slowly, or not at all, hold up no one.
"""
