#!/usr/bin/env python3
"""Fuzz the argv of every crq command.

usage: argv-fuzz.py CRQ STORE AUX

Runs crq in STORE (a store made by tests/e2e/t22-argv.sh; AUX holds its
helper files) with argument vectors built from a grammar of each command
and subcommand: every option without its value, with another option as
its value, with empty and 100 KB values, given twice, in shuffled
orders, unknown options, options of other commands, stray and missing
positional arguments.  Every usage error, and every fourth valid
vector, runs through crq batch as well.  Each command's vectors run in
a copy of STORE of their own, FUZZ_JOBS (default: up to 4 cores) at a
time; FUZZ_SAMPLE=N runs every Nth valid vector only (default 3 when
ASAN_OPTIONS is set, as make check does: the sanitizers are slow).

Rules checked for every run:
  - no crash: no signal, no exit status >= 130, no sanitizer report
    (make check sets exitcode=99), no timeout;
  - wrong usage exits 129 with a 'usage: ' line on stderr and nothing
    on stdout;
  - valid usage never exits 129 (0, 1, 128: whatever the store says).

Prints one TAP line per command without a number ("ok - ..." or
"not ok - ..."), the failing vectors as '#' lines under it; the e2e
test numbers them.  Deterministic:
a fixed seed, a fixed order, each command from the same store.
"""
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys

SEED = 22
LONG = "x" * (100 * 1024)
EMPTY = ""
# free-form values that must never upset the parser
ODD = [EMPTY, LONG, "%s%n%(id)", "a b\tc", "\u00fcn\u00ef", "-", "-1",
       "- item"]
TIMEOUT = 30
# run every SAMPLE-th vector of valid usage (the sanitizers make each
# run that opens the store ten times slower)
SAMPLE = int(os.environ.get("FUZZ_SAMPLE", "0")) or \
    (3 if "ASAN_OPTIONS" in os.environ else 1)
MAX_SHOWN = 12


class Opt:
    """An option taking a value.  choices, or valid(v): what the
    command itself accepts (anything else is wrong usage); without
    them any value is valid usage (the store may still refuse it)."""

    def __init__(self, name, values, alias=None, choices=None,
                 repeat=False, odd=None, valid=None):
        self.name = name
        self.values = values
        self.alias = alias
        self.choices = choices
        self.repeat = repeat
        self.valid = valid		# the command's own check of a value
        self.free = choices is None and valid is None
        # odd values to try: free-form ones, or outside what it accepts
        self.odd = odd if odd is not None else \
            ODD if self.free else [EMPTY, LONG, "bogus"]

    def accepts(self, v):
        if self.choices is not None:
            return v in self.choices
        return self.valid(v) if self.valid else True


class Cmd:
    def __init__(self, words, pos=(), minpos=None, maxpos=None, opts=(),
                 flags=(), required=(), conflicts=(), pos_valid=None,
                 cwd=None, mode_opt=False):
        self.words = list(words)	# "member", "add"
        self.pos = list(pos)		# valid positional arguments
        self.minpos = len(self.pos) if minpos is None else minpos
        self.maxpos = len(self.pos) if maxpos is None else maxpos
        self.opts = list(opts)
        self.flags = list(flags)
        self.required = list(required)	# option names always needed
        self.conflicts = list(conflicts)
        # per positional: the command's own check of its value, or None
        self.pos_valid = list(pos_valid or []) + [None] * len(self.pos)
        # the required option selects a mode: without it, another one
        self.mode_opt = mode_opt
        self.cwd = cwd			# run there instead of the store

    @property
    def name(self):
        return " ".join(self.words)

    def opt(self, name):
        for o in self.opts:
            if o.name == name or o.alias == name:
                return o
        return None


def is_time(v):
    """What crq takes for a time: RFC 3339 (or epoch seconds, as git)."""
    return (len(v) >= 20 and v[:4].isdigit() and v[10] in "Tt") or \
        (v.isdigit() and v.isascii())


