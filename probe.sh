#!/usr/bin/env bash
# Runs one of the test-side measurement probes (speed, memory, sample quality; not unit tests, not part of the jar):
#   ./probe.sh kernels [engines|pointwise|product|normconv|upsample|attention [BATCH]]
#                                                                thread CPU time per kernel call at unet-small's shapes
#   ./probe.sh unet [BATCH=64] [STEPS=10] [inference|unfused|inference-unfused|unfused-upsample|inference-unfused-upsample]
#                                                                unet-small forward + backward, per-op profile
#   ./probe.sh twin [BATCH=64] [STEPS=6] [inference]            the same profile of the PyTorch twin (torch.profiler,
#                                                                one thread; twin: $TORCH_UNET or ../shared/reference)
#   ./probe.sh throughput [MASTER=local[2]] [ROUNDS=4] [LOCAL_STEPS=20] [BATCH=32] [SAMPLES=0]
#                                                                DiffusionTrainer images/s and per-round time split
#   ./probe.sh presets [BATCH=8] [STEPS=3]                       training images/s per core (thread CPU time) of each preset, 3x32x32
#   ./probe.sh soak [ROUNDS=200] [LOCAL_STEPS=10] [BATCH=16]     heap and broadcast blocks over many rounds (quick config)
#   ./probe.sh calibration FEATURES_CONF FEATURES_MODEL          FID, precision, recall of held-out images, degraded
#   ./probe.sh likelihood MODEL [N=16] [STEPS=100]               bits/dim of a saved model on the last N bundled images
#   ./probe.sh reduction [ROUNDS=4] [PARTITIONS=8] [CASES]       round overhead, tree vs sliced reduction, 1.6 M-60 M
#                                                                weights on the one-machine cluster (docs/scaling.md)
#   ./probe.sh rounds [ROUNDS=3] [LOCAL_STEPS=20] [BATCH=32] [CASES]
#                                                                overhead of real unet-small / unet-ddpm-cifar rounds
#                                                                on the one-machine cluster, tree vs sliced
#   ./probe.sh denoiser N MODEL...                               denoising error per noise level, with and without labels
# Each name but twin is a class with a main() under src/test (package-private access to the code it measures):
# tensor.kernels.KernelBench, autograd.UNetBench, spark.TrainingThroughput, spark.PresetThroughput, spark.MemorySoakMain,
# cli.CalibrationMain, cli.LikelihoodMain, cli.ReductionBenchmark, cli.RoundOverheadBenchmark,
# cli.DenoiserProbeMain; twin runs src/test/python/twin_profile.py with /usr/bin/python3 (Debian's python3-torch).
# Builds the test classes (offline Maven) and the test classpath when stale; heap: JAVA_OPTS (default -Xmx2g).
# Spark probes bind to 127.0.0.1. The engine benchmark of the jar is ./submit.sh bench, not this.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "probe.sh: $*" >&2; exit 2; }

case "${1:-}" in
  kernels) CLASS=io.sparkdiffusion.tensor.kernels.KernelBench ;;
  unet) CLASS=io.sparkdiffusion.autograd.UNetBench ;;
  throughput) CLASS=io.sparkdiffusion.spark.TrainingThroughput ;;
  presets) CLASS=io.sparkdiffusion.spark.PresetThroughput ;;
  soak) CLASS=io.sparkdiffusion.spark.MemorySoakMain ;;
  calibration) CLASS=io.sparkdiffusion.cli.CalibrationMain ;;
  likelihood) CLASS=io.sparkdiffusion.cli.LikelihoodMain ;;
  reduction) CLASS=io.sparkdiffusion.cli.ReductionBenchmark ;;
  rounds) CLASS=io.sparkdiffusion.cli.RoundOverheadBenchmark ;;
  denoiser) CLASS=io.sparkdiffusion.cli.DenoiserProbeMain ;;
  twin)
    shift
    TWIN="${TORCH_UNET:-}"
    for candidate in "$ROOT/../shared/reference/torch_unet.py" "$ROOT/../../shared/reference/torch_unet.py"; do
      if [ -z "$TWIN" ] && [ -f "$candidate" ]; then TWIN="$candidate"; fi
    done
    [ -n "$TWIN" ] || die "twin: torch_unet.py is neither \$TORCH_UNET nor at ../shared/reference beside the repository"
    case "${3:-}" in
      "") MODE=() ;;
      inference) MODE=(--inference) ;;
      *) die "twin: the third argument is 'inference' or nothing, got '$3'" ;;
    esac
    exec /usr/bin/python3 "$ROOT/src/test/python/twin_profile.py" --twin "$TWIN" --batch "${1:-64}" \
      --steps "${2:-6}" "${MODE[@]}" ;;
  *) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
     die "expected one of kernels, unet, twin, throughput, presets, soak, calibration, likelihood, reduction, rounds, denoiser as the first argument, got '${1:-}'" ;;
esac
shift

CLASSPATH_FILE="$ROOT/target/test-classpath.txt"
pom_value() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/pom.xml" | head -n 1; }
mvn_quiet() { (cd "$ROOT" && mvn -o -B -q "$@" 2>&1 | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2); }

if [ ! -d "$ROOT/target/test-classes" ] \
    || [ -n "$(find "$ROOT/pom.xml" "$ROOT/src" -newer "$ROOT/target/test-classes" -name '*.java' -print -quit)" ]; then
  echo "probe.sh: compiling the test classes" >&2
  mvn_quiet test-compile
fi
if [ ! -f "$CLASSPATH_FILE" ] || [ "$ROOT/pom.xml" -nt "$CLASSPATH_FILE" ]; then
  mvn_quiet dependency:build-classpath -DincludeScope=test -Dmdep.outputFile="$CLASSPATH_FILE"
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

# shellcheck disable=SC2046,SC2086 # the pom's flags and JAVA_OPTS are lists of words on purpose
exec java $(pom_value jdk17.opens) ${JAVA_OPTS:--Xmx2g} \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$ROOT/target/classes:$ROOT/target/test-classes:$(cat "$CLASSPATH_FILE")" "$CLASS" "$@"
