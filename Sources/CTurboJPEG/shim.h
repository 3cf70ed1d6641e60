#include <turbojpeg.h>
// libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev). TJSCALED is a
// function-like macro, so callers scale sizes themselves.
