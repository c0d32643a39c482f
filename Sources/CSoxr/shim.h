#ifndef ALSASWIFT_CSOXR_SHIM_H
#define ALSASWIFT_CSOXR_SHIM_H
#include <soxr.h>
#endif
