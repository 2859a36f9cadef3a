#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Collect the results of a mm/offload test run and summarise them.

Every step of a run writes one result file into the results directory:
lines of "<group>\t<suite>\t<case>\t<PASS|FAIL|SKIP>".  The subcommands
turn each kind of output into such a file:

  kunit-json  GROUP JSON OUT   KUnit results, from kunit.py's --json output
  tap         GROUP LOG OUT    kselftest TAP (run_kselftest.sh output)
  check       GROUP SUITE CASE STATUS OUT
                               one case decided by the harness itself
  summary     FILE...          per-suite table and "N passed, N failed";
                               exits 1 if anything failed or nothing ran
"""

import json
import re
import sys
from collections import OrderedDict
from pathlib import Path


def write(out, rows):
    with open(out, 'w') as f:
        for row in rows:
            f.write('\t'.join(row) + '\n')


def kunit_json(group, path, out):
    rows = []

    def walk(node, suite):
        for case in node.get('test_cases', []):
            status = case['status']
            if status not in ('PASS', 'SKIP'):
                status = 'FAIL'
            rows.append((group, suite, case['name'], status))
        for sub in node.get('sub_groups', []):
            walk(sub, sub['name'])

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        rows.append((group, 'kunit', 'results', 'FAIL'))
        print(f'{group}: no KUnit results in {path}: {err}', file=sys.stderr)
    else:
        walk(data, 'kunit')
        if not rows:
            rows.append((group, 'kunit', 'any test ran', 'FAIL'))
    write(out, rows)


# "ok 3 name # SKIP why", possibly behind "# " nesting prefixes
TAP_LINE = re.compile(r'^((?:# )*)(not ok|ok) +\d+ +(?:- +)?([^#]*?)\s*(#.*)?$')


def tap(group, path, out):
    """Per-case results of each kselftest program.

    run_kselftest.sh prints the program's own TAP behind "# " and then one
    top-level line per program; a program that crashed or timed out only
    has the top-level line, which then counts as its result.
    """
    rows = []
    cases = []
    try:
        lines = Path(path).read_text(errors='replace').splitlines()
    except OSError as err:
        lines = []
        print(f'{group}: cannot read {path}: {err}', file=sys.stderr)
    for line in lines:
        m = TAP_LINE.match(line.strip('\r'))
        if not m:
            continue
        nested, result, name, directive = m.groups()
        directive = (directive or '').upper()
        if 'SKIP' in directive:
            status = 'SKIP'
        else:
            status = 'PASS' if result == 'ok' else 'FAIL'
        if nested:
            cases.append((name.strip(), status))
            continue
        # top level: "selftests: mm_offload: move_pages_test"
        suite = name.split(':')[-1].strip() or name
        if status == 'FAIL' and all(s != 'FAIL' for _, s in cases):
            cases.append(('program exit status', 'FAIL'))
        if not cases:
            cases.append(('program', status))
        rows += [(group, suite, c, s) for c, s in cases]
        cases = []
    if not rows:
        rows.append((group, 'kselftest', 'any test ran', 'FAIL'))
    write(out, rows)


def summary(*files):
    suites = OrderedDict()
    failed_cases = []
    for f in files:
        if not Path(f).is_file():
            continue
        for line in Path(f).read_text().splitlines():
            group, suite, case, status = line.split('\t')
            counts = suites.setdefault((group, suite),
                                       {'PASS': 0, 'FAIL': 0, 'SKIP': 0})
            counts[status] += 1
            if status == 'FAIL':
                failed_cases.append(f'{group}/{suite}: {case}')

    total = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    print(f"{'group':<12} {'suite':<28} {'pass':>5} {'fail':>5} {'skip':>5}")
    for (group, suite), c in suites.items():
        print(f"{group:<12} {suite:<28} {c['PASS']:>5} {c['FAIL']:>5} "
              f"{c['SKIP']:>5}")
        for k in total:
            total[k] += c[k]
    for case in failed_cases:
        print(f'FAILED: {case}')
    if total['SKIP']:
        print(f"{total['SKIP']} skipped")
    if not suites:
        print('no results: nothing ran')
        total['FAIL'] += 1
    print(f"{total['PASS']} passed, {total['FAIL']} failed")
    return 1 if total['FAIL'] else 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == 'kunit-json':
        kunit_json(*args)
    elif cmd == 'tap':
        tap(*args)
    elif cmd == 'check':
        group, suite, case, status, out = args
        with open(out, 'a') as f:
            f.write(f'{group}\t{suite}\t{case}\t{status}\n')
    elif cmd == 'summary':
        return summary(*args)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
