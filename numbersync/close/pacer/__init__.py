"""The pacer: spends Close's rate-limit budget without provoking 429s and without idling.

One `Bucket` per HTTP method, shared by all threads, follows every limit the `RateLimit` header
has shown it. docs/pacing.md describes the model; the pieces are:

- `window`: one limit's window, and the bracket of its end;
- `flights`: the requests sent and not yet answered;
- `refusals`: what 429s tell;
- `meter`: the decisions (send now, or wait how long), single-threaded, on given times;
- `bucket`: threads waiting on the meter, and the `Pacer` that keeps a bucket per method.
"""

from numbersync.close.pacer.bucket import Bucket, Pacer
from numbersync.close.pacer.meter import Ticket

__all__ = ["Bucket", "Pacer", "Ticket"]
