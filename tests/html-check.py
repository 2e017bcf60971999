#!/usr/bin/python3
"""Check one of crq's HTML files the way a browser and an auditor see it.

usage: html-check.py FILE [--changes N] [--controls N] [--charts-min N]
           [--gantt-bars N] [--cal-windows N] [--cal-freezes-min N]
           [--refused N] [--screenshot PNG] [--window-size W,H]
           [--no-browser]

(a) html5lib in strict mode: any parse error fails; then the markup: no
    script, no link, nothing with a URL (src, href other than #id,
    url(), @import), lang and <title>, headings h1.. in order, every
    table with a caption and <th scope>, every svg.chart with role=img
    and a <title> and <desc> named by aria-labelledby, unique ids.
(b) headless Chromium, offline (a dead proxy, every host name
    unresolvable), dumps the DOM and writes a net log
    (--log-net-log): any request the page made that is not the file
    itself fails the check (Chromium's own background requests, which
    carry no initiator and no file:// isolation key, are not the
    page's).
(c) the elements counted in the DOM Chromium built, against the
    expectations (and the same as in the file).
(d) --screenshot: Chromium's screenshot, decoded here (PNG, zlib) and
    required not to be blank: many colours, some dark (text) pixels.
Prints one "ok"/"not ok" line per check; exit 1 when one failed.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import html5lib

CHROMIUM = os.environ.get("CHROMIUM", "chromium")
failed = 0


def ok(msg):
    print("ok - " + msg)


def not_ok(msg):
    global failed
    failed += 1
    print("not ok - " + msg)


def local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def classes(el):
    return (el.get("class") or "").split()


def walk(root):
    for el in root.iter():
        if isinstance(el.tag, str):
            yield el


def counts(root):
    c = {"changes": 0, "controls": 0, "charts": 0, "gantt-bars": 0,
         "cal-windows": 0, "cal-freezes": 0, "refused": 0}
    for el in walk(root):
        t, cl = local(el.tag), classes(el)
        if t == "section" and "change" in cl:
            c["changes"] += 1
        elif t == "td" and "control" in cl:
            c["controls"] += 1
        elif t == "svg" and "chart" in cl:
            c["charts"] += 1
        elif t == "rect" and "gantt-bar" in cl:
            c["gantt-bars"] += 1
        elif t == "div" and "cal-window" in cl:
            c["cal-windows"] += 1
        elif t == "div" and "cal-freeze" in cl:
            c["cal-freezes"] += 1
        elif t == "tr" and "refused" in cl:
            c["refused"] += 1
    return c


URL_ATTRS = {"src", "srcset", "action", "formaction", "poster", "data",
             "background", "cite", "longdesc", "manifest", "ping"}


def text_of(el):
    return "".join(el.itertext())


def check_markup(root):
    """(a), after the strict parse: what the file may hold."""
    bad = []
    for el in walk(root):
        t = local(el.tag)
        if t in ("script", "link", "iframe", "object", "embed", "img",
                 "base", "frame", "audio", "video", "source", "image",
                 "use", "foreignObject"):
            bad.append("<%s>" % t)
        if t == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            bad.append("<meta http-equiv=refresh>")
        for k, v in el.attrib.items():
            name = local(k).lower()
            if name.startswith("on"):
                bad.append("%s on <%s>" % (name, t))
            if name in URL_ATTRS:
                bad.append('%s="%s" on <%s>' % (name, v, t))
            if name == "href" and not v.startswith("#"):
                bad.append('href="%s" on <%s>' % (v, t))
            if name == "style" and re.search(r"url\(|@import|expression\(",
                                             v, re.I):
                bad.append('style="%s" on <%s>' % (v, t))
        if t == "style":
            css = text_of(el)
            for pat in (r"url\(", r"@import", r"https?:", r"//",
                        r"@font-face", r"expression\("):
                if re.search(pat, css, re.I):
                    bad.append("<style> holds %s" % pat.replace("\\", ""))
    if bad:
        not_ok("self-contained: " + "; ".join(sorted(set(bad))[:10]))
    else:
        ok("self-contained: no script, link, image or URL")


def check_accessible(root):
    html = root if local(root.tag) == "html" else root.find(".//html")
    errs = []
    if html is None or not (html.get("lang") or "").strip():
        errs.append("<html> has no lang")
    head_title = None
    for el in walk(root):
        if local(el.tag) == "head":
            for c in el:
                if local(c.tag) == "title":
                    head_title = text_of(c).strip()
    if not head_title:
        errs.append("no <title>")
    level = 0
    if not any(local(el.tag) == "h1" for el in walk(root)):
        errs.append("no <h1>")
    for el in walk(root):
        t = local(el.tag)
        if re.fullmatch(r"h[1-6]", t) and not el.tag.startswith("{"):
            n = int(t[1])
            if (level == 0 and n != 1) or n > level + 1:
                errs.append("<%s> after <h%d>: %s" % (t, level,
                            text_of(el)[:40]))
            level = n
    ids = {}
    for el in walk(root):
        i = el.get("id")
        if i is not None:
            ids.setdefault(i, []).append(el)
    dup = [i for i, v in ids.items() if len(v) > 1]
    if dup:
        errs.append("duplicate ids: " + ", ".join(dup[:5]))
    for el in walk(root):
        t = local(el.tag)
        if t == "table":
            kids = [c for c in el if isinstance(c.tag, str)]
            if not kids or local(kids[0].tag) != "caption" or \
                    not text_of(kids[0]).strip():
                errs.append("a table without a caption")
            ths = [c for c in el.iter() if local(c.tag) == "th"]
            if not ths:
                errs.append("a table without <th>")
            for th in ths:
                if th.get("scope") not in ("col", "row", "colgroup",
                                           "rowgroup"):
                    errs.append("<th> without scope: " + text_of(th)[:30])
                    break
        if t == "svg" and "chart" in classes(el):
            if el.get("role") != "img":
                errs.append("svg.chart without role=img")
            names = (el.get("aria-labelledby") or "").split()
            got = set()
            for n in names:
                target = ids.get(n, [None])[0]
                if target is None or target not in list(el.iter()):
                    errs.append("svg.chart names #%s, not inside it" % n)
                    continue
                if not text_of(target).strip():
                    errs.append("svg.chart: #%s is empty" % n)
                got.add(local(target.tag))
            if got != {"title", "desc"}:
                errs.append("svg.chart not named by its <title> and <desc>")
    if errs:
        not_ok("accessible: " + "; ".join(errs[:8]))
    else:
        ok("accessible: lang, title, headings in order, captions, th "
           "scope, every chart with role=img, title and desc")


def parse_strict(data, name):
    p = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False,
                            tree=html5lib.getTreeBuilder("etree"))
    try:
        root = p.parse(data)
    except html5lib.html5parser.ParseError as e:
        pos = p.errors[-1][0] if p.errors else None
        not_ok("html5lib (strict) parses %s: %s at %s" % (name, e, pos))
        return None
    ok("html5lib (strict) parses %s without an error" % name)
    return root


def parse_loose(data):
    return html5lib.HTMLParser(namespaceHTMLElements=False,
                               tree=html5lib.getTreeBuilder("etree")
                               ).parse(data)


# ---- Chromium ----------------------------------------------------------

def chromium(tmp, url, what, extra):
    """Run headless Chromium offline on url; (stdout, page requests)."""
    prof = os.path.join(tmp, "profile-" + what)
    home = os.path.join(tmp, "home-" + what)
    os.makedirs(home, exist_ok=True)
    netlog = os.path.join(tmp, "net-%s.json" % what)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--no-first-run", "--no-default-browser-check",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--disable-default-apps",
           "--mute-audio", "--hide-scrollbars",
           "--user-data-dir=" + prof,
           # offline: a proxy nobody listens on, no name resolves
           "--proxy-server=127.0.0.1:9",
           "--host-resolver-rules=MAP * ~NOTFOUND",
           "--log-net-log=" + netlog] + extra + [url]
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home,
               XDG_CACHE_HOME=home)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=180)
    if r.returncode != 0:
        raise RuntimeError("chromium exited %d: %s" % (
            r.returncode, r.stderr.decode(errors="replace")[-500:]))
    return r.stdout, page_requests(netlog, url)


def load_netlog(path):
    raw = open(path, encoding="utf-8", errors="replace").read()
    try:
        return json.loads(raw)
    except ValueError:
        # a log cut short at exit: close its event list
        return json.loads(raw.rstrip().rstrip(",") + "]}")


def page_requests(netlog, url):
    """The URLs the page asked the network stack for, other than itself.
    A request is the page's when it has an initiator (the file's opaque
    origin: "null") or its isolation key or site is file://; Chromium's
    own (component updates, time, accounts) have "not an origin"."""
    d = load_netlog(netlog)
    types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
    seen, mine = 0, []
    for e in d.get("events", []):
        if types.get(e.get("type")) != "URL_REQUEST_START_JOB":
            continue
        p = e.get("params") or {}
        if "url" not in p:
            continue
        seen += 1
        own = p.get("initiator", "not an origin") != "not an origin" or \
            "file://" in p.get("network_isolation_key", "") or \
            "file://" in p.get("site_for_cookies", "")
        if own and p["url"] != url and p["url"] not in mine:
            mine.append(p["url"])
    if not d.get("events"):
        raise RuntimeError("the net log %s holds no events" % netlog)
    return mine


# ---- PNG -----------------------------------------------------------------

def png_pixels(path):
    """(width, height, bytes per pixel, rows) of an 8-bit RGB(A) or grey
    PNG, unfiltered."""
    b = open(path, "rb").read()
    if b[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(b):
        n, kind = struct.unpack(">I4s", b[pos:pos + 8])
        body = b[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or interlace or ctype not in (0, 2, 4, 6):
        raise ValueError("PNG kind %s not handled" % (ihdr,))
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + c) & 255 for a, c in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                c = prev[i - bpp] if i >= bpp else 0
                bb = prev[i]
                pa, pb, pc = abs(bb - c), abs(a - c), abs(a + bb - 2 * c)
                pr = a if pa <= pb and pa <= pc else bb if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def check_screenshot(path, want_w, want_h):
    w, h, bpp, rows = png_pixels(path)
    if (w, h) != (want_w, want_h):
        not_ok("screenshot is %dx%d, wanted %dx%d" % (w, h, want_w, want_h))
        return
    hist, dark, total = {}, 0, 0
    for y in range(0, h, 2):
        r = rows[y]
        for x in range(0, w * bpp, 2 * bpp):
            px = bytes(r[x:x + min(bpp, 3)])
            hist[px] = hist.get(px, 0) + 1
            total += 1
            if sum(px) < 3 * 110:
                dark += 1
    common = max(hist.values()) / total
    white = hist.get(b"\xff\xff\xff", 0) / total
    msg = "%d colours, most common %.0f%%, white %.0f%%, dark %.1f%%" % (
        len(hist), common * 100, white * 100, dark * 100 / total)
    if len(hist) >= 64 and common < 0.9 and dark / total > 0.004:
        ok("the screenshot is not blank: " + msg)
    else:
        not_ok("the screenshot looks blank: " + msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    for k in ("changes", "controls", "gantt-bars", "cal-windows", "refused"):
        ap.add_argument("--" + k, type=int)
    ap.add_argument("--charts-min", type=int)
    ap.add_argument("--cal-freezes-min", type=int)
    ap.add_argument("--screenshot")
    ap.add_argument("--window-size", default="1280,2000")
    ap.add_argument("--no-browser", action="store_true")
    a = ap.parse_args()
    path = os.path.abspath(a.file)
    data = open(path, "rb").read()
    root = parse_strict(data, os.path.basename(path))
    if root is None:
        root = parse_loose(data)
    check_markup(root)
    check_accessible(root)
    static = counts(root)
    want = {"changes": a.changes, "controls": a.controls,
            "gantt-bars": a.gantt_bars, "cal-windows": a.cal_windows,
            "refused": a.refused}
    mins = {"charts": a.charts_min, "cal-freezes": a.cal_freezes_min}
    got = static
    if not a.no_browser:
        tmp = tempfile.mkdtemp(prefix="html-check.")
        url = "file://" + path
        try:
            dom, reqs = chromium(tmp, url, "dom", ["--dump-dom"])
            if reqs:
                not_ok("offline: the page requested " + ", ".join(reqs))
            else:
                ok("offline: Chromium's net log holds no request of the "
                   "page's")
            got = counts(parse_loose(dom))
            if got == static:
                ok("Chromium's DOM holds what the file does: %s" % got)
            else:
                not_ok("Chromium's DOM %s, the file %s" % (got, static))
            if a.screenshot:
                ww, wh = (int(x) for x in a.window_size.split(","))
                shot = os.path.join(tmp, "shot.png")
                _, reqs = chromium(tmp, url, "shot", [
                    "--screenshot=" + shot,
                    "--window-size=%d,%d" % (ww, wh)])
                if reqs:
                    not_ok("offline (screenshot): the page requested " +
                           ", ".join(reqs))
                check_screenshot(shot, ww, wh)
                shutil.copyfile(shot, a.screenshot)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError,
                OSError) as e:
            not_ok("chromium: %s" % e)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    for k, v in want.items():
        if v is None:
            continue
        if got[k] == v:
            ok("%d %s" % (v, k))
        else:
            not_ok("%d %s, wanted %d" % (got[k], k, v))
    for k, v in mins.items():
        if v is None:
            continue
        if got[k] >= v:
            ok("%d %s (at least %d)" % (got[k], k, v))
        else:
            not_ok("%d %s, wanted at least %d" % (got[k], k, v))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
