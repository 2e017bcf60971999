#!/usr/bin/env python3
"""Model-based test of crq verify.

Generates random legal sessions with the crq binary itself (several
members, all three change types, pull-request branches approved and
merged, policy changes, code commits, a moving clock): crq refuses what
the policy forbids and writes nothing, so whatever lands is legal, and
`crq verify` must accept every history.  Then a mutator takes commits of
those histories and applies one operator each with plain git and a
member's key (change a derived field, drop or copy an approval, re-sign
as another member, re-date, re-parent, merge -s ours, octopus, orphan
root, trailers on a code commit, evil merge, unsigned copy, wrong
trailers).  Every mutant must be refused, naming one of its new commits,
unless it is byte-identical to the original step.

usage: model.py CRQ SEEDS MUTANTS_PER_SEED [FIRST_SEED]
Prints TAP; exits 1 on any failure.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

CRQ = os.path.abspath(sys.argv[1])
SEEDS = int(sys.argv[2])
MUTANTS = int(sys.argv[3])
FIRST = int(sys.argv[4]) if len(sys.argv) > 4 else 1

MEMBERS = {
    "alice": ["admin", "requester", "change-manager"],
    "bob": ["change-manager", "cab", "implementer", "reviewer"],
    "carol": ["cab", "security", "ecab"],
    "dave": ["requester", "implementer", "security"],
}
DERIVED = ["state", "updated", "created", "requester", "priority",
           "review_due", "approvals"]
START = 1795428000  # 2026-11-23T10:00:00Z

ntest = 0
nfail = 0


def tap(ok, what):
    global ntest, nfail
    ntest += 1
    if not ok:
        nfail += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", ntest, what), flush=True)


class Session:
    def __init__(self, seed, top):
        self.rng = random.Random(seed)
        self.top = top
        self.home = os.path.join(top, "home")
        self.keys = os.path.join(top, "keys")
        os.makedirs(self.home)
        os.makedirs(self.keys)
        self.now = START
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("GIT_") or k in ("CI", "CRQ_DATADIR"):
                del self.env[k]
        self.env.update(HOME=self.home, GIT_CONFIG_NOSYSTEM="1",
                        LC_ALL="C", TZ="UTC")
        for m in MEMBERS:
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                            "-C", m, "-f", self.key(m)], check=True,
                           stdin=subprocess.DEVNULL)
        self.git("config", "--global", "user.name", "alice", cwd=top)
        self.git("config", "--global", "user.email", "alice@example.com",
                 cwd=top)
        self.git("config", "--global", "gpg.format", "ssh", cwd=top)
        self.git("config", "--global", "user.signingkey", self.key("alice"),
                 cwd=top)
        self.git("config", "--global", "init.defaultBranch", "main",
                 cwd=top)
        self.repo = os.path.join(top, "s")

    def key(self, m):
        return os.path.join(self.keys, m)

    def tick(self):
        self.now += self.rng.choice([0, 1, 7, 60, 600, 3600])
        return self.now

    def menv(self, who, t=None):
        e = dict(self.env)
        t = self.now if t is None else t
        e.update(GIT_AUTHOR_NAME=who, GIT_AUTHOR_EMAIL=who + "@example.com",
                 GIT_COMMITTER_NAME=who,
                 GIT_COMMITTER_EMAIL=who + "@example.com",
                 GIT_AUTHOR_DATE="@%d +0000" % t,
                 GIT_COMMITTER_DATE="@%d +0000" % t)
        return e

    def git(self, *args, cwd=None, env=None, input=None, check=True):
        r = subprocess.run(["git"] + list(args), cwd=cwd or self.repo,
                           env=env or self.env, input=input,
                           capture_output=True, text=True)
        if check and r.returncode:
            raise RuntimeError("git %s: %s" % (" ".join(args), r.stderr))
        return r.stdout.strip()

    def crq(self, who, *args, cwd=None, t=None):
        r = subprocess.run([CRQ, "-c", "user.signingkey=" + self.key(who)]
                           + list(args), cwd=cwd or self.repo,
                           env=self.menv(who, t), capture_output=True,
                           text=True, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout.strip(), r.stderr.strip()

    # -- the generator -------------------------------------------------
    def build(self, steps):
        rc, _, err = self.crq("alice", "init", self.repo, cwd=self.top)
        assert rc == 0, err
        self.root = self.git("rev-parse", "HEAD")
        for m, roles in MEMBERS.items():
            if m == "alice":
                continue
            args = ["member", "add", m + "@example.com", "--name", m,
                    "--key", self.key(m) + ".pub"]
            for r in roles:
                args += ["--role", r]
            self.tick()
            rc, _, err = self.crq("alice", *args)
            assert rc == 0, err
        self.ids = []
        for _ in range(steps):
            if self.rng.random() < 0.12:
                self.pull_request()
            else:
                self.step()
        self.tip = self.git("rev-parse", "HEAD")

    def any_id(self):
        return self.rng.choice(self.ids) if self.ids else None

    def step(self, only=None):
        rng = self.rng
        who = rng.choice(list(MEMBERS))
        self.tick()
        r = rng.random()
        cid = only or self.any_id()
        if (r < 0.15 and not only) or not cid:
            kind = rng.choice(["normal", "normal", "emergency", "standard"])
            if kind == "standard":
                args = ["new", "--template",
                        rng.choice(["os-patch", "cert-renewal"])]
            else:
                args = ["new", "--title", "change %d" % len(self.ids),
                        "--type", kind, "--service",
                        rng.choice(["db", "web", "billing"]),
                        "--impact", rng.choice(["low", "medium", "high"]),
                        "--urgency", rng.choice(["low", "medium", "high"]),
                        "--set", "implementation_plan=do it",
                        "--set", "backout_plan=undo it",
                        "--set", "test_plan=check it"]
                if kind == "emergency":
                    args += ["--set", "incident=INC-%d" % rng.randint(1, 99)]
            rc, out, _ = self.crq(who, *args)
            if rc == 0:
                self.ids.append(out.splitlines()[-1])
            return
        if r < 0.2 and not only:
            self.policy_step()
            return
        if r < 0.25 and not only:
            open(os.path.join(self.repo, "code.txt"), "a").write("x\n")
            self.git("add", "code.txt")
            self.git("commit", "-q", "-m", "code", env=self.menv(who))
            return
        state = self.state(cid)
        likely = {
            "draft": ["submit", "submit", "edit", "cancel"],
            "submitted": ["assess", "assess", "approve", "reject"],
            "assessed": ["approve", "approve", "approve", "reject", "edit"],
            "authorized": ["schedule", "schedule", "start", "cancel"],
            "scheduled": ["start", "start", "schedule"],
            "implementing": ["complete", "complete", "fail"],
            "completed": ["review", "close"],
            "failed": ["review"],
            "reviewed": ["close"],
        }.get(state, ["comment"])
        action = rng.choice(likely + ["comment"])
        if rng.random() < 0.8:
            who = rng.choice(self.may(action))
        args = [action, cid]
        if action == "assess":
            args += ["--risk", rng.choice(["low", "medium", "high"])]
        elif action == "schedule":
            # soon, so that a later start falls in the window (in-window)
            s = self.now + rng.choice([60, 600])
            args += ["--start", stamp(s), "--end",
                     stamp(s + rng.choice([7200, 86400]))]
        elif action in ("complete",):
            args += ["--close-code", rng.choice(["successful",
                                                  "successful_with_issues"])]
        elif action in ("review", "comment"):
            args += ["-m", "note %d" % self.now]
        elif action == "edit":
            args = ["set", cid, "description=edited at %d" % self.now]
        self.crq(who, *args)

    def state(self, cid):
        import yaml
        num = int(cid.split("-")[1])
        p = os.path.join(self.repo, "changes", "%03d" % (num // 1000),
                         cid + ".yaml")
        try:
            return yaml.safe_load(open(p)).get("state")
        except OSError:
            return None

    @staticmethod
    def may(action):
        return {
            "submit": ["alice", "dave"], "edit": ["alice", "dave"],
            "cancel": ["alice", "bob"], "assess": ["alice", "bob"],
            "approve": ["alice", "bob", "carol", "dave"],
            "reject": ["bob", "carol"], "schedule": ["bob"],
            "start": ["bob", "dave"], "complete": ["bob", "dave"],
            "fail": ["bob", "dave"], "review": ["bob", "alice"],
            "close": ["alice", "bob"],
        }.get(action, list(MEMBERS))

    def policy_step(self):
        rng = self.rng
        m = rng.choice(["bob", "carol", "dave"])
        role = rng.choice(["cab", "security", "implementer", "reviewer",
                           "requester"])
        if rng.random() < 0.5:
            self.crq("alice", "role", "grant", m + "@example.com", role)
        else:
            self.crq("alice", "role", "revoke", m + "@example.com", role)

    def pull_request(self):
        """A branch with steps on one change, merged with a merge commit
        while main made no step on that change (main may do others)."""
        cid = self.any_id()
        if not cid:
            return
        name = "pr%d" % self.now
        self.git("checkout", "-q", "-b", name)
        for _ in range(self.rng.randint(1, 3)):
            self.step(only=cid)
        self.git("checkout", "-q", "main")
        for _ in range(self.rng.randint(0, 2)):
            other = [i for i in self.ids if i != cid]
            if other:
                self.step(only=self.rng.choice(other))
        self.tick()
        self.git("merge", "-q", "--no-ff", "-m", "Merge " + name, name,
                 env=self.menv("bob"))

    def verify(self, rev, extra=(), cache=True):
        # signatures checked ahead by 3 worker threads, against none
        # and no cache (neither crq's nor libgit2's object cache, whose
        # place a long walk's own tree memo takes): the same answer
        env = dict(self.menv("alice"), CRQ_THREADS="3")
        if not cache:
            env = dict(env, CRQ_CACHE="off", CRQ_THREADS="0",
                       CRQ_UNCACHED_WALK="0")
        r = subprocess.run([CRQ, "verify", "--trust", self.root] +
                           list(extra) + [rev], cwd=self.repo,
                           env=env, capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    # -- the mutator ---------------------------------------------------
    def steps(self):
        out = self.git("rev-list", "--parents", self.tip, "^" + self.root)
        res = []
        for line in out.splitlines():
            ids = line.split()
            if len(ids) == 2:
                msg = self.git("log", "-1", "--format=%B", ids[0])
                if "Crq-Action:" in msg:
                    res.append(ids)
        return res

    def commit(self, tree, parents, msg, who, t, sign=True, author=None):
        args = ["commit-tree", tree, "-m", msg]
        for p in parents:
            args += ["-p", p]
        if sign:
            args = ["-c", "gpg.format=ssh", "-c",
                    "user.signingkey=" + self.key(who)] + args + ["-S"]
        env = self.menv(who, t)
        if author:
            env.update(GIT_AUTHOR_NAME=author,
                       GIT_AUTHOR_EMAIL=author + "@example.com")
        return self.git(*args, env=env)

    def tree_with(self, base, path, text):
        idx = os.path.join(self.top, "index.tmp")
        env = dict(self.env, GIT_INDEX_FILE=idx)
        self.git("read-tree", base, env=env)
        if text is None:
            self.git("rm", "-q", "--cached", path, env=env)
        else:
            blob = self.git("hash-object", "-w", "--stdin", input=text)
            self.git("update-index", "--add", "--cacheinfo",
                     "100644,%s,%s" % (blob, path), env=env)
        t = self.git("write-tree", env=env)
        os.unlink(idx)
        return t

    def info(self, c):
        fmt = self.git("log", "-1", "--format=%ce%n%ct", c).split("\n")
        who = fmt[0].split("@")[0]
        msg = self.git("log", "-1", "--format=%B", c) + "\n"
        files = self.git("diff-tree", "--no-commit-id", "--name-only", "-r",
                         c + "^", c).split()
        return who, int(fmt[1]), msg, files

    def touches_other(self, p, files):
        """Did p (against its first parent) change a crq file that is
        not one of files?  Then c re-parented past it carries that
        change as a second file of its own, which no step may."""
        pp = self.git("rev-parse", p + "^")
        names = self.git("diff-tree", "--no-commit-id", "--name-only", "-r",
                         pp, p).split()
        return any(n not in files for n in names if
                   n.startswith(("changes/", ".crq/")))

    def mutate(self, c, p):
        """One mutant of step c (parent p): (name, new tip, new commits)."""
        rng = self.rng
        who, t, msg, files = self.info(c)
        tree = self.git("rev-parse", c + "^{tree}")
        ptree = self.git("rev-parse", p + "^{tree}")
        path = files[0] if files else None
        text = self.git("show", "%s:%s" % (c, path)) + "\n" if path else None
        action = re.search(r"^Crq-Action: (\S+)", msg, re.M)
        action = action.group(1) if action else "?"
        others = [m for m in MEMBERS if m != who]
        ops = ["unsigned", "orphan", "codetrailers", "trailer"]
        # legal mutants are no mutants: a merge that drops a step which
        # changed nothing loses nothing, and a step re-parented past one
        # on its own file may well be legal on that content (an edit
        # overwrites the edit before it): re-parent only past a step on
        # another file
        if files:
            ops += ["ours", "octopus", "evil"]
        mine = files
        cid = re.search(r"^Crq-Change: (\S+)", msg, re.M)
        if not mine and cid:
            n = int(cid.group(1).split("-")[1])
            mine = ["changes/%03d/%s.yaml" % (n // 1000, cid.group(1))]
        if p != self.root and self.touches_other(p, mine):
            ops += ["reparent"]
        if path and path.startswith("changes/"):
            # (a policy step holds no time: re-dated it is legal)
            ops += ["field", "field", "approval", "redate"]
            if action in ("create", "approve", "reject", "review"):
                ops += ["resign"]
        op = rng.choice(ops)
        if op == "field":
            f = rng.choice(DERIVED + (["title"] if action not in
                                      ("create", "edit") else []))
            lines = text.split("\n")
            new = None
            for i, l in enumerate(lines):
                if l.startswith(f + ":"):
                    if f == "approvals":
                        new = lines[:i] + lines[i + 1:]
                        # dropping the key alone leaves its items: drop
                        # them too
                        j = i
                        while j < len(new) and new[j].startswith("  "):
                            del new[j]
                    else:
                        new = lines[:i] + ["%s: '%s'" % (f, {
                            "updated": "2026-11-20T00:00:00Z",
                            "created": "2026-11-20T00:00:00Z",
                            "review_due": "2099-01-01T00:00:00Z",
                        }.get(f, {"state": "closed", "requester":
                                  "carol@example.com", "priority": "low",
                                  "title": "changed"}.get(f)))] + \
                            lines[i + 1:]
                    break
            if new is None:
                at = next(i for i, l in enumerate(lines)
                          if l.startswith("created:"))
                val = {"approvals": ["approvals:", "- by: bob@example.com",
                                     "  role: cab", "  decision: approved",
                                     "  at: '2026-11-23T10:00:00Z'",
                                     "  digest: sha256:" + "0" * 64]}.get(
                    f, ["%s: '2099-01-01T00:00:00Z'" % f
                        if f in ("review_due",) else
                        "%s: low" % f if f == "priority" else
                        "%s: x@example.com" % f])
                new = lines[:at] + val + lines[at:]
            nt = self.tree_with(tree, path, "\n".join(new))
            m = self.commit(nt, [p], msg, who, t)
            return op + ":" + f, m, [m]
        if op == "approval":
            lines = text.split("\n")
            if "approvals:" in lines:
                i = lines.index("approvals:")
                j = i + 1
                while j < len(lines) and lines[j].startswith(("- ", "  ")):
                    j += 1
                items = lines[i + 1:j]
                if rng.random() < 0.5 and len(items) >= 5:
                    new = lines[:j - 5] + lines[j:]     # drop the last
                    if new[i + 1:i + 2] == [] or not new[i + 1].startswith("-"):
                        new = new[:i] + new[i + 1:]
                else:
                    new = lines[:j] + items[-5:] + lines[j:]  # copy it
            else:
                at = next(i for i, l in enumerate(lines)
                          if l.startswith("created:"))
                new = lines[:at] + [
                    "approvals:", "- by: %s@example.com" % others[0],
                    "  role: cab", "  decision: approved",
                    "  at: '2026-11-23T10:00:00Z'",
                    "  digest: sha256:" + "1" * 64] + lines[at:]
            nt = self.tree_with(tree, path, "\n".join(new))
            m = self.commit(nt, [p], msg, who, t)
            return op, m, [m]
        if op == "resign":
            m = self.commit(tree, [p], msg, rng.choice(others), t)
            return op, m, [m]
        if op == "redate":
            m = self.commit(tree, [p], msg, who, t + rng.choice([-5, 1, 97]))
            return op, m, [m]
        if op == "unsigned":
            m = self.commit(tree, [p], msg, who, t, sign=False)
            return op, m, [m]
        if op == "reparent" and p != self.root:
            pp = self.git("rev-parse", p + "^")
            m = self.commit(tree, [pp], msg, who, t)
            return op, m, [m]
        if op in ("ours", "octopus"):
            parents = [p, c]
            if op == "octopus":
                side = self.commit(self.tree_with(ptree, "side.txt", "s\n"),
                                   [p], "side", who, t, sign=False)
                parents.append(side)
            m = self.commit(ptree, parents, "merge", who, t, sign=False)
            return op, m, [m]
        if op in ("orphan", "reparent"):
            r = self.commit(tree, [], "crq: initialise change store", who, t)
            m = self.commit(tree, [p, r], "merge", who, t, sign=False)
            return op, m, [r, m]
        if op == "codetrailers":
            nt = self.tree_with(ptree, "code.txt", "trailers\n")
            m = self.commit(nt, [p], msg, who, t)
            return op, m, [m]
        if op == "evil":
            side = self.commit(self.tree_with(ptree, "side.txt", "s\n"),
                               [p], "side", who, t, sign=False)
            evil = self.tree_with(tree, "side.txt", "s\n")
            m = self.commit(evil, [p, side], "merge", who, t, sign=False)
            return op, m, [m]
        # trailer: say another state than the step made
        nm = re.sub(r"^Crq-To: .*$", "Crq-To: closed", msg, flags=re.M)
        if nm == msg:
            nm = msg.rstrip("\n") + "\nCrq-Digest: sha256:" + "2" * 64 + "\n"
        m = self.commit(tree, [p], nm, who, t)
        return op, m, [m]


def violations(out):
    """The violation lines of crq verify's output (the summary line,
    which counts the commits walked, differs with the cache)."""
    return sorted(l for l in out.splitlines()
                  if not re.match(r"^\d+ commits? checked", l))


def stamp(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    keep = os.environ.get("KEEP")
    for seed in range(FIRST, FIRST + SEEDS):
        top = tempfile.mkdtemp(prefix="crq-model.")
        try:
            s = Session(seed, top)
            s.build(steps=int(os.environ.get("MODEL_STEPS", "45")))
            rc, out = s.verify(s.tip)
            n = len(s.git("rev-list", s.tip).split())
            tap(rc == 0, "seed %d: the generated history (%d commits, %d "
                "changes) verifies clean" % (seed, n, len(s.ids)))
            if rc:
                print("#   " + out.replace("\n", "\n#   "))
                continue
            steps = s.steps()
            seen = {}
            bad = nfail
            for k in range(MUTANTS):
                c, p = s.rng.choice(steps)
                name, tip, new = s.mutate(c, p)
                if tip == c:
                    continue    # byte-identical: the legal step itself
                rc, out = s.verify(tip)
                named = any(x in out for x in new)
                good = rc == 1 and named
                # the verdict cache (warm from the history and the
                # mutants before) and the signature threads change what
                # is walked and where, never the answer: the violations
                # are those of a single-threaded walk without the cache
                rc0, out0 = s.verify(tip, cache=False)
                if rc0 != rc or violations(out0) != violations(out):
                    tap(False, "seed %d mutant %d (%s of %.10s): the same "
                        "answer without the cache" % (seed, k, name, c))
                    print("#   cached %d: %s\n#   uncached %d: %s" % (
                        rc, out.replace("\n", "\n#   "), rc0,
                        out0.replace("\n", "\n#   ")))
                seen[name.split(":")[0]] = seen.get(name.split(":")[0], 0) + 1
                if not good:
                    tap(False, "seed %d mutant %d (%s of %.10s) refused" %
                        (seed, k, name, c))
                    print("#   exit %d: %s" % (rc, out.replace(
                        "\n", "\n#   ")))
            tap(bad == nfail, "seed %d: %d mutants, each refused naming one of its "
                "commits (%s)" % (seed, sum(seen.values()), ", ".join(
                    "%s %d" % kv for kv in sorted(seen.items()))))
        finally:
            if keep:
                print("# kept " + top)
            else:
                shutil.rmtree(top, ignore_errors=True)
    print("1..%d" % ntest)
    sys.exit(1 if nfail else 0)


main()
