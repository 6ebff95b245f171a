#!/usr/bin/env bash
# Runs a spark-diffusion command: ./submit.sh [--master URL] <train|sample|info|bench> [args]   (--help on each)
#
#  - Without --master: builds target/spark-diffusion-<version>.jar when missing or older than src/ or pom.xml,
#    then runs the command on an embedded Spark (local[*]) in one JVM, with Spark's jars from ~/.m2.
#    Heap: JAVA_OPTS (default -Xmx6g); spark.driver.memory does not apply to an already running JVM.
#  - With --master URL: runs $SPARK_HOME/bin/spark-submit (or spark-submit on PATH) with the same jar and
#    conf/spark-defaults.conf; the cluster provides Spark's jars. Extra spark-submit arguments go in
#    SPARK_SUBMIT_ARGS, e.g. SPARK_SUBMIT_ARGS="--deploy-mode cluster --packages org.apache.hadoop:hadoop-aws:3.4.1".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MAIN=io.sparkdiffusion.cli.Main
DEFAULTS="$ROOT/conf/spark-defaults.conf"

die() { echo "submit.sh: $*" >&2; exit 2; }

# --master URL (or --master=URL) may appear anywhere; everything else goes to the command.
MASTER=""
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --master) [ $# -ge 2 ] || die "--master needs a URL, e.g. --master spark://host:7077 or --master yarn"
              MASTER="$2"; shift 2 ;;
    --master=*) MASTER="${1#--master=}"; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

command -v mvn >/dev/null || die "mvn (Maven) is needed to build the jar; install it (apt-get install maven)"
command -v java >/dev/null || die "java (JDK 17) is needed; install it (apt-get install openjdk-17-jdk-headless)"

pom_value() { # the text of the first <$1>...</$1> in pom.xml
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/pom.xml" | head -n 1
}
VERSION="$(sed -n '/<artifactId>spark-diffusion<\/artifactId>/,/<\/version>/s:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -n 1)"
JAR="$ROOT/target/spark-diffusion-$VERSION.jar"
CLASSPATH_FILE="$ROOT/target/classpath.txt"

mvn_quiet() { # Maven on stderr (stdout is the command's), without the colour codes Debian's Maven prints
  mvn -B -q "$@" 2>&1 | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2
}
mvn_build() { # offline first (a sandbox or CI machine has ~/.m2 filled), online when offline fails
  (cd "$ROOT" && { mvn_quiet -o "$@" || { echo "submit.sh: offline build failed, retrying online" >&2; mvn_quiet "$@"; }; })
}

stale() { # true when $1 is missing or older than pom.xml or any later argument (files or directories)
  local target="$1"; shift
  [ ! -f "$target" ] || [ -n "$(find "$ROOT/pom.xml" "$@" -newer "$target" -print -quit)" ]
}

if stale "$JAR" "$ROOT/src/main"; then
  echo "submit.sh: building $JAR" >&2
  mvn_build -DskipTests package
  [ -f "$JAR" ] || die "the build did not produce $JAR"
fi

if [ -n "$MASTER" ]; then
  [ "${ARGS[0]:-}" != "bench" ] || die "bench runs in this JVM without Spark; drop --master"
  if [ -n "${SPARK_HOME:-}" ]; then
    SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"
    [ -x "$SPARK_SUBMIT" ] || die "SPARK_HOME=$SPARK_HOME has no bin/spark-submit; point SPARK_HOME at a Spark 4.2.0 (Scala 2.13) installation"
  else
    SPARK_SUBMIT="$(command -v spark-submit || true)"
    [ -n "$SPARK_SUBMIT" ] || die "--master $MASTER needs spark-submit: set SPARK_HOME to a Spark 4.2.0 (Scala 2.13) installation, or drop --master to run embedded on local[*]"
  fi
  # shellcheck disable=SC2086 # SPARK_SUBMIT_ARGS is a list of words on purpose
  exec "$SPARK_SUBMIT" --master "$MASTER" --class "$MAIN" --properties-file "$DEFAULTS" ${SPARK_SUBMIT_ARGS:-} \
    "$JAR" "${ARGS[@]}"
fi

# Embedded run: Spark and its dependencies (provided scope) from the local Maven repository.
if stale "$CLASSPATH_FILE"; then
  mvn_build dependency:build-classpath -DincludeScope=compile -Dmdep.outputFile="$CLASSPATH_FILE"
fi

# spark.executorEnv.X of the defaults file: in local[*] the executors are this JVM, so export X here.
while IFS= read -r line; do
  line="${line%%#*}"
  key="$(echo "$line" | sed -E 's/^[[:space:]]*([^[:space:]=:]+).*/\1/')"
  value="$(echo "$line" | sed -E 's/^[[:space:]]*[^[:space:]=:]+[[:space:]]*[=:]?[[:space:]]*//; s/[[:space:]]+$//')"
  case "$key" in
    spark.executorEnv.*) export "${key#spark.executorEnv.}=$value" ;;
  esac
done < "$DEFAULTS"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

# shellcheck disable=SC2046,SC2086 # the pom's flags and JAVA_OPTS are lists of words on purpose
exec java $(pom_value jdk17.opens) ${JAVA_OPTS:--Xmx6g} \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -Dsparkdiffusion.sparkDefaults="$DEFAULTS" \
  -cp "$JAR:$(cat "$CLASSPATH_FILE")" "$MAIN" "${ARGS[@]}"
