/* Built only by the layers test, which expects it not to compile: the arrow
 * layer cannot see the runtime's headers. */
#include "graph.h"