def specs(aux):
    cid = "CHG-000001"
    msg = Opt("-m", ["why"], alias="--message")
    role = Opt("--role", ["cab"])

    def act(name, opts=(), required=(), flags=()):
        return Cmd([name], pos=[cid], opts=[msg] + list(opts),
                   required=required, flags=flags)

    cmds = [
        Cmd(["init"], pos=["init-dir"], minpos=0, cwd=aux),
        Cmd(["new"], opts=[
            Opt("--title", ["T"]),
            Opt("--type", ["normal"]),
            Opt("--impact", ["low"]),
            Opt("--urgency", ["low"]),
            Opt("--risk", ["low"]),
            Opt("--window", ["2027-01-01T00:00:00Z/2027-01-01T01:00:00Z"],
                valid=lambda v: "/" in v.strip("/"),
                odd=[EMPTY, LONG, "a/b", "/b", "a/"]),
            Opt("--template", ["cert-renewal"]),
            Opt("--file", [aux + "/fields.yaml"], alias="-F"),
            Opt("--service", ["web"], repeat=True),
            Opt("--set", ["owner=bob@example.com"], repeat=True,
                valid=lambda v: "=" in v and v[0] != "=" and
                v.index("=") < 256),
        ], required=["--title"], flags=["-e"]),
        Cmd(["show"], pos=[cid], flags=["--json"]),
        Cmd(["list"], opts=[
            Opt("--state", ["draft", "submitted"], repeat=True,
                choices=["draft", "submitted", "closed"]),
            Opt("--type", ["normal"], choices=["normal", "standard",
                                               "emergency"]),
            Opt("--risk", ["low"], choices=["low", "medium", "high"]),
            Opt("--service", ["web"]),
            Opt("--requester", ["alice@example.com"]),
            Opt("--needs", ["cab", "alice@example.com"]),
            Opt("--sla", ["breached"], choices=["breached", "at-risk"]),
            Opt("--format", ["%(id) %(window.start)%n", "%(title)"],
                odd=[EMPTY, LONG, "a b", "100%%"]),
        ], flags=["--json", "--overdue"],
            conflicts=[("--json", "--format")]),
        Cmd(["log"], pos=[cid], flags=["--json"]),
        Cmd(["sla"], pos=[cid], minpos=0,
            flags=["--json", "--at-risk", "--breached", "--all"],
            opts=[Opt("--at", ["2026-11-23T12:00:00Z"], valid=is_time)]),
        Cmd(["calendar"], opts=[
            Opt("--from", ["2026-11-23T00:00:00Z"], valid=is_time),
            Opt("--to", ["2027-01-01T00:00:00Z"], valid=is_time),
            Opt("--service", ["web"], valid=lambda v: v != ""),
        ], flags=["--json", "--ics"], conflicts=[("--json", "--ics")]),
        Cmd(["events"], opts=[
            Opt("--since", ["2026-11-23T00:00:00Z", "HEAD~1"]),
            Opt("--until", ["2027-01-01T00:00:00Z", "HEAD"]),
        ], flags=["--json"]),
        Cmd(["escalate"], opts=[
            Opt("--at", ["2026-11-23T12:00:00Z"], valid=is_time),
        ], flags=["--json", "--dry-run"]),
        Cmd(["gate"], opts=[
            Opt("--service", ["web"]),
            Opt("--at", ["2026-11-23T12:00:00Z"], valid=is_time),
            Opt("--trust", ["HEAD"]),
        ], flags=["--json"], required=["--service"]),
        Cmd(["deploy"], pos=[cid], opts=[
            Opt("--ref", ["0123456789abcdef0123456789abcdef01234567"],
                valid=lambda v: len(v) in (40, 64) and
                all(c in "0123456789abcdef" for c in v)),
            Opt("--artifact", ["sha256:" + "ab" * 32],
                valid=lambda v: ":" in v and v.index(":") > 0 and
                32 <= len(v) - v.index(":") - 1 <= 128 and
                all(c in "0123456789abcdef" for c in v[v.index(":") + 1:])),
            Opt("--environment", ["prod"]),
            msg,
        ], required=["--ref"]),
        Cmd(["edit"], pos=[cid]),
        Cmd(["set"], pos=[cid, "description=d"], maxpos=4,
            pos_valid=[None, lambda v: "=" in v and v[0] != "="]),
        act("submit"),
        act("assess", [Opt("--risk", ["low"]), Opt("--impact", ["low"]),
                       Opt("--urgency", ["low"])]),
        act("approve", [role]),
        Cmd(["approve"], pos=[cid], opts=[
            Opt("--from-review", [aux + "/reviews.json"]),
            Opt("--forge", ["github", "gitlab"],
                choices=["github", "gitlab"]),
            Opt("--pr", ["7"]),
        ], required=["--from-review"], mode_opt=True),
        act("reject", [role]),
        act("schedule", [Opt("--start", ["2027-01-01T00:00:00Z"]),
                         Opt("--end", ["2027-01-01T01:00:00Z"]),
                         Opt("--implementer", ["bob@example.com"])]),
        act("start"),
        act("complete", [Opt("--close-code", ["successful"])]),
        act("fail", [Opt("--close-code", ["backed_out"])]),
        act("review", required=["-m"]),
        act("close"),
        act("cancel"),
        act("comment", required=["-m"]),
        Cmd(["do"], pos=[cid, "submit"], opts=[msg, role]),
        Cmd(["member", "add"], pos=["zoe@example.com"], opts=[
            Opt("--name", ["Zoe"]),
            Opt("--role", ["cab"], repeat=True),
            Opt("--key", [aux + "/zoe.pub"]),
            Opt("--handle", ["github=zoe"], repeat=True),
        ], required=["--name"]),
        Cmd(["member", "remove"], pos=["nobody@example.com"]),
        Cmd(["role", "grant"], pos=["bob@example.com", "cab"],
            pos_valid=[None, lambda v: v != ""],
            opts=[Opt("--until", ["2030-01-01"],
                      valid=lambda v: len(v) == 10 and v[4] == "-" and
                      v[7] == "-" and v.replace("-", "").isdigit() and
                      v.replace("-", "").isascii() and
                      1 <= int(v[5:7]) <= 12 and 1 <= int(v[8:]) <= 31)]),
        Cmd(["role", "revoke"], pos=["bob@example.com", "ecab"],
            pos_valid=[None, lambda v: v != ""]),
        Cmd(["policy", "check"], pos=[".crq/policy.yaml"], minpos=0),
        Cmd(["policy", "show"], flags=["--json"]),
        Cmd(["policy", "apply"], pos=[aux + "/nope.yaml"]),
        Cmd(["policy", "approve"]),
        Cmd(["policy", "withdraw"]),
        Cmd(["policy", "allowed-signers"]),
        Cmd(["validate"], pos=[".crq/policy.yaml"], minpos=0, maxpos=99,
            opts=[Opt("--kind", ["policy"],
                      choices=["change", "policy"])]),
        Cmd(["schema"], pos=["change"],
            pos_valid=[lambda v: v in ("change", "policy")]),
        Cmd(["verify"], pos=["main"], minpos=0, flags=["--json"],
            opts=[Opt("--trust", ["HEAD"])]),
        Cmd(["sync"], pos=["nosuch"], minpos=0, pos_valid=[lambda v: v != ""]),
        Cmd(["check"], opts=[
            Opt("--base", ["HEAD"]),
            Opt("--head", ["HEAD"]),
            Opt("--format", ["json"], choices=["text", "json", "github",
                                                "junit"]),
            Opt("--trust", ["HEAD"]),
        ], required=["--base"]),
        Cmd(["hook", "install"]),
        Cmd(["hook", "pre-receive"]),
        Cmd(["hook", "pre-commit"]),
        # git passes the remote's name and URL
        Cmd(["hook", "pre-push"], pos=["origin", "url"], minpos=0),
        Cmd(["batch"]),
        Cmd(["help"], pos=["list"], minpos=0,
            pos_valid=[lambda v: v in ("list", "new")]),
    ]
    return cmds


