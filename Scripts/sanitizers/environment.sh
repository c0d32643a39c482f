# Sourced by Scripts/sanitize and Scripts/stress-tests, so that both build and run the unit suite
# the same way and share one build per configuration. $root is the package root.
#
#   scratch_path MODE       the build directory of plain, address or thread
#   build_flags MODE        swift build/test flags beyond --build-tests / --skip-build
#   test_environment MODE   VAR=value words for env(1)

scratch_path() {
    case "$1" in
        plain) echo .build ;;
        address) echo .build-asan ;;
        thread) echo .build-tsan ;;
    esac
}

build_flags() {
    # Plain uses swift's defaults, so that `swift build` / `swift test` reuse the same build.
    [ "$1" = plain ] || echo "--sanitize=$1 --scratch-path $(scratch_path "$1")"
}

test_environment() {
    [ "$1" = plain ] && return
    # ALSASWIFT_TEST_TIME_SCALE: instrumented code runs several times slower; every wall-clock
    # bound and time limit of the unit tests stretches by it (Tests/.../Support/TestSupport.swift).
    # halt_on_error=0: report every race of the run, not just the first.
    echo "ALSASWIFT_TEST_TIME_SCALE=4"
    # At most 4 tests at once. Unbounded, Swift Testing starts every test together: under TSan on
    # two cores the simulated render threads and CPU-bound sweeps then starve the rest for minutes
    # (a run of 527-704 s that burnt 23 min of CPU, and trivial tests "passed after 503 s" behind
    # them), and a test's time limit counts that queueing. Bounded: 294 s and 3 min of CPU. It
    # also arms the tests' pool watchdog (Tests/.../Support/TestSupport.swift).
    echo "SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=4"
    echo "LSAN_OPTIONS=suppressions=$root/Scripts/sanitizers/lsan.supp:print_suppressions=0"
    echo "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
    echo "TSAN_OPTIONS=suppressions=$root/Scripts/sanitizers/tsan.supp:print_suppressions=0:halt_on_error=0:second_deadlock_stack=1"
}

# The sanitizer reports in a log: any makes the run fail.
sanitizer_reports() {
    grep -cE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer" "$1"
}
