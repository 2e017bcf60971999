#!/usr/bin/python3
"""Validate YAML files against a JSON Schema with python3-jsonschema.

usage: crosscheck.py SCHEMA FILE...  -> prints "FILE valid|invalid" lines
       crosscheck.py --items SCHEMA FILE...  -> each FILE is a list (crq
       events --json): "FILE[N] valid|invalid" per item, with the first
       problem of an invalid one

An independent second opinion for crq's own validator: PyYAML reads the
files and Debian's python3-jsonschema validates them.  jsonschema 4.10
checks "date-time" only with the rfc3339-validator module, which Debian
12 does not package, so a strict RFC 3339 check built on Python's
datetime is registered here instead.
"""
import datetime
import json
import re
import sys

import jsonschema
import yaml

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-](\d{2}):(\d{2}))$")


def is_datetime(value):
    if not isinstance(value, str):
        return True
    m = RFC3339.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return False
    if h > 23 or mi > 59 or s > 60:
        return False
    if m.group(9) and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


def main():
    args = sys.argv[1:]
    items = args[:1] == ["--items"]
    if items:
        args = args[1:]
    schema = json.load(open(args[0]))
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(is_datetime)
    validator = jsonschema.Draft7Validator(schema, format_checker=checker)
    for path in args[1:]:
        with open(path) as f:
            doc = yaml.safe_load(f)
        if not items:
            errors = list(validator.iter_errors(doc))
            print(path, "invalid" if errors else "valid")
            continue
        for i, item in enumerate(doc):
            errors = list(validator.iter_errors(item))
            print("%s[%d]" % (path, i), "invalid: " + errors[0].message
                  if errors else "valid")


main()
