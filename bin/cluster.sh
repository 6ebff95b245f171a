#!/usr/bin/env bash
# A standalone Spark cluster on this machine, from the Spark jars Maven already has (no Spark download):
#
#   bin/cluster.sh start  [--workers N] [--cores C] [--memory M] [--port P] [--ui-port U] [--dir D]
#   bin/cluster.sh stop   [--dir D]
#   bin/cluster.sh status [--dir D]
#
# (./submit.sh cluster ... runs this after writing target/classpath.txt.) Everything binds to 127.0.0.1.
#  - D (default target/cluster) holds spark-home/ (jars/ as links to the Maven jars, RELEASE, conf/, bin/),
#    logs/, pids/, work/ (the Workers' work dirs: executor stdout/stderr per application) and cluster.env.
#  - The Spark home is a real one as far as Spark is concerned: SPARK_HOME=D/spark-home ./submit.sh --master ...
#    runs its bin/spark-submit, and its conf/spark-defaults.conf is the cluster's own (created once, kept).
#  - stop kills exactly the pids in D/pids, nothing found by name.
# Needs CLASSPATH_FILE (the class path of Spark's jars, one line, ':'-separated) in the environment.
set -euo pipefail
shopt -s nullglob

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLASSPATH_FILE="${CLASSPATH_FILE:-$ROOT/target/classpath.txt}"

die() { echo "cluster: $*" >&2; exit 2; }

usage() {
  cat <<'EOF'
Usage: ./submit.sh cluster start  [--workers N] [--cores C] [--memory M] [--port P] [--ui-port U] [--dir D]
       ./submit.sh cluster stop   [--dir D]
       ./submit.sh cluster status [--dir D]

Starts a standalone Spark Master and N Workers (default 2 workers of 1 core and 2g each) as separate JVMs on
127.0.0.1, from the Spark jars in the local Maven repository. Master port P (default 7077), master UI port U
(default 8080); logs, pids and the workers' directories under D (default target/cluster). Then:
  ./submit.sh --master spark://127.0.0.1:7077 train conf/quick.json
EOF
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
ACTION="$1"; shift
WORKERS=2 CORES=1 MEMORY=2g PORT=7077 UI_PORT=8080 DIR="$ROOT/target/cluster"
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value (see ./submit.sh cluster --help)"
  case "$1" in
    --workers) WORKERS="$2" ;;
    --cores) CORES="$2" ;;
    --memory) MEMORY="$2" ;;
    --port) PORT="$2" ;;
    --ui-port) UI_PORT="$2" ;;
    --dir) DIR="$2" ;;
    *) die "unknown option $1; expected --workers, --cores, --memory, --port, --ui-port or --dir" ;;
  esac
  shift 2
done
for v in WORKERS CORES PORT UI_PORT; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$(echo "$v" | tr 'A-Z_' 'a-z-') must be a positive integer, got \"${!v}\""
done
[[ "$MEMORY" =~ ^[1-9][0-9]*[mMgG]$ ]] || die "--memory must be a size like 512m or 2g, got \"$MEMORY\""
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
HOME_DIR="$DIR/spark-home"
MASTER_URL="spark://127.0.0.1:$PORT"

# The JDK 17 flags Spark's own launcher gives its daemons (pom.xml's jdk17.opens).
OPENS="$(sed -n 's:.*<jdk17.opens>\(.*\)</jdk17.opens>.*:\1:p' "$ROOT/pom.xml" | head -n 1)"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# A Spark home Spark accepts: jars/, and a RELEASE file (without it a Worker looks for a source build and every
# executor fails with "Cannot find any build directories").
assemble_home() {
  [ -f "$CLASSPATH_FILE" ] || die "no $CLASSPATH_FILE: run ./submit.sh cluster ... (it writes the class path)"
  rm -rf "$HOME_DIR/jars"
  mkdir -p "$HOME_DIR/jars" "$HOME_DIR/conf" "$HOME_DIR/bin"
  local jar
  tr ':' '\n' < "$CLASSPATH_FILE" | while IFS= read -r jar; do
    [ -n "$jar" ] || continue
    [ -f "$jar" ] || die "class path entry $jar does not exist: rebuild it (rm $CLASSPATH_FILE; ./submit.sh cluster start)"
    ln -s "$jar" "$HOME_DIR/jars/$(basename "$jar")"
  done
  local version
  version="$(ls "$HOME_DIR/jars" | sed -n 's/^spark-core_2\.13-\(.*\)\.jar$/\1/p')"
  [ -n "$version" ] || die "no spark-core_2.13 jar in $CLASSPATH_FILE"
  echo "Spark $version (Scala 2.13) assembled by spark-diffusion from the Maven jars; not a Spark download" \
    > "$HOME_DIR/RELEASE"
  if [ ! -f "$HOME_DIR/conf/spark-defaults.conf" ]; then
    cat > "$HOME_DIR/conf/spark-defaults.conf" <<'EOF'
# The cluster's own Spark defaults (like $SPARK_HOME/conf/spark-defaults.conf of a Spark installation).
# ./submit.sh --master ... loads them (--load-spark-defaults) along with the project's conf/spark-defaults.conf,
# whose settings win where both set a key.
EOF
  fi
  # bin/spark-class and bin/spark-submit as a distribution has them: Spark's launcher builds the java command
  # (driver memory, extraJavaOptions, JDK module flags) from the arguments and the properties files.
  cat > "$HOME_DIR/bin/spark-class" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
SPARK_HOME="${SPARK_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# Spark's launcher asks for the Scala version of the jars (a distribution's load-spark-env.sh sets it).
export SPARK_HOME SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.13}"
RUNNER="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# As Spark's own bin/spark-class: the launcher prints its messages, an empty (NUL) line, then the command
# NUL-separated; the loop appends the launcher's exit code.
CMD=()
DELIM=$'\n'
STARTED=false
while IFS= read -d "$DELIM" -r arg; do
  if [ "$STARTED" = true ]; then
    CMD+=("$arg")
  elif [ -z "$arg" ]; then
    DELIM=''
    STARTED=true
  else
    echo "$arg" >&2
  fi
