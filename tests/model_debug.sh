#!/bin/sh
# The model-based test with MAGPOOL_DEBUG=1 (patterns, canaries, quarantine).
exec "${MP_BUILDDIR:-.}/tests/model" --debug "$@"
