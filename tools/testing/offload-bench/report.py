#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's "bench ..." lines into the mm/offload benchmark report.

  report.py DIR OUTPUT.log... [--facts KEY=VALUE ...]

Reads the output of the guest's bench.sh runs (a full or smoke run, the
icount runs of the benchmark kernel and of a kernel without the option)
and of the UML dispatch benchmark (tests/bench.sh converts it), and writes DIR/bench.json (every sample, every figure, the machine facts),
DIR/report.md (the figures against the targets of the benchmark) and,
when gnuplot is installed, DIR/throughput-{4k,thp}.png and
DIR/first-folio-{4k,thp}.png.  Each figure is the median of its
repetitions, with min and max.  Exits 1 when the run reported an error or
lost data, or when a section of the benchmark is missing.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

# Sections every run must have; report.md says which one is missing.
SECTIONS = ['memcpy', 'stock', 'cpu', 'mtcopy-1', 'mtcopy-2', 'mtcopy-all',
            'dma-local', 'dma-remote', 'all', 'sched-4k', 'sched-thp',
            'locality-4k', 'locality-thp',
            'hybrid-dma-only', 'hybrid-dma', 'hybrid', 'icount-noengine', 'icount-routeoff',
            'icount-below', 'icount-cpupath']
# Instruction-count cases and their targets: extra cost per folio over a
# kernel without the option, at the same batch size.
ICOUNT_TARGETS = [('icount-noengine', 'built in, no engine', 0.5),
                  ('icount-routeoff', 'engines, route off', 0.5),
                  ('icount-below', 'batch below the threshold', 2.0),
                  ('icount-cpupath', "the broker's CPU path", 3.0)]
# Modes drawn in the throughput charts, in this order.
CHART_MODES = ['stock', 'cpu', 'mtcopy-1', 'mtcopy-2', 'mtcopy-all',
               'dma-local', 'dma-remote', 'all', 'hybrid-dma', 'hybrid']
# The parts a hybrid is compared with (each alone).
HYBRID_PARTS = ['stock', 'cpu', 'mtcopy-1', 'mtcopy-2', 'mtcopy-all',
                'hybrid-dma-only']
# The default route threshold (OFFLOAD_ROUTE_MIN_BATCH_DEFAULT), in base
# pages: below it the broker does not act, so targets do not apply.
MIN_BATCH_PAGES = 32
PAGES = {'4k': 1, 'thp': 512}


# Keys a record of each type must have; one without them (a line cut off
# by a guest that stopped) is an error, not a figure.
KEYS = {'memcpy': ('threads', 'bytes', 'ns'),
        'move': ('label', 'kind', 'batch', 'folios', 'moved', 'bytes', 'ns'),
        'first': ('label', 'kind', 'batch', 'ns', 'call_ns'),
        'region': ('label', 'kind', 'bytes', 'thp_bytes'),
        'verify': ('label', 'kind', 'bad_pages', 'bytes', 'thp_bytes'),
        'engine': ('label', 'phase', 'name', 'bytes'),
        'dispatch': ('what', 'folios', 'ns_request', 'ns_folio'),
        'rate': ('engine', 'bytes_per_s'),
        'near': ('engine', 'far'),
        'mtcopy': ('label', 'threads', 'where'),
        'machine': ('size',)}


def parse(paths):
    """Return a dict per "bench TYPE key=value ..." line of the files.

    Each record also gets 'run', the size of the run (full, smoke, icount)
    that the file's last "bench machine" line announced, and 'file'.
    """
    records = []
    for path in paths:
        run = None
        with open(path, errors='replace') as f:
            for line in f:
                words = line.strip().split()
                if len(words) < 2 or words[0] != 'bench':
                    continue
                rec = {'type': words[1], 'file': os.path.basename(path),
                       'line': line.strip()}
                for w in words[2:]:
                    key, sep, value = w.partition('=')
                    if sep:
                        rec[key] = int(value) \
                            if value.lstrip('-').isdigit() else value
                if any(k not in rec for k in KEYS.get(rec['type'], ())):
                    rec = {'type': 'error', 'line': 'incomplete: ' +
                           line.strip(), 'file': rec['file']}
                if rec['type'] == 'machine':
                    run = rec['size']
                rec['run'] = run
                records.append(rec)
    return records


