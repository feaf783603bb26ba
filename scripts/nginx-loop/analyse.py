"""Answer times of scripts/nginx-loop/client.c (seconds after SIGCONT, in connect order): first, last, slope per connection."""
import json
import sys

label, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
n = len(d)
s = sorted(t for t in d if t >= 0)
a, b = int(n * 0.1), int(n * 0.9)
slope = (s[b] - s[a]) / (b - a)
in_order = sum(1 for i in range(1, n) if d[i] >= d[i - 1]) / (n - 1)
print(f"{label}: {len(s)}/{n} answered, first {s[0] * 1e3:.2f} ms, last {s[-1] * 1e3:.2f} ms, "
      f"{slope * 1e6:.1f} us per connection (middle 80 %), in connect order {in_order:.2f}")
