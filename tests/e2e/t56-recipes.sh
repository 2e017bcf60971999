#!/bin/sh
# The CI recipes in examples/ run as they are: every GitHub workflow
# passes the workflow linter (@action-validator/cli, from npm, installed
# by tests/npm-deps.sh into build/npm), every GitLab pipeline parses
# (PyYAML) and has GitLab's shape; then the jobs' own shell steps run,
# as the forge would run them, in scratch clones of a real store: the
# checkouts as actions/checkout and the GitLab runner make them (shallow
# unless the recipe says otherwise, GitHub's merge commit for a pull
# request), ${{ }} expressions and if: conditions from the event, the
# trusted root the store's real first commit.  Only what cannot run here
# is a stub: sudo (runs the command), apt-get (each package must be a
# Debian package installed here), gh and curl (the forge's API answers
# with a fixture), git clone of crq's source (a copy of this tree's
# sources with its build, so make install compiles nothing; it installs
# into DESTDIR), and the forge's URLs, which lead to a bare repository
# here (with GitLab's CI_JOB_TOKEN, which may not push, a push fails).
. "$(dirname "$0")/lib.sh"

EX=$TOP/examples
LINT=$TOP/build/npm/node_modules/.bin/action-validator
R=$TMP/ci
mkdir -p "$R" "$TMP/srv"
# the runner: one job of a recipe, as GitHub or GitLab would run it
cat >"$R/ci.py" <<'PYEOF'
# A small CI runner for the recipes in examples/: runs one job of a
# GitHub workflow or a GitLab pipeline as the forge would, step by step
# with sh -e, in a scratch workspace.
#   ci.py gitlab-lint FILE
#   ci.py github RUN.json    |   ci.py gitlab RUN.json
# RUN.json: {file, job, dir, env, vars, secrets, repos: {name: url},
#            crq_repo, crq_src, crq_build; GitHub: repository,
#            event_name, event, ref, sha, base_ref, head_ref}
# Exit: 0 the job passed, 3 it would not run (if:/rules), 4 the recipe
# is not something this runner understands, else the failing step's
# exit code.  Every step's outcome goes to stdout as "step N: ...".
import json, os, re, shutil, subprocess, sys, time, yaml


JOBENV = None     # the job's environment: its HOME, its git config


def die(msg, code=4):
    print("ci.py: " + msg, file=sys.stderr)
    sys.exit(code)


def sh(cmd, cwd=None, env=None):
    env = env or JOBENV
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        die("%s: %s" % (" ".join(cmd), r.stderr.strip()), 5)


# ---------------------------------------------------------------- GitLab
GL_TOP = {"stages", "variables", "default", "include", "workflow", "image",
          "services", "before_script", "after_script", "cache"}
GL_JOB = {"image", "stage", "script", "before_script", "after_script", "variables",
          "rules", "when", "needs", "extends", "artifacts", "environment", "only",
          "except", "tags", "allow_failure", "cache", "services", "dependencies",
          "timeout", "retry", "interruptible", "resource_group", "coverage"}


def gl_jobs(doc):
    if not isinstance(doc, dict):
        die("a pipeline is a mapping")
    return {k: v for k, v in doc.items() if k not in GL_TOP}


def gl_resolve(doc, name, seen=()):
    jobs = gl_jobs(doc)
    if name not in jobs:
        die("no job %r" % name)
    job = jobs[name]
    if not isinstance(job, dict):
        die("job %r is not a mapping" % name)
    ext = job.get("extends")
    if ext is None:
        return dict(job)
    out = {}
    for e in ([ext] if isinstance(ext, str) else ext):
        if e in seen or e not in jobs:
            die("job %r extends %r, which is not a job of this file" % (name, e))
        out.update(gl_resolve(doc, e, seen + (name,)))
    for k, v in job.items():
        if k == "variables" and isinstance(out.get(k), dict):
            out[k] = dict(out[k], **v)
        elif k != "extends":
            out[k] = v
    return out


def gl_lint(path):
    doc = yaml.safe_load(open(path))
    errs = []
    stages = doc.get("stages", ["build", "test", "deploy"])
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        errs.append("stages: a list of names")
    if not isinstance(doc.get("variables", {}), dict):
        errs.append("variables: a mapping")
    jobs = gl_jobs(doc)
    real = [j for j in jobs if not j.startswith(".")]
    if not real:
        errs.append("no job")
    for name in jobs:
        raw = jobs[name]
        if not isinstance(raw, dict):
            errs.append("%s: not a mapping" % name)
            continue
        for k in raw:
            if k not in GL_JOB:
                errs.append("%s: unknown keyword %r" % (name, k))
        if name.startswith("."):
            continue
        job = gl_resolve(doc, name)
        for k in ("before_script", "script", "after_script"):
            v = job.get(k)
            if v is None:
                if k == "script":
                    errs.append("%s: no script" % name)
                continue
            if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
                errs.append("%s: %s is not a list of commands" % (name, k))
        if job.get("stage", "test") not in stages:
            errs.append("%s: stage %r is not in stages" % (name, job.get("stage")))
        for n in job.get("needs", []):
            if n not in real:
                errs.append("%s: needs %r, no such job" % (name, n))
        for r in job.get("rules", []):
            if not isinstance(r, dict) or not set(r) <= {"if", "when", "changes", "exists", "variables", "allow_failure"}:
                errs.append("%s: rule %r" % (name, r))
            elif "if" in r:
                try:
                    gl_cond(r["if"], {})
                except ValueError as e:
                    errs.append("%s: rule if %r: %s" % (name, r["if"], e))
        if job.get("when", "on_success") not in ("on_success", "manual", "always", "on_failure", "delayed", "never"):
            errs.append("%s: when %r" % (name, job["when"]))
        if not isinstance(job.get("variables", {}), dict):
            errs.append("%s: variables: a mapping" % name)
    for e in errs:
        print("%s: %s" % (path, e))
    return 1 if errs else 0