def stats(values):
    """Median, min and max of a list of numbers (None when empty)."""
    if not values:
        return None
    return {'median': statistics.median(values), 'min': min(values),
            'max': max(values), 'n': len(values)}


def gbps(rec):
    return rec['bytes'] / rec['ns'] if rec['ns'] else 0.0


def figures(records):
    """Every figure of the report, from the raw records."""
    fig = {'memcpy': {}, 'move': {}, 'first': {}, 'late': {}, 'icount': {},
           'dispatch': {}, 'sched': {}, 'errors': []}

    for r in records:
        if r['type'] == 'memcpy':
            fig['memcpy'].setdefault(str(r['threads']), []).append(gbps(r))
        elif r['type'] == 'move':
            key = '%s/%s/%d' % (r['label'], r['kind'], r['batch'])
            fig['move'].setdefault(key, []).append(gbps(r))
            if r['label'].startswith('icount-') and r['moved']:
                fig['icount'].setdefault(key, {}).setdefault(
                    r['run'], []).append(r['ns'] / r['moved'])
            if r['moved'] != r['folios']:
                fig['errors'].append('%s: %d of %d folios moved' %
                                     (key, r['moved'], r['folios']))
        elif r['type'] == 'first':
            key = '%s/%s/%d' % (r['label'], r['kind'], r['batch'])
            if r['ns'] < 0:
                fig['errors'].append('%s: first folio never moved' % key)
                continue
            # Seen only after the call returned: it moved before that.
            fig['first'].setdefault(key, []).append(
                min(r['ns'], r['call_ns']) / 1e6)
            fig['late'][key] = fig['late'].get(key, 0) + \
                (r['ns'] > r['call_ns'])
        elif r['type'] in ('region', 'verify'):
            if r.get('bad_pages'):
                fig['errors'].append('%s/%s: %d pages lost their data' %
                                     (r['label'], r['kind'],
                                      r['bad_pages']))
            if r['kind'] == 'thp' and r['thp_bytes'] < r['bytes']:
                fig['errors'].append(
                    '%s/thp: %d of %d bytes in THPs at %s: THP figures '
                    'would count split folios as whole' % (
                        r['label'], r['thp_bytes'], r['bytes'],
                        'the start' if r['type'] == 'region' else 'the end'))
        elif r['type'] == 'dispatch':
            for unit in ('ns_request', 'ns_folio'):
                key = '%s/%d/%s' % (r['what'], r['folios'], unit)
                fig['dispatch'].setdefault(key, []).append(r[unit])
        elif r['type'] == 'error':
            fig['errors'].append('%s: %s' % (r['file'], r['line']))
    # Instruction counts only from icount runs, if there were any.
    for key, runs in fig['icount'].items():
        fig['icount'][key] = runs.get('icount') or \
            [v for vs in runs.values() for v in vs]
    fig['icount_exact'] = any(r['run'] == 'icount' for r in records)
    for group in ('memcpy', 'move', 'first', 'icount', 'dispatch'):
        fig[group] = {k: stats(v) for k, v in fig[group].items()}
    fig['sched'] = scheduler(records)
    return fig


def engine_deltas(records, label):
    """Bytes each engine copied during a labelled case."""
    before, after = {}, {}
    for r in records:
        if r['type'] == 'engine' and r['label'] == label:
            (before if r['phase'] == 'before' else after)[r['name']] = \
                r['bytes']
    return {n: after[n] - before.get(n, 0) for n in after}


def scheduler(records):
    """Per folio kind: efficiency of the rate-limited engines, each one's
    share of the bytes and the CPU's; the near engine's share."""
    out = {}
    rates = {r['engine']: r['bytes_per_s'] for r in records
             if r['type'] == 'rate' and 'engine' in r}
    near = [r for r in records if r['type'] == 'near']
    for kind in ('4k', 'thp'):
        label = 'sched-' + kind
        moves = [r for r in records
                 if r['type'] == 'move' and r['label'] == label]
        ns = sum(r['ns'] for r in moves)
        delta = engine_deltas(records, label)
        if rates and ns:
            total = sum(delta.get(e, 0) for e in rates)
            moved = sum(r['bytes'] for r in moves)
            out[kind] = {
                'efficiency': total / ns * 1e9 / sum(rates.values()),
                'shares': {e: delta.get(e, 0) / total if total else 0
                           for e in rates},
                'set_shares': {e: v / sum(rates.values())
                               for e, v in rates.items()},
                'cpu_share': 1 - total / moved if moved else 0}
        delta = engine_deltas(records, 'locality-' + kind)
        if near:
            n = delta.get(near[0]['engine'], 0)
            f = delta.get(near[0]['far'], 0)
            out.setdefault(kind, {})['near_share'] = \
                n / (n + f) if n + f else 0
    out['rates'] = rates
    return out


