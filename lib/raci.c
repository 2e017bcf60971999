/* raci.c - the RACI matrix (being written). */
#include "internal.h"

int crq_raci(crq_node **out, const crq_node *policy)
{
	(void)policy;
	*out = NULL;
	return crq_error__set(CRQ_EUSAGE, "crq raci is not built yet");
}