def option_names(cmds, words=None):
    """Every option name of cmds (of those whose first word is words)."""
    names = set()
    for c in cmds:
        if words is not None and c.words[0] != words:
            continue
        for o in c.opts:
            names.add(o.name)
            if o.alias:
                names.add(o.alias)
        names.update(c.flags)
    return names


class Case:
    def __init__(self, argv, usage, why, kind, cwd=None):
        self.argv = argv
        self.usage = usage	# True: must exit 129
        self.why = why
        self.kind = kind	# "twice", "value", ...
        self.cwd = cwd


def opt_tokens(o, value, eq=False):
    if eq and o.name.startswith("--"):
        return [o.name + "=" + value]
    return [o.name, value]


def generate(c, cmds, rnd):
    """The cases for one command."""
    cases = []
    req = [c.opt(n) for n in c.required]
    base_opts = []
    for o in req:
        base_opts += opt_tokens(o, o.values[0])
    pos = c.pos[:c.minpos]
    base = c.words + pos + base_opts

    def add(argv, usage, why, kind):
        cases.append(Case(argv, usage, why, kind, c.cwd))

    def without(o):
        rest = list(base_opts)
        if o in req:
            i = rest.index(o.name)
            del rest[i:i + 2]
        return rest

    add(base, False, "minimal", "valid")
    if c.maxpos > c.minpos:
        add(c.words + c.pos + base_opts, False, "all positionals", "valid")
    pool = sorted(option_names(cmds))
    for o in c.opts:
        rest = without(o)
        head = c.words + pos + rest
        # valid values, both spellings
        for v in o.values:
            add(head + opt_tokens(o, v), False, o.name + " VALUE", "valid")
            add(head + opt_tokens(o, v, eq=True), False, o.name + "=VALUE",
                "valid")
            if o.alias:
                add(head + [o.alias, v], False, o.alias + " VALUE", "valid")
        # empty, 100 KB and odd values: usage unless outside the choices
        for v in o.odd:
            if v in (o.choices or []):
                continue
            usage = not o.accepts(v)
            add(head + opt_tokens(o, v, eq=True), usage,
                "%s=<%s>" % (o.name, label(v)), "value " + o.name)
            # "-", "-1", "- item" are values; "-x", "--x", "--" are not
            if v in (EMPTY, LONG) or v.startswith("-"):
                add(head + [o.name, v], usage,
                    "%s <%s>" % (o.name, label(v)), "value " + o.name)
        # no value: at the end, or followed by another option
        add(head + [o.name], True, o.name + " without value", "missing")
        for other in pool[:2] + ["--json", "-m", "-X", "--", o.name]:
            add(head + [o.name, other], True,
                "%s %s (an option as the value)" % (o.name, other),
                "missing")
        if c.pos:
            # the first positional becomes the value
            add(c.words + [o.name] + c.pos[:max(c.minpos, 1)] + rest,
                c.minpos > 0 or not o.accepts(c.pos[0]),
                o.name + " before the positionals", "missing")
        # twice: refused unless repeatable
        two = opt_tokens(o, o.values[0]) + \
            opt_tokens(o, o.values[-1], eq=True)
        add(head + two, not o.repeat, o.name + " twice", "twice")
        if o.alias:
            add(head + opt_tokens(o, o.values[0]) + [o.alias, o.values[0]],
                not o.repeat, o.name + " and " + o.alias, "twice")
    for f in c.flags:
        add(base + [f], False, f, "valid")
        if pos:
            add(c.words + [f] + pos + base_opts, False, f + " first",
                "valid")
        add(base + [f, f], True, f + " twice", "twice")
        add(base + [f + "=yes"], True, f + "=yes", "unknown")
    for n in c.required:
        o = c.opt(n)
        add(c.words + pos + without(o), not c.mode_opt, "without " + n,
            "required")
    for a, b in c.conflicts:
        ta = [a] if a in c.flags else opt_tokens(c.opt(a), c.opt(a).values[0])
        tb = [b] if b in c.flags else opt_tokens(c.opt(b), c.opt(b).values[0])
        add(base + ta + tb, True, a + " with " + b, "conflict")
    # positionals: missing, stray, odd values
    if c.minpos > 0:
        add(c.words + base_opts, True, "no positional", "positional")
    if c.maxpos < 99:
        extra = ["stray"] * (c.maxpos - len(c.pos) + 1)
        add(c.words + c.pos + extra + base_opts, True, "stray positional",
            "positional")
        add(c.words + c.pos + base_opts + extra, True,
            "stray positional at the end", "positional")
    for i in range(len(c.pos)):
        for v in [EMPTY, LONG, "bogus", "%n%s"]:
            p = list(c.pos)
            p[i] = v
            check = c.pos_valid[i]
            add(c.words + p[:max(i + 1, c.minpos)] + base_opts,
                bool(check and not check(v)),
                "positional %d <%s>" % (i + 1, label(v)), "positional")
    # unknown options, and options of other commands
    for u in ["--bogus", "--bogus=1", "-x", "--", "---", "-mx"]:
        add(base + [u], True, "unknown " + u, "unknown")
    add(c.words[:1] + ["--bogus"] + c.words[1:] + pos + base_opts, True,
        "unknown option first", "unknown")
    mine = option_names(cmds, c.words[0])
    foreign = [n for n in pool if n not in mine]
    for n in rnd.sample(foreign, min(4, len(foreign))):
        add(base + [n, "v"], True, "foreign " + n, "unknown")
    # valid options in shuffled orders, among the positionals
    for k in range(6):
        units = []
        for o in c.opts:
            if o in req or rnd.random() < 0.5:
                units.append(opt_tokens(o, rnd.choice(o.values),
                                        eq=rnd.random() < 0.3))
        for f in c.flags:
            if f != "-e" and rnd.random() < 0.5:
                units.append([f])
        for a, b in c.conflicts:
            names = [u[0].split("=")[0] for u in units]
            if a in names and b in names:
                units = [u for u in units if u[0].split("=")[0] != b]
        rnd.shuffle(units)
        npos = rnd.randint(c.minpos, min(c.maxpos, len(c.pos)))
        words = list(c.pos[:npos])
        for u in units:
            at = rnd.randint(0, len(words))
            words[at:at] = [u]
        argv = list(c.words)
        for w in words:
            argv += w if isinstance(w, list) else [w]
        add(argv, False, "shuffled #%d" % k, "order")
    return cases


