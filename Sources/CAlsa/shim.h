#ifndef ALSASWIFT_CALSA_SHIM_H
#define ALSASWIFT_CALSA_SHIM_H
#include <alsa/asoundlib.h>
#endif