done < <("$RUNNER" -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@"; printf '%d\0' $?)
[ "${#CMD[@]}" -gt 0 ] || exit 1
LAST=$((${#CMD[@]} - 1))
[ "${CMD[$LAST]}" = 0 ] || exit "${CMD[$LAST]}"
exec "${CMD[@]:0:$LAST}"
EOF
  cat > "$HOME_DIR/bin/spark-submit" <<'EOF'
#!/usr/bin/env bash
exec "$(dirname "${BASH_SOURCE[0]}")/spark-class" org.apache.spark.deploy.SparkSubmit "$@"
EOF
  chmod +x "$HOME_DIR/bin/spark-class" "$HOME_DIR/bin/spark-submit"
}

# Waits until $1 (a log file) has $2 lines matching $3, or the process of pid file $4 dies, or 60 s pass.
wait_for_log() {
  local log="$1" count="$2" pattern="$3" pidfile="$4" i
  for i in $(seq 1 120); do
    [ "$(grep -c -- "$pattern" "$log" 2>/dev/null || true)" -ge "$count" ] && return 0
    alive "$pidfile" || die "$(basename "$pidfile" .pid) exited; see $log:
$(tail -n 20 "$log")"
    sleep 0.5
  done
  die "timed out waiting for \"$pattern\" in $log"
}

start_daemon() { # name class args...: a JVM in the background, its pid in pids/name.pid
  local name="$1" class="$2"; shift 2
  # shellcheck disable=SC2086 # OPENS is a list of words on purpose
  SPARK_HOME="$HOME_DIR" SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS="$DIR/tmp" SPARK_SCALA_VERSION=2.13 \
    nohup java -Xmx512m $OPENS ${MASTER_JAVA_OPTS:-} -cp "$HOME_DIR/jars/*" "$class" "$@" > "$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/pids/$name.pid"
}

start() {
  if alive "$DIR/pids/master.pid"; then
    die "a cluster already runs from $DIR (master pid $(cat "$DIR/pids/master.pid")); stop it first: ./submit.sh cluster stop --dir $DIR"
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT on 127.0.0.1 is taken (another Spark master?); choose another with --port"
  fi
  assemble_home
  rm -rf "$DIR/pids" "$DIR/logs"
  mkdir -p "$DIR/pids" "$DIR/logs" "$DIR/work" "$DIR/tmp"
  # No REST submission gateway (it would take port 6066 whatever --port says): spark-submit talks to the master.
  MASTER_JAVA_OPTS="-Dspark.master.rest.enabled=false" \
    start_daemon master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" --webui-port "$UI_PORT"
  wait_for_log "$DIR/logs/master.log" 1 "I have been elected leader" "$DIR/pids/master.pid"
  local i
  for i in $(seq 1 "$WORKERS"); do
    start_daemon "worker-$i" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$CORES" \
      --memory "$MEMORY" --webui-port 0 --work-dir "$DIR/work/worker-$i" "$MASTER_URL"
  done
  for i in $(seq 1 "$WORKERS"); do
    wait_for_log "$DIR/logs/worker-$i.log" 1 "Successfully registered with master" "$DIR/pids/worker-$i.pid"
  done
  cat > "$DIR/cluster.env" <<EOF
MASTER_URL=$MASTER_URL
UI=http://127.0.0.1:$UI_PORT
WORKERS=$WORKERS
CORES=$CORES
MEMORY=$MEMORY
SPARK_HOME=$HOME_DIR
EOF
  status
}

stop() {
  local f pid stopped=0
  for f in "$DIR"/pids/worker-*.pid "$DIR/pids/master.pid"; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      echo "stopped $(basename "$f" .pid) (pid $pid)"
      stopped=$((stopped + 1))
    fi
    rm -f "$f"
  done
  [ "$stopped" -gt 0 ] || echo "no cluster runs from $DIR"
}

status() {
  [ -f "$DIR/cluster.env" ] && alive "$DIR/pids/master.pid" || { echo "no cluster runs from $DIR"; return 3; }
  # shellcheck disable=SC1091
  . "$DIR/cluster.env"
  echo "master  $MASTER_URL (pid $(cat "$DIR/pids/master.pid")), UI $UI"
  local f
  for f in "$DIR"/pids/worker-*.pid; do
    if alive "$f"; then state="running"; else state="NOT RUNNING"; fi
    echo "$(basename "$f" .pid)  $state (pid $(cat "$f")), $CORES cores, $MEMORY; log $DIR/logs/$(basename "$f" .pid).log"
  done
  echo "SPARK_HOME $SPARK_HOME (its conf/spark-defaults.conf is the cluster's own)"
  echo "run a job:  ./submit.sh --master $MASTER_URL train conf/quick.json"
}

case "$ACTION" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  home) assemble_home; echo "$HOME_DIR" ;; # only the Spark home, for submit.sh
  -h|--help|help) usage ;;
  *) usage >&2; die "unknown action \"$ACTION\"; expected start, stop or status" ;;
esac
