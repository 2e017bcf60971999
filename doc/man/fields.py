#!/usr/bin/python3
"""fields.py SCHEMA: the FIELDS section of a file format's page (scdoc).

Every key the JSON Schema allows, by path ("[]" a list item, "<name>"
a key of the file's own choosing), with its type, the values an enum
allows, whether it is required, and the schema's description: the page
lists what crq accepts, read from what crq validates with.
"""
import json
import sys


def esc(text):
    """Text for scdoc: its markup characters taken literally."""
    return (text.replace("\\", "\\\\").replace("*", "\\*")
            .replace("_", "\\_"))


def resolve(schema, node, seen=()):
    """node with its $ref followed (to #/definitions/NAME)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return {}
        seen = seen + (ref,)
        target = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {})
        merged = dict(target)
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        node = merged
    return node if isinstance(node, dict) else {}


def alternatives(schema, node):
    """node and the branches of its oneOf/anyOf/allOf, resolved."""
    node = resolve(schema, node)
    out = [node]
    for key in ("oneOf", "anyOf", "allOf"):
        for alt in node.get(key, []):
            out.extend(alternatives(schema, alt))
    return out


def type_of(schema, node):
    kinds = []
    for alt in alternatives(schema, node):
        t = alt.get("type")
        if isinstance(t, list):
            kinds.extend(t)
        elif t:
            kinds.append(t)
        elif "enum" in alt or "const" in alt:
            kinds.append("string")
    seen = []
    for k in kinds:
        if k == "array":
            item = None
            for alt in alternatives(schema, node):
                if isinstance(alt.get("items"), dict):
                    item = alt["items"]
            inner = type_of(schema, item) if item else ""
            k = "list of " + inner if inner else "list"
        if k not in seen:
            seen.append(k)
    return " or ".join(seen)


def enum_of(schema, node):
    """The values node allows (or a list's items allow), and whether it
    also allows others: an alternative that is no enum (a name, any
    string) besides "*"."""
    values, other = [], False
    for alt in alternatives(schema, node)[1:] or alternatives(schema, node):
        fixed = alt.get("enum", []) + ([alt["const"]] if "const" in alt else [])
        for v in fixed:
            if v not in values:
                values.append(v)
        if not fixed and (alt.get("type") or alt.get("pattern")):
            other = True
    if not values:
        for alt in alternatives(schema, node):
            if isinstance(alt.get("items"), dict):
                return enum_of(schema, alt["items"])
    return values, other and bool(values)


def describe(schema, node):
    for alt in alternatives(schema, node):
        if alt.get("description"):
            return alt["description"]
    return ""


def walk(schema, node, path, out, depth=0):
    if depth > 12:
        return
    alts = alternatives(schema, node)
    required = set()
    for alt in alts:
        required.update(alt.get("required", []))
    for alt in alts:
        for key, sub in alt.get("properties", {}).items():
            entry(schema, sub, path + ("." if path else "") + key,
                  key in required, out, depth)
        for pattern, sub in alt.get("patternProperties", {}).items():
            entry(schema, sub, path + ("." if path else "") + "<name>",
                  False, out, depth)
        extra = alt.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            entry(schema, extra, path + ("." if path else "") + "<name>",
                  False, out, depth)
        items = alt.get("items")
        if isinstance(items, dict):
            walk(schema, items, path + "[]", out, depth + 1)


def entry(schema, node, path, required, out, depth):
    if path not in out:
        out[path] = (type_of(schema, node), enum_of(schema, node),
                     required, describe(schema, node))
    walk(schema, node, path, out, depth + 1)


def main():
    schema = json.load(open(sys.argv[1]))
    fields = {}
    walk(schema, schema, "", fields)
    print("# FIELDS")
    print()
    print("Every key the file may hold, by path: *[]* is an item of a list,"
          " *<name>* a key of your own choosing.  Generated from the"
          " schema crq validates with (*crq schema %s*)."
          % esc(sys.argv[2] if len(sys.argv) > 2 else "NAME"))
    print()
    for path, (kind, (values, other), required, text) in fields.items():
        head = "*%s*" % esc(path)
        notes = [esc(kind)] if kind else []
        if required:
            notes.append("required")
        print("%s%s" % (head, " (" + ", ".join(notes) + ")" if notes else ""))
        body = []
        if values:
            body.append(("Any such value, or: " if other else "One of: ") +
                        ", ".join(esc(json.dumps(v) if not
                                      isinstance(v, str) else v)
                                  for v in values) + ".")
        if text:
            body.append(esc(" ".join(text.split())))
        if body:
            print("\t" + " ".join(body))
        print()


if __name__ == "__main__":
    main()