def label(v):
    if v == EMPTY:
        return "empty"
    if v == LONG:
        return "100KB"
    return v


def show_argv(argv):
    return " ".join(("'<100KB>'" if a == LONG else repr(a)) for a in argv)


def batch_line(argv):
    """argv as one line for crq batch, or None when it cannot be one."""
    words = []
    for a in argv:
        if "\n" in a or "\r" in a:
            return None
        if a and not any(ch in a for ch in " \t'\"#\\"):
            words.append(a)
        else:
            words.append('"' + a.replace("\\", "\\\\").replace('"', '\\"')
                         + '"')
    return " ".join(words) + "\n"


def run(crq, argv, cwd, stdin=b""):
    try:
        p = subprocess.run([crq] + argv, cwd=cwd, input=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, b"", b"timeout"
    return p.returncode, p.stdout, p.stderr


def judge(case, rc, out, err, via_batch=False):
    """None when the run is fine, else what is wrong with it."""
    if rc is None:
        return "timed out"
    if rc < 0:
        return "killed by signal %d" % -rc
    if rc >= 130 or rc == 99:
        return "exit %d" % rc
    if b"Sanitizer" in err or b"runtime error" in err:
        return "sanitizer report"
    if case.usage:
        if rc != 129:
            return "exit %d, wanted 129 (wrong usage)" % rc
        if not any(l.startswith(b"usage: ") for l in err.splitlines()):
            return "exit 129 without a 'usage: ' line on stderr"
        if out and not via_batch:
            return "a usage error printed on stdout"
    elif rc == 129:
        first = err.splitlines()[0].decode(errors="replace") if err else ""
        return "exit 129 for valid usage (%s)" % first[:200]
    return None


def global_cases():
    return [
        Case(["-C"], True, "-C without value", "missing"),
        Case(["-c"], True, "-c without value", "missing"),
        Case(["-c", "novalue", "list"], True, "-c not NAME=VALUE", "value"),
        Case(["-c", "=v", "list"], True, "-c =VALUE", "value"),
        Case(["-c", "", "list"], True, "-c empty", "value"),
        Case(["-C", ".", "-c", "a.b=c", "list"], False, "-C and -c",
             "valid"),
        Case(["-C", LONG, "list"], False, "-C 100KB", "value"),
        Case(["-c", "a.b=" + LONG, "list"], False, "-c 100KB", "value"),
        Case(["--bogus"], True, "unknown global option", "unknown"),
        Case(["--bogus", "list"], True, "unknown global option", "unknown"),
        Case([], True, "no command", "positional"),
        Case([""], True, "empty command", "positional"),
        Case([LONG], True, "100KB command", "positional"),
        Case(["lsit"], True, "misspelt command", "positional"),
        Case(["--version"], False, "--version", "valid"),
        Case(["--help"], False, "--help", "valid"),
        Case(["list", "-h"], False, "-h", "valid"),
    ]


def run_group(crq, store, workdir, name, cases):
    """Run one command's cases in a copy of the store of its own (so
    that each group starts from the same store, whatever the others
    did); returns its TAP lines."""
    shutil.copytree(store, workdir + "/s", symlinks=True)
    os.makedirs(workdir + "/init")
    bad = []
    ran = 0
    for n, case in enumerate(cases):
        # valid usage reaches the store: slow under the sanitizers
        if not case.usage and n % SAMPLE:
            continue
        ran += 1
        cwd = workdir + ("/init" if case.cwd else "/s")
        rc, out, err = run(crq, case.argv, cwd)
        why = judge(case, rc, out, err)
        line = None
        # the same through crq batch: every usage error, every fourth
        # valid line (batch names the line it stopped at)
        if not why and case.argv and case.argv[0] not in (
                "batch", "help", "init") and \
                not case.argv[0].startswith("-") and \
                (case.usage or n % (4 * SAMPLE) == 0):
            line = batch_line(case.argv)
            if line is not None:
                rc, out, err = run(crq, ["batch"], cwd, line.encode())
                why = judge(case, rc, out, err, via_batch=True)
        if not why:
            continue
        text = "%s: crq %s: %s" % (case.why, show_argv(case.argv), why)
        if line is not None:
            text = "%s: crq batch <<< %s: %s" % (case.why,
                                                line.strip()[:300], why)
        bad.append(text)
    shutil.rmtree(workdir, ignore_errors=True)
    lines = ["%s - %s: %d argument vectors, no crash, 129 exactly for "
             "wrong usage" % ("not ok" if bad else "ok", name, ran)]
    lines += ["#   " + b[:600] for b in bad[:MAX_SHOWN]]
    if len(bad) > MAX_SHOWN:
        lines.append("#   ... and %d more" % (len(bad) - MAX_SHOWN))
    return lines


def main():
    crq, store, aux = sys.argv[1], sys.argv[2], sys.argv[3]
    rnd = random.Random(SEED)
    os.environ["GIT_EDITOR"] = "false"
    cmds = specs(aux)
    groups = [("global options", global_cases())]
    for c in cmds:
        groups.append((c.name, generate(c, cmds, rnd)))
    jobs = int(os.environ.get("FUZZ_JOBS", "0")) or \
        min(4, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(run_group, crq, store,
                               "%s/run%02d" % (aux, i), name, cases)
                   for i, (name, cases) in enumerate(groups)]
        for f in futures:
            for line in f.result():
                print(line)
    print("# %d argument vectors" % sum(len(g[1]) for g in groups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
