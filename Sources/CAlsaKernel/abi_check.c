/* Compile-time proof that the ABI this package was built against is the one the kernel speaks on
 * 64-bit Linux (x86_64, arm64): the sizes below are what the ioctl numbers encode. */
#include "CAlsaKernel.h"

#if defined(__LP64__)
_Static_assert(sizeof(struct snd_pcm_sync_ptr) == 136, "SYNC_PTR record is 136 bytes on LP64");
_Static_assert(sizeof(struct snd_pcm_hw_params) == 608, "hw_params is 608 bytes on LP64");
_Static_assert(sizeof(struct snd_pcm_mmap_status) == 56, "mmap status is 56 bytes on LP64");
_Static_assert(sizeof(struct snd_pcm_mmap_control) == 16, "mmap control is 16 bytes on LP64");
_Static_assert(offsetof(struct snd_pcm_sync_ptr, c) == 72, "control union at 72 on LP64");
#endif
_Static_assert(sizeof(struct snd_ctl_card_info) == 376, "control card info is 376 bytes");
_Static_assert(sizeof(struct snd_pcm_info) == 288, "PCM info is 288 bytes");

/* Reports the protocol version the package was compiled against (for diagnostics). */
unsigned int alsa_swift_compiled_pcm_version(void) { return SNDRV_PCM_VERSION; }
