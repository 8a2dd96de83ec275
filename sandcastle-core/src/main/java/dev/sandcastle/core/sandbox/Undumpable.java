package dev.sandcastle.core.sandbox;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes this JVM non-dumpable ({@code prctl(PR_SET_DUMPABLE, 0)}), for {@code --sandbox none}:
 * there the workspace's processes run beside the server, in a container as the server's own
 * uid. A dumpable server would let them read its environment (its API key) and descriptors and
 * write its memory through {@code /proc/PID}, and so run code in the one process of the
 * container outside the system-call filter. A non-dumpable process's {@code /proc} entries belong
 * to root and other processes of its uid fail the kernel's ptrace check on it. The cost: no core
 * dump of the JVM, and jcmd from another process of the same uid cannot attach.
 */
final class Undumpable {
  private static final Logger log = LoggerFactory.getLogger(Undumpable.class);
  private static final int PR_SET_DUMPABLE = 4;

  private Undumpable() {}

  /** Applies it to this process (idempotent); logs a warning when the kernel refuses. */
  static void thisProcess() {
    try {
      Linker linker = Linker.nativeLinker();
      MethodHandle prctl = linker.downcallHandle(linker.defaultLookup().find("prctl").orElseThrow(),
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
      int result = (int) prctl.invokeExact(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
      if (result != 0) {
        log.warn("cannot make the server non-dumpable: workspaces of its uid can reach it through /proc");
      }
    } catch (Throwable e) {
      log.warn("cannot make the server non-dumpable ({}): workspaces of its uid can reach it through /proc", e.toString());
    }
  }
}
