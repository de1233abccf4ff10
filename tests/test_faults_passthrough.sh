#!/bin/sh
# Fault injection with MAGPOOL_DISABLE=1: every get a malloc that may fail.
MAGPOOL_DISABLE=1 exec "${MP_BUILDDIR:-.}/tests/test_faults" "$@"
