/*
 * model_fault.c - the model program's own mmap (tests/fault.h), which
 * libmagpool and liburcu bind to (the program is linked with
 * --export-dynamic), so that an operation can run with every mmap
 * failing.  Not usable under AddressSanitizer or ThreadSanitizer, which
 * own the allocation functions.
 */
#include "fault.h"
#include "model.h"

bool model_fault_usable(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return false;
#else
    return true;
#endif
}

void model_fault_mmap_fails(bool on)
{
    if (on)
        fault_arm(FAULT_MMAP, 0, 1000, 1);
    else
        fault_disarm();
}