def gl_cond(expr, env):
    """GitLab's rules:if: $VAR, $VAR == "x" | $OTHER, !=, && and ||."""
    toks = re.findall(r'\$\w+|"[^"]*"|\'[^\']*\'|==|!=|&&|\|\||\(|\)|\S+', expr)
    pos = [0]

    def val():
        t = toks[pos[0]]
        pos[0] += 1
        if t.startswith("$"):
            return env.get(t[1:]) or None
        if t[0] in "\"'":
            return t[1:-1]
        if t == "null":
            return None
        raise ValueError("cannot read %r" % t)

    def cmp():
        a = val()
        if pos[0] < len(toks) and toks[pos[0]] in ("==", "!="):
            op = toks[pos[0]]
            pos[0] += 1
            b = val()
            return (a == b) == (op == "==")
        return a is not None

    def conj():
        r = cmp()
        while pos[0] < len(toks) and toks[pos[0]] == "&&":
            pos[0] += 1
            r = cmp() and r
        return r

    r = conj()
    while pos[0] < len(toks) and toks[pos[0]] == "||":
        pos[0] += 1
        r = conj() or r
    if pos[0] != len(toks):
        raise ValueError("cannot read %r" % toks[pos[0]])
    return r


def gitlab(run):
    doc = yaml.safe_load(open(run["file"]))
    job = gl_resolve(doc, run["job"])
    global JOBENV
    env = dict(run["env"])
    JOBENV = env
    env.update({"CI": "true", "GITLAB_CI": "true"})
    env.update({k: str(v) for k, v in (doc.get("variables") or {}).items()})
    env.update({k: str(v) for k, v in (job.get("variables") or {}).items()})
    env.update(run["vars"])
    for what, rules in (("workflow", (doc.get("workflow") or {}).get("rules")), ("job", job.get("rules"))):
        if rules is None:
            continue
        hit = next((r for r in rules if "if" not in r or gl_cond(r["if"], env)), None)
        if hit is None or hit.get("when") == "never":
            print("job %s: not run (%s rules)" % (run["job"], what))
            return 3
    if job.get("image") != "debian:12":
        die("job %s: image %r, wanted debian:12" % (run["job"], job.get("image")))
    # the runner's clone of the project, with the job token
    work = env["CI_PROJECT_DIR"]
    depth = int(env.get("GIT_DEPTH", "20"))
    url = run["repos"][env["CI_PROJECT_PATH"]]
    sh(["git", "clone", "-q", "--no-checkout"] + (["--depth", str(depth)] if depth else []) + [url, work])
    sh(["git", "checkout", "-q", "--detach", env["CI_COMMIT_SHA"]], cwd=work)
    lines = (job.get("before_script") or []) + job["script"]
    script = "".join(l + "\n" for l in lines)
    print("job %s: %d commands" % (run["job"], len(lines)))
    r = subprocess.run(["sh", "-e", "-c", script], cwd=work, env=env)
    print("job %s: exit %d" % (run["job"], r.returncode))
    return r.returncode


# ---------------------------------------------------------------- GitHub
def gh_lookup(ctx, path):
    """A context value; GitHub gives '' for what is not set, but the
    test sets every one a recipe may use, so a missing one is a typo."""
    cur = ctx
    for p in path.split("."):
        if not isinstance(cur, dict) or p not in cur:
            raise KeyError(path)
        cur = cur[p]
    return cur


def gh_eval(expr, ctx):
    toks = re.findall(r"'(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[\w.\-]+|\S", expr.strip())
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def atom():
        t = peek()
        pos[0] += 1
        if t is None:
            raise ValueError("unexpected end")
        if t == "(":
            v = orx()
            if peek() != ")":
                raise ValueError("missing )")
            pos[0] += 1
            return v
        if t == "!":
            return not atom()
        if t.startswith("'"):
            return t[1:-1].replace("''", "'")
        if t in ("true", "false"):
            return t == "true"
        if re.match(r"^\d+$", t):
            return int(t)
        if re.match(r"^[A-Za-z_][\w\-]*(\.[\w\-]+)*$", t):
            return gh_lookup(ctx, t)
        raise ValueError("cannot read %r" % t)

    def cmp():
        a = atom()
        while peek() in ("==", "!="):
            op = toks[pos[0]]
            pos[0] += 1
            b = atom()
            a = (str(a).lower() == str(b).lower()) == (op == "==")
        return a

    def andx():
        a = cmp()
        while peek() == "&&":
            pos[0] += 1
            b = cmp()
            a = a and b
        return a

    def orx():
        a = andx()
        while peek() == "||":
            pos[0] += 1
            b = andx()
            a = a or b
        return a

    v = orx()
    if peek() is not None:
        raise ValueError("cannot read %r" % peek())
    return v


def gh_subst(text, ctx):
    def one(m):
        v = gh_eval(m.group(1), ctx)
        return "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
    try:
        return re.sub(r"\$\{\{(.*?)\}\}", one, text)
    except (KeyError, ValueError) as e:
        die("expression in %r: %s" % (text, e))


def gh_if(cond, ctx):
    if cond is None:
        return True
    if isinstance(cond, bool):
        return cond
    c = cond.strip()
    if c.startswith("${{") and c.endswith("}}"):
        c = c[3:-2]
    try:
        return bool(gh_eval(c, ctx))
    except (KeyError, ValueError) as e:
        die("if: %r: %s" % (cond, e))


def prep_src(top, build, dest):
    """crq's source as a checkout of it holds it (the files git tracks
    and would track in TOP), with TOP's build copied in, newer than
    every source, so that make install compiles nothing.  Made once in
    CI_SRC_CACHE, copied (times kept) for every job."""
    cache = os.environ.get("CI_SRC_CACHE")
    if cache:
        if not os.path.isdir(cache):
            prep_src_into(top, build, cache + ".new")
            os.rename(cache + ".new", cache)
        shutil.copytree(cache, dest, symlinks=True)
        return
    prep_src_into(top, build, dest)


