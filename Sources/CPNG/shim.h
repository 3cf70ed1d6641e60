#include <png.h>
// PNG_IMAGE_VERSION and PNG_FORMAT_* are plain macros Swift imports; the
// size macros are function-like, so the callers compute sizes themselves.
