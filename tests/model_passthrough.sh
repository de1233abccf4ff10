#!/bin/sh
# The model-based test with MAGPOOL_DISABLE=1 (every get a malloc).
exec "${MP_BUILDDIR:-.}/tests/model" --passthrough "$@"