def prep_src_into(top, build, dest):
    files = subprocess.run(["git", "-C", top, "ls-files", "-z", "-co", "--exclude-standard"],
                           stdout=subprocess.PIPE, check=True).stdout.decode().split("\0")
    for f in files:
        src = os.path.join(top, f)
        if f and os.path.isfile(src) and not os.path.islink(src):
            os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, f))
        elif f and os.path.islink(src):
            os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
            os.symlink(os.readlink(src), os.path.join(dest, f))
    b = os.path.join(dest, "build")
    shutil.copytree(build, b, symlinks=True,
                    ignore=lambda d, names: [n for n in names if d == build and n in ("tests", "fuzz", "asan", "npm", "man")])
    # one time for all, so that no product looks older than its parts
    now = time.time()
    for d, _, fs in os.walk(b):
        for f in fs:
            if not os.path.islink(os.path.join(d, f)):
                os.utime(os.path.join(d, f), (now, now))


def checkout(run, ctx, work, with_):
    with_ = {k: gh_subst(str(v), ctx) for k, v in (with_ or {}).items()}
    for k in with_:
        if k not in ("repository", "path", "ref", "fetch-depth", "token"):
            die("actions/checkout: input %r is not simulated" % k)
    repo = with_.get("repository", ctx["github"]["repository"])
    dest = os.path.join(work, with_.get("path", "."))
    depth = int(with_.get("fetch-depth", "1"))
    if repo == run["crq_repo"]:
        prep_src(run["crq_src"], run["crq_build"], dest)
        return
    if repo not in run["repos"]:
        die("actions/checkout of %r: no such repository here" % repo)
    url = run["repos"][repo]
    ref = with_.get("ref")
    if not ref:
        ref = ctx["github"]["ref"]
    if os.path.exists(os.path.join(dest, ".git")):
        die("checkout into a checkout")
    os.makedirs(dest, exist_ok=True)
    sh(["git", "init", "-q", dest])
    sh(["git", "remote", "add", "origin", url], cwd=dest)
    d = ["--depth", str(depth)] if depth else []
    if depth == 0:
        sh(["git", "fetch", "-q", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*"], cwd=dest)
    if ref.startswith("refs/pull/"):
        sh(["git", "fetch", "-q"] + d + ["origin", "+%s:refs/remotes/pull/merge" % ref], cwd=dest)
        sh(["git", "checkout", "-q", "--detach", "refs/remotes/pull/merge"], cwd=dest)
    else:
        br = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else ref
        sh(["git", "fetch", "-q"] + d + ["origin", "+refs/heads/%s:refs/remotes/origin/%s" % (br, br)], cwd=dest)
        sh(["git", "checkout", "-q", "-B", br, "refs/remotes/origin/" + br], cwd=dest)
        sh(["git", "branch", "-q", "--set-upstream-to", "origin/" + br], cwd=dest)


def github(run):
    wf = yaml.safe_load(open(run["file"]))
    job = wf["jobs"][run["job"]]
    work, tmp = run["dir"] + "/work", run["dir"] + "/tmp"
    os.makedirs(work)
    os.makedirs(tmp, exist_ok=True)
    out = run["dir"] + "/output"
    open(out, "w").close()
    event = run["event"]
    gh = {"event_name": run["event_name"], "event": event,
          "repository": run["repository"], "workflow": wf.get("name", run["file"]),
          "run_id": "4242", "sha": run["sha"], "ref": run["ref"],
          "token": "ghs_faketoken", "base_ref": run.get("base_ref", ""),
          "head_ref": run.get("head_ref", "")}
    ctx = {"github": gh, "vars": run["vars"], "secrets": run["secrets"],
           "needs": run.get("needs", {}), "steps": {}, "env": {},
           "runner": {"os": "Linux", "temp": tmp}}
    if not gh_if(job.get("if"), ctx):
        print("job %s: not run (if)" % run["job"])
        return 3
    global JOBENV
    env = dict(run["env"])
    JOBENV = env
    env.update({"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": work,
                "RUNNER_TEMP": tmp, "RUNNER_OS": "Linux", "GITHUB_OUTPUT": out,
                "GITHUB_EVENT_NAME": gh["event_name"], "GITHUB_REPOSITORY": gh["repository"],
                "GITHUB_SHA": gh["sha"], "GITHUB_REF": gh["ref"], "GITHUB_WORKFLOW": gh["workflow"],
                "GITHUB_RUN_ID": gh["run_id"], "GITHUB_BASE_REF": gh["base_ref"],
                "GITHUB_HEAD_REF": gh["head_ref"], "GITHUB_EVENT_PATH": run["dir"] + "/event.json"})
    json.dump(event, open(env["GITHUB_EVENT_PATH"], "w"))
    for scope in (wf.get("env"), job.get("env")):
        for k, v in (scope or {}).items():
            env[k] = gh_subst(str(v), ctx)
            ctx["env"][k] = env[k]
    for i, step in enumerate(job["steps"], 1):
        if not gh_if(step.get("if"), ctx):
            print("step %d: skipped" % i)
            continue
        if "uses" in step:
            if step["uses"] != "actions/checkout@v4":
                die("step %d: uses %s, which is not simulated" % (i, step["uses"]))
            checkout(run, ctx, work, step.get("with"))
            print("step %d: checkout" % i)
            continue
        senv = dict(env)
        for k, v in (step.get("env") or {}).items():
            senv[k] = gh_subst(str(v), ctx)
        script = gh_subst(step["run"], ctx)
        cwd = os.path.join(work, step.get("working-directory", "."))
        open(out, "w").close()
        r = subprocess.run(["sh", "-e", "-c", script], cwd=cwd, env=senv)
        outputs = {}
        for line in open(out):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                outputs[k] = v
        if "id" in step:
            ctx["steps"][step["id"]] = {"outputs": outputs}
        print("step %d: %s: exit %d" % (i, step.get("name", step["run"].split("\n")[0]), r.returncode))
        if r.returncode:
            return r.returncode
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "gitlab-lint":
        sys.exit(gl_lint(sys.argv[2]))
    if sys.argv[1] == "prep-src":
        prep_src(*sys.argv[2:5])
        sys.exit(0)
    try:
        run = json.load(open(sys.argv[2]))
        rc = github(run) if sys.argv[1] == "github" else gitlab(run)
    except SystemExit:
        raise
    except BaseException:
        import traceback
        traceback.print_exc()
        rc = 6       # a fault of this runner: no exit code a job has
    sys.exit(rc)
PYEOF

# ------------------------------------------------------------ the linter
set -- "$EX"/github-actions*.yml
same "four GitHub recipes" "$#" 4
if [ -x "$LINT" ]; then
	for f; do
		if "$LINT" "$f" >"$TMP/lint" 2>&1; then
			ok "action-validator: $(basename "$f")"
		else
			not_ok "action-validator: $(basename "$f")"
			sed 's/^/#   /' "$TMP/lint" | head -40
		fi
	done
	# and it is no rubber stamp: a misspelt keyword, a needs of no job
	printf 'name: x\non: [push]\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permisions:\n      contents: read\n    steps:\n      - run: "true"\n' >"$TMP/bad1.yml"
	expect 1 "" "$LINT" "$TMP/bad1.yml"
	printf 'name: x\non: [push]\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: b\n    steps:\n      - run: "true"\n' >"$TMP/bad2.yml"
	expect 1 "" "$LINT" "$TMP/bad2.yml"
else
	not_ok "no workflow linter at $LINT: run sh tests/npm-deps.sh build/npm (make test-deps does)"
fi
set -- "$EX"/gitlab-ci*.yml
same "two GitLab recipes" "$#" 2
for f; do
	if $PY "$R/ci.py" gitlab-lint "$f" >"$TMP/lint" 2>&1; then
		ok "GitLab pipeline shape (PyYAML): $(basename "$f")"
	else
		not_ok "GitLab pipeline shape: $(basename "$f")"
		sed 's/^/#   /' "$TMP/lint"
	fi
done
printf 'stages: [test]\nj:\n  image: debian:12\n  stage: tset\n  script: make\n' >"$TMP/bad.gitlab.yml"
expect 1 "" $PY "$R/ci.py" gitlab-lint "$TMP/bad.gitlab.yml"
grep -q "stage 'tset' is not in stages" "$TMP/out" && grep -q "script is not a list of commands" "$TMP/out" &&
	ok "the GitLab check refuses a wrong stage and a script that is no list" || not_ok "gitlab-lint: $(cat "$TMP/out")"

# no failure hidden: no "|| true", no "set +e", no continue-on-error
if grep -nE '\|\| *(true|:)( |$)|set \+e|continue-on-error|allow_failure' "$EX"/github-actions*.yml "$EX"/gitlab-ci*.yml >"$TMP/hide"; then
	not_ok "a recipe hides a failure"
	sed 's/^/#   /' "$TMP/hide"
else
	ok "no recipe hides a failure"
fi

# ------------------------------------------ the packages the recipes install
# exactly what the build needs: the Debian package of each pkg-config
# module in the Makefile's PKGS, the compiler, pkg-config and scdoc
# (make install renders the man pages); each of them in DEBS.  GitLab's
# bare debian:12 image also needs git, python3, curl and CA certificates.
printf 'print-%%:\n\t@echo $($*)\n' >"$TMP/print.mk"
pkgs=$(make -s --no-print-directory -C "$TOP" -f Makefile -f "$TMP/print.mk" print-PKGS)
debs=$(make -s --no-print-directory -C "$TOP" -f Makefile -f "$TMP/print.mk" print-DEBS)
want="build-essential pkg-config scdoc"
for m in $pkgs; do
	pc=$(pkg-config --variable=pcfiledir "$m")/$m.pc
	d=$(dpkg-query -S "$pc" 2>/dev/null | sed -n '1s/:.*//p')
	[ -n "$d" ] || not_ok "no Debian package holds $pc"
	want="$want $d"
done
want=$(printf '%s\n' $want | sort -u | tr '\n' ' ')
for d in $want; do
	case " $debs " in *" $d "*) ;; *) not_ok "$d (needed to build) is not in the Makefile's DEBS" ;; esac