def fmt(s, scale=1.0, digits=3):
    if not s:
        return '-'
    return '%.*f [%.*f-%.*f]' % (digits, s['median'] * scale, digits,
                                 s['min'] * scale, digits, s['max'] * scale)


def batches(fig, kind):
    out = set()
    for key in fig['move']:
        label, k, b = key.split('/')
        if k == kind:
            out.add(int(b))
    return sorted(out)


def med(fig, group, label, kind, batch):
    s = fig[group].get('%s/%s/%d' % (label, kind, batch))
    return s['median'] if s else None


def throughput_table(fig, kind, ceiling):
    modes = [m for m in CHART_MODES + ['hybrid-dma-only', 'sched-4k',
                                       'sched-thp', 'locality-4k',
                                       'locality-thp']
             if any(k.startswith(m + '/' + kind + '/') for k in fig['move'])]
    lines = ['| mode | batch | GB/s median [min-max] | x stock | x memcpy |',
             '|---|---:|---|---:|---:|']
    for m in modes:
        for b in batches(fig, kind):
            s = fig['move'].get('%s/%s/%d' % (m, kind, b))
            if not s:
                continue
            stock = med(fig, 'move', 'stock', kind, b)
            lines.append('| %s | %d | %s | %s | %s |' % (
                m, b, fmt(s), '%.2f' % (s['median'] / stock) if stock else '-',
                '%.2f' % (s['median'] / ceiling) if ceiling else '-'))
    return lines


def hybrid_rows(fig):
    rows = []
    for kind in ('4k', 'thp'):
        for b in batches(fig, kind):
            h = med(fig, 'move', 'hybrid', kind, b)
            parts = {p: med(fig, 'move', p, kind, b) for p in HYBRID_PARTS}
            parts = {p: v for p, v in parts.items() if v}
            if not h or not parts:
                continue
            best = max(parts, key=parts.get)
            rows.append((kind, b, h / parts[best], best))
    return rows


