#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a UML kernel with the mm/offload KUnit suites and run them natively,
# with the tree's own kunit.py.  Results go to $RESULTS/kunit-uml.tsv.
# mtcopy is built in: it must not register engines of its own, which
# would serve the suites' routes to "every engine".
set -u
. "$(dirname "$0")/lib.sh"

mkdir -p "$RESULTS"
rm -f "$RESULTS/kunit-uml.json"
stage kunit-uml "$LOGS/kunit-uml.log" \
	python3 "$SRC/tools/testing/kunit/kunit.py" run \
		--kunitconfig=mm/offload/tests/.kunitconfig \
		--kunitconfig=drivers/offload/tests/.kunitconfig \
		--kernel_args=mtcopy.autoregister=0 \
		--build_dir="$BUILD/uml" --jobs="$JOBS" \
		--make_options="CC=ccache gcc" \
		--json="$RESULTS/kunit-uml.json"
rc=$?
python3 "$TOP/tests/results.py" kunit-json kunit-uml \
	"$RESULTS/kunit-uml.json" "$RESULTS/kunit-uml.tsv"
exit $rc