done
$PY - "$want" "$EX"/github-actions*.yml "$EX"/gitlab-ci*.yml >"$TMP/apt" <<'EOF'
import re, sys
want = set(sys.argv[1].split())
extra_gitlab = {"ca-certificates", "git", "python3", "curl"}
for f in sys.argv[2:]:
    lines = [l for l in open(f) if re.search(r"\bapt-get install\b", l)]
    if not lines:
        print("%s: no apt-get install" % f)
    for l in lines:
        words = l.split("apt-get install", 1)[1].split()
        got = {w for w in words if not w.startswith("-")}
        if "--no-install-recommends" not in words:
            print("%s: apt-get install without --no-install-recommends" % f)
        if "gitlab" in f:
            if not want <= got or not got - want <= extra_gitlab:
                print("%s: installs %s, wanted %s + some of %s" % (f, sorted(got), sorted(want), sorted(extra_gitlab)))
        elif got != want:
            print("%s: installs %s, the build needs %s" % (f, sorted(got), sorted(want)))
EOF
if [ -s "$TMP/apt" ]; then not_ok "apt-get lines"; sed 's/^/#   /' "$TMP/apt"; else ok "every recipe apt-installs what the build needs: $want"; fi

# ------------------------------------------------------------ the store
cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --handle github=bob-gh --handle gitlab=bob-gl >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --handle github=carol-gh --handle gitlab=carol-gl >/dev/null
as alice member add review-bot@example.com --key "$(keyfor review-bot).pub" \
	--name "Review bot" >/dev/null
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
for m in p["members"]:
    if m["email"] == "review-bot@example.com":
        m["attests"] = ["github", "gitlab"]
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/bot.yaml"
as alice policy apply "$TMP/bot.yaml" >/dev/null
as alice member add crq-bot@example.com --key "$(keyfor crq-bot).pub" \
	--name "crq bot" --role automation >/dev/null
# code commits beside the store: more than a shallow clone holds
i=0
while [ $i -lt 22 ]; do
	i=$((i + 1))
	echo "$i" >notes.txt
	git add notes.txt
	git commit -q -m "notes $i"
done
as alice new --title "Upgrade DB" --service db \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000001 >/dev/null
ROOT=$(git rev-list --max-parents=0 main)
same "the store has one root" "$(git rev-list --max-parents=0 main | wc -l)" 1
# the pull request: bob assesses; it needs 1 change-manager + 1 cab
git checkout -q -b pr
as bob assess CHG-000001 --risk medium --impact low >/dev/null
PRTIP=$(git rev-parse pr)
# a pull request with a step made by hand, unsigned
git checkout -q -b pr-bad main
sed -i 's/^title: Upgrade DB$/title: Sneaky/' changes/000/CHG-000001.yaml
git commit -q -am "CHG-000001: edit — x