def markdown(fig, facts, missing):
    ceiling = fig['memcpy'].get('1', {}) or {}
    ceil1 = ceiling.get('median')
    out = ['# mm/offload benchmark report', '',
           'Generated by `make bench` (tools/testing/offload-bench). '
           'Figures are medians of the repetitions, [min-max] after them.']
    if fig['emulated']:
        out[-1] += (' **Timings are emulated (QEMU TCG)**: absolute GB/s '
                    'mean little, ratios measured in the same boot are '
                    'what to read.')
    out += ['', '## Machine', '']
    out += ['- %s: %s' % kv for kv in sorted(facts.items())]
    if missing:
        out += ['', '**Missing sections: %s**' % ', '.join(missing)]
    if fig['errors']:
        out += ['', '## Errors', ''] + ['- ' + e for e in fig['errors']]
    out += ['', '## Ceiling: memcpy in the guest', '',
            '| threads | GB/s median [min-max] |', '|---:|---|']
    for t, s in sorted(fig['memcpy'].items(), key=lambda kv: int(kv[0])):
        out.append('| %s | %s |' % (t, fmt(s)))
    for kind, title in (('4k', '4 KiB folios'), ('thp', '2 MiB THPs')):
        out += ['', '## move_pages(2) throughput, %s' % title, '',
                'x stock: ratio to the stock path (route off) at the same '
                'batch size; x memcpy: ratio to one thread\'s memcpy.', '']
        out += throughput_table(fig, kind, ceil1)
    out += ['', '## First-folio latency (ms)', '',
            'Time from the move_pages(2) call until its first folio is on '
            'the target node (a second thread polls), by batch size.', '',
            '| mode | kind | batch | ms median [min-max] |',
            '|---|---|---:|---|']
    for key in sorted(fig['first'], key=lambda k: (k.split('/')[0],
                      k.split('/')[1], int(k.split('/')[2]))):
        m, k, b = key.split('/')
        out.append('| %s | %s | %s | %s |' % (m, k, b, fmt(fig['first'][key])))
    out += icount_section(fig)
    out += dispatch_section(fig)
    out += ['', '## Targets', '', '| figure | measured | target |',
            '|---|---|---|']
    for kind in ('4k', 'thp'):
        sch = fig['sched'].get(kind, {})
        if 'efficiency' in sch:
            out.append('| scheduler efficiency, %s (aggregate / sum of set '
                       'rates) | %.3f | >= 0.95 |' % (kind, sch['efficiency']))
            for e in sch['shares']:
                out.append('| %s: share of %s (set %.3f) | %.3f | set share |'
                           % (kind, e, sch['set_shares'][e],
                              sch['shares'][e]))
            out.append('| %s: bytes the CPU copied there | %.3f | 0 (route '
                       'require) |' % (kind, sch['cpu_share']))
        if 'near_share' in sch:
            out.append('| node-local share, uncontended, %s | %.3f | >= 0.95 |'
                       % (kind, sch['near_share']))
    for kind, b, ratio, best in hybrid_rows(fig):
        below = b * PAGES[kind] < MIN_BATCH_PAGES
        out.append('| hybrid / best single (%s), %s batch %d | %.2f | %s |'
                   % (best, kind, b, ratio, 'none: below the default '
                      'threshold' if below else '>= 1.0'))
    for label, what, limit in ICOUNT_TARGETS if fig['icount_exact'] else ():
        for b, extra in icount_extra(fig, label):
            out.append('| instructions per folio, %s, batch %d | %+.2f %% | '
                       '<= +%.1f %% |' % (what, b, extra, limit))
    for unit, what, limit in (('ns_request', 'per request (1 folio)', 100),
                              ('ns_folio', 'per folio (512 folios)', 2)):
        folios = 1 if unit == 'ns_request' else 512
        d = fig['dispatch'].get('null/%d/%s' % (folios, unit))
        if d:
            out.append('| core dispatch (UML, native) %s | %s ns | <= %d ns |'
                       % (what, fmt(d, digits=0), limit))
    for b in batches(fig, 'thp'):
        s, c = (med(fig, 'move', m, 'thp', b) for m in ('stock', 'cpu'))
        t = med(fig, 'move', 'mtcopy-2', 'thp', b)
        if s and c:
            out.append('| 2 MiB batch %d: broker CPU path / stock | %.2f | '
                       '>= 0.97 |' % (b, c / s))
        if s and t:
            out.append('| 2 MiB batch %d: mtcopy 2 vCPUs / stock%s | '
                       '%.2f | >= 1.6 |' % (b, ' (TCG: emulated copies '
                                            'scale with host threads)'
                                            if fig['emulated'] else '',
                                            t / s))
    return '\n'.join(out) + '\n'


def icount_extra(fig, label):
    """(batch, extra %) of an icount case over the kernel without it."""
    out = []
    for key, s in sorted(fig['icount'].items()):
        lab, kind, b = key.split('/')
        base = fig['icount'].get('icount-nooption/%s/%s' % (kind, b))
        if lab == label and base:
            out.append((int(b), (s['median'] / base['median'] - 1) * 100))
    return out


def icount_section(fig):
    if not fig['icount']:
        return []
    if fig['icount_exact']:
        title = 'Deterministic cost: instructions per migrated folio'
        what = 'instructions/folio'
        text = ('Boots under QEMU `-icount shift=0,sleep=off`: guest time is '
                'the instruction count (1 ns = 1 instruction, all vCPUs, '
                'including idle ticks), so these figures repeat from run to '
                'run but for a few outliers (min-max).  "nooption" is the '
                'same configuration built without '
                'CONFIG_MIGRATION_OFFLOAD.')
    else:
        title = 'Cost cases (no icount run: ns per folio, not instructions)'
        what = 'ns/folio'
        text = 'The icount cases timed in an ordinary run (a smoke check).'
    out = ['', '## ' + title, '', text, '',
           '| case | kind | batch | %s median [min-max] | vs nooption |' %
           what, '|---|---|---:|---|---:|']
    for key, s in sorted(fig['icount'].items()):
        lab, kind, b = key.split('/')
        base = fig['icount'].get('icount-nooption/%s/%s' % (kind, b))
        out.append('| %s | %s | %s | %s | %s |' % (
            lab[7:], kind, b, fmt(s, digits=0),
            '%+.2f %%' % ((s['median'] / base['median'] - 1) * 100)
            if base else '-'))
    return out


