#!/usr/bin/env bash
# Runs a spark-diffusion command: ./submit.sh [--master URL] [--jar PATH] <train|sample|info|bench|features|evaluate>
# [args] (--help on each), or manages a one-machine Spark cluster: ./submit.sh cluster start|stop|status (bin/cluster.sh).
#
#  - Without --master: builds target/spark-diffusion_2.13-<version>.jar when missing or older than src/ or
#    pom.xml, then runs the command on an embedded Spark (local[*]) in one JVM, with Spark's jars from ~/.m2.
#    Heap: JAVA_OPTS (default -Xmx6g); spark.driver.memory does not apply to an already running JVM.
#  - With --master URL: runs spark-submit with the same jar and conf/spark-defaults.conf (--properties-file) plus
#    the cluster's own $SPARK_HOME/conf/spark-defaults.conf (--load-spark-defaults): $SPARK_HOME/bin/spark-submit
#    when SPARK_HOME is set, else the Spark home that bin/cluster.sh assembles from the Maven jars
#    (target/cluster/spark-home). --jar PATH (or an already built jar with no mvn installed) needs no Maven.
#    For a master on 127.0.0.1 the driver binds to 127.0.0.1 (SPARK_LOCAL_IP). Extra spark-submit arguments go
#    in SPARK_SUBMIT_ARGS, e.g. SPARK_SUBMIT_ARGS="--deploy-mode cluster --packages org.apache.hadoop:hadoop-aws:3.4.1".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MAIN=io.sparkdiffusion.cli.Main
DEFAULTS="$ROOT/conf/spark-defaults.conf"

die() { echo "submit.sh: $*" >&2; exit 2; }

# --master URL and --jar PATH (or --master=URL, --jar=PATH) may appear anywhere; everything else goes to the command.
MASTER=""
JAR=""
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --master) [ $# -ge 2 ] || die "--master needs a URL, e.g. --master spark://host:7077 or --master yarn"
              MASTER="$2"; shift 2 ;;
    --master=*) MASTER="${1#--master=}"; shift ;;
    --jar) [ $# -ge 2 ] || die "--jar needs the path of a built spark-diffusion jar"
           JAR="$2"; shift 2 ;;
    --jar=*) JAR="${1#--jar=}"; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

command -v java >/dev/null || die "java (JDK 17) is needed; install it (apt-get install openjdk-17-jdk-headless)"

pom_value() { # the text of the first <$1>...</$1> in pom.xml
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/pom.xml" | head -n 1
}
# The project's own artifactId and version: the first of each in pom.xml (the parent-less project's).
ARTIFACT="$(pom_value artifactId)"
VERSION="$(sed -n "/<artifactId>$ARTIFACT<\/artifactId>/,/<\/version>/s:.*<version>\(.*\)</version>.*:\1:p" "$ROOT/pom.xml" | head -n 1)"
BUILT_JAR="$ROOT/target/$ARTIFACT-$VERSION.jar"
CLASSPATH_FILE="$ROOT/target/classpath.txt"

mvn_quiet() { # Maven on stderr (stdout is the command's), without the colour codes Debian's Maven prints
  mvn -B -q "$@" 2>&1 | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2
}
mvn_build() { # offline first (a sandbox or CI machine has ~/.m2 filled), online when offline fails
  command -v mvn >/dev/null || die "mvn (Maven) is needed to build $* ; install it (apt-get install maven), or pass a built jar with --jar PATH"
  (cd "$ROOT" && { mvn_quiet -o "$@" || { echo "submit.sh: offline build failed, retrying online" >&2; mvn_quiet "$@"; }; })
}

stale() { # true when $1 is missing or older than pom.xml or any later argument (files or directories)
  local target="$1"; shift
  [ ! -f "$target" ] || [ -n "$(find "$ROOT/pom.xml" "$@" -newer "$target" -print -quit)" ]
}

write_classpath() { # Spark and its dependencies (provided scope) from the local Maven repository
  # (an existing file is used as it is when there is no Maven to refresh it)
  if stale "$CLASSPATH_FILE" && { [ ! -f "$CLASSPATH_FILE" ] || command -v mvn >/dev/null; }; then
    mvn_build dependency:build-classpath -DincludeScope=compile -Dmdep.outputFile="$CLASSPATH_FILE"
  fi
}

if [ "${ARGS[0]:-}" = "cluster" ]; then
  [ -z "$MASTER" ] || die "cluster starts its own master; drop --master"
  case "${ARGS[1]:-}" in start) write_classpath ;; esac
  CLASSPATH_FILE="$CLASSPATH_FILE" exec "$ROOT/bin/cluster.sh" "${ARGS[@]:1}"
fi

if [ -n "$JAR" ]; then
  [ -f "$JAR" ] || die "--jar $JAR does not exist"
elif [ -f "$BUILT_JAR" ] && ! command -v mvn >/dev/null; then
  JAR="$BUILT_JAR" # a prebuilt jar and no Maven: use it as it is
else
  JAR="$BUILT_JAR"
  if stale "$JAR" "$ROOT/src/main"; then
    echo "submit.sh: building $JAR" >&2
    mvn_build -DskipTests package
    [ -f "$JAR" ] || die "the build did not produce $JAR"
  fi
fi

if [ -n "$MASTER" ]; then
  [ "${ARGS[0]:-}" != "bench" ] || die "bench runs in this JVM without Spark; drop --master"
  if [ -z "${SPARK_HOME:-}" ]; then
    # No Spark installation: the one bin/cluster.sh assembles from the Maven jars (kept once made).
    SPARK_HOME="$ROOT/target/cluster/spark-home"
    if [ ! -f "$SPARK_HOME/RELEASE" ]; then
      write_classpath
      CLASSPATH_FILE="$CLASSPATH_FILE" "$ROOT/bin/cluster.sh" home --dir "$ROOT/target/cluster" >/dev/null
    fi
    export SPARK_HOME
  fi
  SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"
  [ -x "$SPARK_SUBMIT" ] || die "SPARK_HOME=$SPARK_HOME has no bin/spark-submit; point SPARK_HOME at a Spark 4.2.0 (Scala 2.13) installation, or unset it to use the Spark jars from Maven"
  case "$MASTER" in # a cluster on this machine: the driver binds to loopback as the cluster does
    spark://127.0.0.1:*|spark://localhost:*|local*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;;
  esac
  # The driver logs as the embedded run does (spark.driver.defaultJavaOptions: the extraJavaOptions stay the
  # properties files'); the executors keep Spark's default logging into the workers' directories.
  # shellcheck disable=SC2086 # SPARK_SUBMIT_ARGS is a list of words on purpose
  exec "$SPARK_SUBMIT" --master "$MASTER" --class "$MAIN" --properties-file "$DEFAULTS" --load-spark-defaults \
    --conf "spark.driver.defaultJavaOptions=-Dlog4j2.configurationFile=file:$ROOT/conf/log4j2.properties" \
    ${SPARK_SUBMIT_ARGS:-} "$JAR" "${ARGS[@]}"
fi

write_classpath

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
# The embedded Spark talks only to itself: bind it to loopback, not to whatever address the hostname resolves to.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# shellcheck disable=SC2046,SC2086 # the pom's flags and JAVA_OPTS are lists of words on purpose
exec java $(pom_value jdk17.opens) ${JAVA_OPTS:--Xmx6g} \
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
  -Dsparkdiffusion.sparkDefaults="$DEFAULTS" \
  -cp "$JAR:$(cat "$CLASSPATH_FILE")" "$MAIN" "${ARGS[@]}"