Crq-Change: CHG-000001
Crq-Action: edit
Crq-From: submitted
Crq-To: submitted"
BAD=$(git rev-parse pr-bad)
git checkout -q main
git clone -q --bare . "$TMP/srv/changes.git"
# GitHub's refs/pull/N/merge: the pull request merged into its base by
# GitHub (unsigned, a merge with no crq content of its own)
for n in 7:pr 8:pr-bad; do
	git checkout -q --detach main
	git -c user.name=GitHub -c user.email=noreply@github.com merge -q --no-ff --no-edit "${n#*:}"
	git push -q "$TMP/srv/changes.git" "HEAD:refs/pull/${n%:*}/merge" "${n#*:}:refs/pull/${n%:*}/head"
done
git checkout -q main
git push -q "$TMP/srv/changes.git" pr-bad:pr-bad
SRV=file://$TMP/srv/changes.git
# what crq verify of main reports in a fresh clone: the jobs' must match
git clone -q "$SRV" "$TMP/ref"
CI=true "$CRQ" -C "$TMP/ref" verify --trust "$ROOT" main >/dev/null 2>"$TMP/err"
WHOLE=$(cat "$TMP/err")
case $WHOLE in *" commits checked, 0 violations") ok "main verifies: $WHOLE" ;; *) not_ok "main: $WHOLE" ;; esac

# ------------------------------------------------------------ the stubs
S=$R/stubs
mkdir -p "$S"
cat >"$S/sudo" <<'EOF'
#!/bin/sh
# the runner's sudo: runs the command (as whoever runs the test)
case ${1:-} in -* | "") echo "sudo stub: '$*' is not simulated" >&2; exit 1 ;; esac
echo "sudo $*" >>"$CI_LOG"
SUDO_USER=runner exec "$@"
EOF
cat >"$S/apt-get" <<'EOF'
#!/bin/sh
# apt-get: update, and install of packages that are real Debian
# packages, installed on this machine
echo "apt-get $*" >>"$CI_LOG"
if [ "${GITHUB_ACTIONS:-}" = true ] && [ -z "${SUDO_USER:-}" ]; then
	echo "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)" >&2
	exit 100
fi
cmd= pkgs=
for a; do
	case $a in
	-y | -q | -qq | --no-install-recommends) ;;
	-*) echo "apt-get stub: option $a is not simulated" >&2; exit 100 ;;
	*) if [ -z "$cmd" ]; then cmd=$a; else pkgs="$pkgs $a"; fi ;;
	esac
done
case $cmd in
update) [ -z "$pkgs" ] && exit 0 ;;
install)
	[ -n "$pkgs" ] || { echo "E: install of nothing" >&2; exit 100; }
	for p in $pkgs; do
		case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) in
		*" installed") ;;
		*) echo "E: Unable to locate package $p (no Debian package of that name is installed here)" >&2; exit 100 ;;
		esac
	done
	exit 0 ;;
esac
echo "apt-get stub: '$*' is not simulated" >&2
exit 100
EOF
cat >"$S/gh" <<'EOF'
#!/bin/sh
# gh api: GitHub's answer to the one call the recipe makes
echo "gh $*" >>"$CI_LOG"
[ -n "${GH_TOKEN:-}" ] || { echo "gh: no GH_TOKEN" >&2; exit 4; }
if [ "$#" = 2 ] && [ "$1" = api ] && [ "$2" = "$GH_WANT" ]; then
	cat "$GH_REPLY"
	exit 0
fi
echo "gh stub: '$*' is not the call for $GH_WANT" >&2
exit 1
EOF
cat >"$S/curl" <<'EOF'
#!/bin/sh
# curl: GitLab's answer to the one call the recipe makes
echo "curl $*" >>"$CI_LOG"
hdr= url=
while [ $# -gt 0 ]; do
	case $1 in
	-s | -S | -f | -sS | -sSf | -fsS) ;;
	--header | -H) hdr=$2; shift ;;
	-*) echo "curl stub: option $1 is not simulated" >&2; exit 2 ;;
	*) url=$1 ;;
	esac
	shift
done
[ "$hdr" = "PRIVATE-TOKEN: $GL_TOKEN_WANT" ] || { echo "curl: 401 Unauthorized" >&2; exit 22; }
[ "$url" = "$GL_WANT" ] || { echo "curl stub: $url is not $GL_WANT" >&2; exit 22; }
cat "$GL_REPLY"
EOF
cat >"$S/git" <<'EOF'
#!/bin/sh
# git, but a clone of crq's source (CRQ_SRC_URL) is this tree with its
# build (as actions/checkout of crq is in ci.py)
if [ "${1:-}" = clone ] && [ -n "${CRQ_SRC_URL:-}" ]; then
	last= prev=
	for a; do prev=$last; last=$a; done
	if [ "$prev" = "$CRQ_SRC_URL" ]; then
		echo "git clone of crq: $last" >>"$CI_LOG"
		exec python3 "$CI_PY" prep-src "$CI_TOP" "$CI_BUILD" "$last"
	fi
