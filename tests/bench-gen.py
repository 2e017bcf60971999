#!/usr/bin/python3
"""Write a git fast-import stream for a store of N realistic changes.

usage: bench-gen.py N POLICY_FILE | git fast-import
Files are in crq's canonical layout, 1,000 per folder, with varied
fields and multi-line plans (1-2 KB each), like a real store's.
"""
import random
import sys

n = int(sys.argv[1])
policy = open(sys.argv[2], "rb").read()
rnd = random.Random(42)
services = ["billing", "billing-db", "web", "edge", "payments", "search",
            "auth", "mail", "dns", "ci", "storage", "queue"]
states = ["draft", "submitted", "assessed", "authorized", "scheduled",
          "implementing", "completed", "reviewed", "closed", "cancelled"]
levels = ["low", "medium", "high"]
prio = {("high", "high"): "critical", ("high", "medium"): "high",
        ("high", "low"): "medium", ("medium", "high"): "high",
        ("medium", "medium"): "medium", ("medium", "low"): "low",
        ("low", "high"): "medium", ("low", "medium"): "low",
        ("low", "low"): "low"}
out = sys.stdout.buffer


def blob(data):
    out.write(b"data %d\n" % len(data))
    out.write(data)
    out.write(b"\n")


files = [(".crq/policy.yaml", policy)]
for i in range(1, n + 1):
    impact, urgency, risk = (rnd.choice(levels) for _ in range(3))
    svc = rnd.sample(services, rnd.randint(1, 3))
    state = rnd.choice(states)
    day = 1 + i % 28
    lines = [
        "id: CHG-%06d" % i,
        "title: Change %d to %s configuration" % (i, svc[0]),
        "type: normal",
        "state: %s" % state,
        "requester: user%d@example.com" % (i % 50),
        "owner: owner%d@example.com" % (i % 20),
        "services:",
    ] + ["  - %s" % s for s in svc] + [
        "impact: %s" % impact,
        "urgency: %s" % urgency,
        "priority: %s" % prio[(impact, urgency)],
        "risk: %s" % risk,
        "description: |",
        "  Routine maintenance of the %s service, ticket %d. Brings the" % (svc[0], i),
        "  configuration back in line with the baseline agreed by the CAB.",
        "justification: Drift from the baseline raises the risk of outages.",
        "implementation_plan: |",
        "  1. Announce the window in the operations channel.",
        "  2. Apply the change with the standard playbook, host by host.",
        "  3. Watch error rates and latency for 15 minutes per host.",
        "backout_plan: |",
        "  Re-apply the previous configuration from version control and",
        "  restart the affected units.",
        "test_plan: Synthetic checks green; no new alerts for one hour.",
        "window:",
        "  start: '2026-%02d-%02dT02:00:00Z'" % (1 + i % 12, day),
        "  end: '2026-%02d-%02dT04:00:00Z'" % (1 + i % 12, day),
        "tasks:",
        "  - title: Prepare playbook",
        "    owner: owner%d@example.com" % (i % 20),
        "    done: true",
        "created: '2025-%02d-%02dT09:00:00Z'" % (1 + i % 12, day),
        "updated: '2025-%02d-%02dT10:00:00Z'" % (1 + i % 12, day),
    ]
    files.append(("changes/%03d/CHG-%06d.yaml" % (i // 1000, i),
                  ("\n".join(lines) + "\n").encode()))

out.write(b"commit refs/heads/main\n")
out.write(b"committer Bench <bench@example.com> 1700000000 +0000\n")
blob(b"bench store\n")
for path, data in files:
    out.write(b"M 100644 inline %s\n" % path.encode())
    blob(data)
out.write(b"\n")
