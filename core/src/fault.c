/* The countdown behind TF_WC and TF_ALLOC (fault.h); built into fuzzing builds only. */
#include "fault.h"

unsigned long tf_fault_countdown;
int tf_fault_fired;

int tf_fault_now(void)
{
    if (tf_fault_countdown == 0 || --tf_fault_countdown != 0)
        return 0;
    tf_fault_fired = 1;
    return 1;
}