fi
exec /usr/bin/git "$@"
EOF
chmod +x "$S"/*

# run NAME FORGE FILE JOB JSON-EXTRA: one job, in $R/NAME; its output
# in $R/NAME.log, the job's exit code in $rc
run() {
	name=$1 forge=$2 file=$3 job=$4 extra=$5
	d=$R/$name
	mkdir -p "$d/home" "$d/tmp"
	: >"$d/calls"
	# the runner's own HOME: no identity, no keys; the forge's URLs
	# lead to the bare store here; CI_JOB_TOKEN may fetch, not push
	cat >"$d/home/.gitconfig" <<EOF
[url "$SRV"]
	insteadOf = https://gitlab-ci-token:job-token@gitlab.example/ops/changes.git
	insteadOf = https://crq-bot:push-token@gitlab.example/ops/changes.git
[url "file://$TMP/srv/the-job-token-cannot-push"]
	pushInsteadOf = https://gitlab-ci-token:job-token@gitlab.example/ops/changes.git
EOF
	case $file in /*) ;; *) file=$EX/$file ;; esac
	$PY - "$d/run.json" "$forge" "$file" "$job" "$d" "$extra" <<'EOF'
import json, os, sys
out, forge, file, job, d, extra = sys.argv[1:]
# a runner's environment: none of the test's dates, nor the make that
# runs the tests (its MAKEFLAGS would carry BUILD= into the job's make)
env = {k: v for k, v in os.environ.items()
       if not k.startswith(("GIT_AUTHOR", "GIT_COMMITTER", "CRQ", "KEEP"))
       and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR")}
env.update({"HOME": d + "/home", "TMPDIR": d + "/tmp", "CI_LOG": d + "/calls",
            "PATH": "%s:%s/root/usr/local/bin:/usr/bin:/bin" % (os.environ["S"], d),
            "DESTDIR": d + "/root"})
run = {"file": file, "job": job, "dir": d, "env": env, "vars": {}, "secrets": {},
       "repos": {}, "crq_repo": "example/crq", "crq_src": os.environ["TOP"],
       "crq_build": os.environ["CI_BUILD"]}
x = json.loads(extra)
run["env"].update(x.pop("env", {}))
run.update(x)
json.dump(run, open(out, "w"))
EOF
	[ -f "$d/run.json" ] || not_ok "$name: the test's own run.json"
	$PY "$R/ci.py" "$forge" "$d/run.json" >"$R/$name.log" 2>&1
	rc=$?
}
export S TOP
export CI_PY=$R/ci.py CI_TOP=$TOP CI_BUILD=$(dirname "$CRQ") CI_SRC_CACHE=$R/crq-src
# show NAME: the log, for a failure
show() { sed 's/^/#   /' "$R/$1.log" | tail -40; }
steps_ok() { # NAME WANT-RC DESCRIPTION
	if [ "$rc" = "$2" ]; then ok "$1: $3 (exit $rc)"; else not_ok "$1: $3: exit $rc, wanted $2"; show "$1"; fi
}

# ------------------------------------------- github-actions.yml: a push
TRUST="\"vars\": {\"CRQ_TRUST\": \"$ROOT\"}"
GHREPOS="\"repository\": \"example/changes\", \"repos\": {\"example/changes\": \"$SRV\"}"
PUSH="\"event_name\": \"push\", \"event\": {\"ref\": \"refs/heads/main\"}, \"ref\": \"refs/heads/main\", \"sha\": \"$(git rev-parse main)\""
run push github github-actions.yml verify "{$TRUST, $GHREPOS, $PUSH}"
steps_ok push 0 "a push of a good store: install, build, crq verify"
grep -q "^sudo apt-get install -y --no-install-recommends " "$R/push/calls" && grep -q "^sudo make -C .crq-src" "$R/push/calls" &&
	ok "the packages and make install go through sudo" || not_ok "calls: $(cat "$R/push/calls")"
grep -q "^crq version " "$R/push.log" && ok "the crq it installed runs" || { not_ok "crq --version"; show push; }
grep -qx "$WHOLE" "$R/push.log" &&
	ok "verify checked the whole history" || { not_ok "push: verify"; show push; }
grep -q "^step 5: skipped" "$R/push.log" && ok "crq check is for pull requests only" || { not_ok "push: check ran"; show push; }

# no trust root: verify refuses to run in CI
run notrust github github-actions.yml verify "{$GHREPOS, \"vars\": {\"CRQ_TRUST\": \"\"}, $PUSH}"
steps_ok notrust 128 "no CRQ_TRUST: the job fails"
grep -q "cannot resolve trusted commit ''" "$R/notrust.log" && ok "and says why" || { not_ok "notrust"; show notrust; }
# without fetch-depth: 0 actions/checkout makes a shallow clone
sed '/fetch-depth: 0/d' "$EX/github-actions.yml" >"$TMP/shallow.yml"
run shallow github "$TMP/shallow.yml" verify "{$TRUST, $GHREPOS, $PUSH}"
steps_ok shallow 128 "a shallow checkout fails the job"
grep -q "fetch the whole history" "$R/shallow.log" && ok "and says so" || { not_ok "shallow"; show shallow; }

# a push of a store with a step made by hand
run pushbad github github-actions.yml verify "{$TRUST, $GHREPOS, \"event_name\": \"push\", \"event\": {},
	\"ref\": \"refs/heads/pr-bad\", \"sha\": \"$BAD\"}"
steps_ok pushbad 1 "a push of an illegal step fails crq verify"
grep -q "^$BAD CHG-000001 unsigned: " "$R/pushbad.log" && ok "verify names the commit" || { not_ok "pushbad"; show pushbad; }

# ------------------------------------ github-actions.yml: pull requests
pr_event() { # N BRANCH
	printf '%s\n' "\"event_name\": \"pull_request\", \"ref\": \"refs/pull/$1/merge\", \"sha\": \"$(git -C "$TMP/srv/changes.git" rev-parse "refs/pull/$1/merge")\",
	\"base_ref\": \"main\", \"head_ref\": \"$2\",
	\"event\": {\"number\": $1, \"pull_request\": {\"number\": $1, \"base\": {\"ref\": \"main\"}, \"head\": {\"ref\": \"$2\", \"repo\": {\"full_name\": \"example/changes\"}}}}"
}
run pr github github-actions.yml verify "{$TRUST, $GHREPOS, $(pr_event 7 pr)}"
steps_ok pr 0 "a good pull request (GitHub's merge commit): check and verify pass"
grep -q "^::notice title=CHG-000001 ::assessed: needs 1 change-manager, 1 cab" "$R/pr.log" &&
	ok "crq check --format github: what the change still needs" || { not_ok "pr: notice"; show pr; }
run prbad github github-actions.yml verify "{$TRUST, $GHREPOS, $(pr_event 8 pr-bad)}"
steps_ok prbad 1 "a pull request with an illegal step fails the job at crq check"
grep -q "^::error title=crq unsigned::$BAD CHG-000001 unsigned: " "$R/prbad.log" &&
	ok "crq check --format github: an ::error annotation names the commit" || { not_ok "prbad: annotation"; show prbad; }
grep -q "^step 5: crq check: exit 1" "$R/prbad.log" && ok "the failing step is crq check" || { not_ok "prbad: step"; show prbad; }

# ----------------------------------- github-actions-import-reviews.yml
review() { # id login state commit
	printf '{"id": %s, "user": {"login": "%s", "type": "User"}, "body": "", "state": "%s", "commit_id": "%s", "submitted_at": "2026-11-23T11:00:00Z", "author_association": "MEMBER"}' "$1" "$2" "$3" "$4"
}
printf '[%s, %s]\n' "$(review 101 bob-gh APPROVED "$PRTIP")" "$(review 102 dave-gh APPROVED "$PRTIP")" >"$R/reviews.json"
BOTKEY=$($PY -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$(keyfor review-bot)")
review_event() { # STATE HEAD-REPO [KEY-JSON]
	printf '%s\n' "\"event_name\": \"pull_request_review\", \"ref\": \"refs/pull/7/merge\", \"sha\": \"$PRTIP\",
	\"secrets\": {\"CRQ_BOT_KEY\": ${3:-$BOTKEY}},
	\"env\": {\"GH_WANT\": \"repos/example/changes/pulls/7/reviews?per_page=100\", \"GH_REPLY\": \"$R/reviews.json\"},
	\"event\": {\"review\": {\"state\": \"$1\"}, \"pull_request\": {\"number\": 7, \"base\": {\"ref\": \"main\"}, \"head\": {\"ref\": \"pr\", \"repo\": {\"full_name\": \"$2\"}}}}"
}
run skip1 github github-actions-import-reviews.yml import "{$TRUST, $GHREPOS, $(review_event commented example/changes)}"
steps_ok skip1 3 "a review that does not approve: no import"
run skip2 github github-actions-import-reviews.yml import "{$TRUST, $GHREPOS, $(review_event approved someone/fork)}"
steps_ok skip2 3 "a pull request from a fork: no import"
run import github github-actions-import-reviews.yml import "{$TRUST, $GHREPOS, $(review_event approved example/changes)}"
steps_ok import 0 "an approving review: import, push, verify"
grep -q "^gh api repos/example/changes/pulls/7/reviews?per_page=100" "$R/import/calls" && ok "the reviews come from the API" || not_ok "gh: $(cat "$R/import/calls")"
grep -q "^CHG-000001: imported 1 github approval$" "$R/import.log" && ok "bob's review is imported" || { not_ok "import"; show import; }
grep -q "^::warning title=crq approve CHG-000001::github reviewer 'dave-gh' maps to no member (handles.github): not imported" "$R/import.log" &&
	ok "an unmapped reviewer is a warning, not hidden" || { not_ok "import: warning"; show import; }
tip=$(git -C "$TMP/srv/changes.git" rev-parse pr)
same "the bot's approval is pushed to the pull request's branch" \
	"$(git -C "$TMP/srv/changes.git" log -1 --format='%ae %P|%(trailers:key=Crq-Action,key=Crq-Reviewer,valueonly,separator=%x2C)' pr)" \
	"review-bot@example.com $PRTIP|approve,bob-gh"
# the last step verifies what the push left on the branch
grep -q "^step 5: Verify the pushed branch: exit 0" "$R/import.log" &&
	grep -q "^[0-9]* commits checked, 0 violations" "$R/import.log" &&
	grep -q "^::notice title=CHG-000001 ::assessed: needs 1 cab (has: bob@example.com)" "$R/import.log" &&
	ok "after the push the job runs crq verify and crq check on it" || { not_ok "import: verify after push"; show import; }
git clone -q "$SRV" "$TMP/pushed"
env -u GIT_COMMITTER_DATE -u GIT_AUTHOR_DATE CI=true "$CRQ" -C "$TMP/pushed" verify --trust "$ROOT" origin/pr >"$TMP/out" 2>"$TMP/err" &&
	ok "and the pushed branch verifies here too" || not_ok "pushed: $(cat "$TMP/out" "$TMP/err")"
# a bot key the policy does not know: nothing imported, the job fails
ssh-keygen -q -t ed25519 -N '' -f "$TMP/stranger" </dev/null
STRANGER=$($PY -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$TMP/stranger")
git -C "$TMP/srv/changes.git" update-ref refs/heads/pr "$PRTIP"
run badkey github github-actions-import-reviews.yml import "{$TRUST, $GHREPOS, $(review_event approved example/changes "$STRANGER")}"
steps_ok badkey 1 "a bot key the policy does not know fails the job"
grep -q "may not attest github reviews" "$R/badkey.log" && ok "and says why" || { not_ok "badkey"; show badkey; }
same "nothing was pushed" "$(git -C "$TMP/srv/changes.git" rev-parse pr)" "$PRTIP"
git -C "$TMP/srv/changes.git" update-ref refs/heads/pr "$tip"

# ------------------------------------------ github-actions-escalate.yml
CRQBOT=$($PY -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$(keyfor crq-bot)")
run escalate github github-actions-escalate.yml escalate "{$TRUST, $GHREPOS, \"event_name\": \"schedule\",
	\"event\": {\"schedule\": \"*/15 * * * *\"}, \"ref\": \"refs/heads/main\", \"sha\": \"$(git rev-parse main)\",
	\"secrets\": {\"CRQ_BOT_KEY\": $CRQBOT, \"SLACK_WEBHOOK\": \"http://127.0.0.1:9/hook\"}}"
