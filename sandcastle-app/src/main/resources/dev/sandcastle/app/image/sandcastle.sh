#!/bin/sh
# The image's `sandcastle` command, on the image's own Java runtime; the entry point runs
# `sandcastle terminal` (a workspace), cluster manifests `sandcastle serve` and `sandcastle operator`.
# Every command starts from the AOT cache trained when the image was built (train-aot). A workspace
# gets a small, lean JVM: one per tenant, mostly idle. JAVA_OPTS replaces these options.
aot=/opt/sandcastle/sandcastle.aot
case "${1:-}" in
  terminal)
    # SerialGC, C1 only, small stacks and code cache, no perf-data file; the heap starts small and
    # may grow to a quarter of the container's memory. The AOT cache is mapped where it was made
    # (no relocation pass over it at start-up): address randomisation of the JVM's own metadata
    # protects nothing here, where the tenant's code runs as the same user as the server.
    options="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=24m -Xss256k -Xms8m\
 -XX:MaxRAMPercentage=25 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:-UsePerfData -XX:TrimNativeHeapInterval=10000\
 -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0"
    export MALLOC_ARENA_MAX=2 ;;
  *) options="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:MaxRAMPercentage=25" ;;
esac
if [ -n "${SANDCASTLE_AOT_OUTPUT:-}" ]; then
  cache="-XX:AOTCacheOutput=$SANDCASTLE_AOT_OUTPUT" # the training run (train-aot)
elif [ -f $aot ]; then
  cache="-XX:AOTCache=$aot"
else
  cache=
fi
exec /opt/sandcastle/java/bin/java ${JAVA_OPTS:-$options} $cache --enable-native-access=ALL-UNNAMED -jar /opt/sandcastle/sandcastle.jar "$@"
