/* state.c — a submission's states: their names and which are failures,
 * from the one list in coreInt.h (RAMP__STATES). */
#include <string.h>

#include "core/coreInt.h"

static const struct {
    const char *name;
    int failed;
} states[RAMP__ST_N] = {
#define RAMP__STATE_ROW(e, name, failed) {name, failed},
    RAMP__STATES(RAMP__STATE_ROW)
#undef RAMP__STATE_ROW
};

const char *ramp__state_name(ramp__state s)
{
    return (unsigned)s < RAMP__ST_N ? states[s].name : "?";
}

int ramp__state_failed(const char *name)
{
    for (int i = 0; name && i < RAMP__ST_N; i++)
        if (!strcmp(states[i].name, name)) return states[i].failed;
    return 0;
}