steps_ok escalate 0 "the scheduled escalation: verify, escalate, sync, verify"
same "escalate, sync, then verify again" "$(grep -c " commits checked, 0 violations$" "$R/escalate.log")" 2

# ------------------------------------------------------- gitlab-ci.yml
GLVARS="\"CRQ_TRUST\": \"$ROOT\", \"CRQ_SRC_URL\": \"https://gitlab.example/tools/crq.git\""
gl_env() { # NAME SHA MR-IID|BRANCH
	case $3 in
	[0-9]*) src=merge_request_event
		more=", \"CI_MERGE_REQUEST_IID\": \"$3\", \"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME\": \"pr\", \"CI_MERGE_REQUEST_TARGET_BRANCH_NAME\": \"main\"" ;;
	*) src=push more=", \"CI_COMMIT_BRANCH\": \"$3\"" ;;
	esac
	printf '%s\n' "\"env\": {\"CI_PROJECT_DIR\": \"$R/$1/work\",
	\"CI_PROJECT_PATH\": \"ops/changes\", \"CI_PROJECT_ID\": \"3\", \"CI_SERVER_HOST\": \"gitlab.example\",
	\"CI_API_V4_URL\": \"https://gitlab.example/api/v4\", \"CI_JOB_TOKEN\": \"job-token\", \"CI_DEFAULT_BRANCH\": \"main\",
	\"CI_COMMIT_SHA\": \"$2\", \"CI_PIPELINE_ID\": \"99\", \"CI_PIPELINE_SOURCE\": \"$src\"$more},
	\"repos\": {\"ops/changes\": \"https://gitlab-ci-token:job-token@gitlab.example/ops/changes.git\"}"
}
run glpush gitlab gitlab-ci.yml crq-verify "{\"vars\": {$GLVARS}, $(gl_env glpush "$(git rev-parse main)" main)}"
steps_ok glpush 0 "GitLab, a push: the job installs its dependencies, builds crq, verifies"
grep -q "^apt-get install -y -qq --no-install-recommends ca-certificates git python3 curl build-essential" "$R/glpush/calls" &&
	grep -q "^git clone of crq: .crq-src" "$R/glpush/calls" &&
	ok "apt-get in the job (root in the container), crq built from CRQ_SRC_URL" || not_ok "glpush calls: $(cat "$R/glpush/calls")"