def dispatch_section(fig):
    if not fig['dispatch']:
        return []
    out = ['', '## Core dispatch, native (UML KUnit offload_bench)', '',
           'A null engine completes chunks inside submit: the time is the '
           "broker's own; the broker's CPU copy of the same requests gives a "
           'scale.', '',
           '| engine | folios per request | ns/request | ns/folio |',
           '|---|---:|---|---|']
    for key in sorted(k for k in fig['dispatch'] if k.endswith('/ns_request')):
        what, folios, _ = key.split('/')
        out.append('| %s | %s | %s | %s |' % (
            what, folios, fmt(fig['dispatch'][key], digits=0),
            fmt(fig['dispatch']['%s/%s/ns_folio' % (what, folios)],
                digits=1)))
    return out


def charts(fig, outdir):
    """PNG charts with gnuplot, if it is installed; returns their names."""
    if not shutil.which('gnuplot'):
        return []
    made = []
    emulated = ' (emulated)' if fig['emulated'] else ''
    for group, ylabel, stem in (('move', 'GB/s' + emulated, 'throughput'),
                                ('first', 'first folio, ms' + emulated,
                                 'first-folio')):
        for kind in ('4k', 'thp'):
            series = []
            for m in CHART_MODES:
                pts = [(b, med(fig, group, m, kind, b))
                       for b in batches(fig, kind)]
                pts = [p for p in pts if p[1] is not None]
                if pts:
                    series.append((m, pts))
            if not series:
                continue
            name = '%s-%s.png' % (stem, kind)
            data = os.path.join(outdir, name[:-4] + '.dat')
            with open(data, 'w') as f:
                for m, pts in series:
                    f.write('# %s\n' % m)
                    f.writelines('%d %g\n' % p for p in pts)
                    f.write('\n\n')
            plots = ', '.join('"%s" index %d with linespoints title "%s"' %
                              (data, i, m) for i, (m, _) in enumerate(series))
            script = ('set terminal png noenhanced size 900,560\nset output "%s"\n'
                      'set logscale x 2\nset xlabel "batch (folios per '
                      'move_pages call)"\nset ylabel "%s"\nset key outside\n'
                      'set title "%s, %s"\nplot %s\n' % (
                          os.path.join(outdir, name), ylabel, stem, kind,
                          plots))
            run = subprocess.run(['gnuplot'], input=script.encode(),
                                 capture_output=True)
            if run.returncode:
                print(run.stderr.decode(), file=sys.stderr)
                continue
            os.unlink(data)
            made.append(name)
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('outputs', nargs='+')
    ap.add_argument('--facts', nargs='*', default=[])
    args = ap.parse_args()

    records = parse(args.outputs)
    facts = dict(f.split('=', 1) for f in args.facts)
    for r in records:
        if r['type'] == 'machine':
            facts.update({'guest (%s) %s' % (r['file'], k): v
                          for k, v in r.items()
                          if k not in ('type', 'file', 'line', 'run')})
    fig = figures(records)
    labels = {r.get('label') for r in records}
    missing = [s for s in SECTIONS if s not in labels]
    os.makedirs(args.dir, exist_ok=True)
    fig['emulated'] = not facts.get('accelerator', 'tcg').startswith('kvm')
    fig['charts'] = charts(fig, args.dir)
    with open(os.path.join(args.dir, 'bench.json'), 'w') as f:
        json.dump({'facts': facts, 'figures': fig, 'samples': records}, f,
                  indent=1, sort_keys=True)
    with open(os.path.join(args.dir, 'report.md'), 'w') as f:
        f.write(markdown(fig, facts, missing))
        for c in fig['charts']:
            f.write('\n![%s](%s)\n' % (c[:-4], c))
    for e in fig['errors']:
        print('bench: %s' % e, file=sys.stderr)
    if missing:
        print('bench: missing sections: %s' % ', '.join(missing),
              file=sys.stderr)
    return 1 if fig['errors'] or missing or not records else 0


if __name__ == '__main__':
    sys.exit(main())
