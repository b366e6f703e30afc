/* Built only by the layers test, which expects it not to compile: outside
 * core/runtime/pipeline, <libconfig.h> stops the build. */
#include <libconfig.h>