grep -qx "$WHOLE" "$R/glpush.log" && ok "GitLab: verify checked the whole history (GIT_DEPTH: 0)" || { not_ok "glpush"; show glpush; }
run glopen gitlab gitlab-ci.yml crq-verify "{\"vars\": {$GLVARS}, $(gl_env glopen "$tip" pr | sed 's|^"env": {|"env": {"CI_OPEN_MERGE_REQUESTS": "ops/changes!7", |')}"
steps_ok glopen 3 "GitLab: a push to a merge request's branch runs as the merge request pipeline, not twice"
run glmr gitlab gitlab-ci.yml crq-verify "{\"vars\": {$GLVARS}, $(gl_env glmr "$tip" 7)}"
steps_ok glmr 0 "GitLab, a merge request pipeline: verify and check"
grep -q "^CHG-000001 assessed: needs 1 cab (has: bob@example.com)" "$R/glmr.log" && ok "GitLab: crq check says what is still needed" || { not_ok "glmr"; show glmr; }
run glbad gitlab gitlab-ci.yml crq-verify "{\"vars\": {$GLVARS}, $(gl_env glbad "$BAD" pr-bad)}"
steps_ok glbad 1 "GitLab: an illegal step fails the job"
sed '/GIT_DEPTH: 0/d' "$EX/gitlab-ci.yml" >"$TMP/gl-shallow.yml"
run glshallow gitlab "$TMP/gl-shallow.yml" crq-verify "{\"vars\": {$GLVARS}, $(gl_env glshallow "$(git rev-parse main)" main)}"
steps_ok glshallow 128 "GitLab's default GIT_DEPTH (20) fails verify: the recipe's GIT_DEPTH: 0 is needed"

# the approvals import: GitLab's merge request approvals object
printf '{"id": 5, "iid": 7, "project_id": 3, "state": "opened", "sha": "%s", "approved": true, "approved_by": [{"user": {"name": "Carol", "username": "carol-gl", "id": 9, "state": "active"}}]}\n' "$tip" >"$R/approvals.json"
cp "$(keyfor review-bot)" "$R/bot_key"
chmod 600 "$R/bot_key"
GLIMPORT="\"vars\": {$GLVARS, \"CRQ_BOT_KEY\": \"$R/bot_key\", \"CRQ_API_TOKEN\": \"api-token\", \"CRQ_PUSH_TOKEN\": \"push-token\"}"
GLAPI="\"GL_TOKEN_WANT\": \"api-token\", \"GL_WANT\": \"https://gitlab.example/api/v4/projects/3/merge_requests/7/approvals\", \"GL_REPLY\": \"$R/approvals.json\""
run glnomr gitlab gitlab-ci.yml crq-import-approvals "{$GLIMPORT, $(gl_env glnomr "$(git rev-parse main)" main)}"
steps_ok glnomr 3 "GitLab: the import is for merge request pipelines only"
run glimport gitlab gitlab-ci.yml crq-import-approvals "{$GLIMPORT, $(gl_env glimport "$tip" 7 | sed "s|^\"env\": {|\"env\": {$GLAPI, |")}"
steps_ok glimport 0 "GitLab: import the approvals, verify, push with the project access token"
grep -q "^CHG-000001: imported 1 gitlab approval$" "$R/glimport.log" && ok "carol's GitLab approval is imported" || { not_ok "glimport"; show glimport; }
same "and pushed: the change is authorized on the merge request's branch" \
	"$(git -C "$TMP/srv/changes.git" cat-file blob pr:changes/000/CHG-000001.yaml | grep '^state:')" "state: authorized"
same "the pushed tip is the bot's approval on the one before" "$(git -C "$TMP/srv/changes.git" log -1 --format='%ae %P' pr)" "review-bot@example.com $tip"
# with the job's own token the push is refused
git -C "$TMP/srv/changes.git" update-ref refs/heads/pr "$tip"
sed 's|git push "https://crq-bot:${CRQ_PUSH_TOKEN}@${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git"|git push origin|' "$EX/gitlab-ci.yml" >"$TMP/gl-jobtoken.yml"
grep -q "git push origin" "$TMP/gl-jobtoken.yml" || not_ok "the recipe's push line moved: update t56"
run gljob gitlab "$TMP/gl-jobtoken.yml" crq-import-approvals "{$GLIMPORT, $(gl_env gljob "$tip" 7 | sed "s|^\"env\": {|\"env\": {$GLAPI, |")}"
steps_ok gljob 128 "pushing with CI_JOB_TOKEN fails"
same "so nothing was pushed" "$(git -C "$TMP/srv/changes.git" rev-parse pr)" "$tip"
done_testing
