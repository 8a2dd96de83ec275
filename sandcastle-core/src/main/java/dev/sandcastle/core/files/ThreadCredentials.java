package dev.sandcastle.core.files;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The file-system identity of the calling thread on Linux (x86_64 and aarch64): its file-system
 * uid and gid and its supplementary groups, changed for that one thread.
 *
 * <p>Linux keeps credentials per thread. glibc's {@code setgroups()} and the set*id family
 * broadcast a change to every thread of the process (POSIX wants per-process credentials), so
 * this class makes the raw system calls instead, which change the calling thread only. When a
 * thread's file-system uid goes from 0 to another uid, the kernel clears the file capabilities
 * ({@code CAP_CHOWN}, {@code CAP_DAC_OVERRIDE}, {@code CAP_DAC_READ_SEARCH}, {@code CAP_FOWNER},
 * {@code CAP_FSETID}, ...) from that thread's effective set: from then on every permission check
 * of a file call on the thread is the account's, and what it creates belongs to the account.
 *
 * <p>Only for platform threads that run nothing but our own code: a virtual thread moves between
 * carrier threads, and a pooled thread handed back to others would keep the identity. Needs
 * {@code CAP_SETUID} and {@code CAP_SETGID} (root) and native access for this module.
 */
final class ThreadCredentials {
  /** The numbers of the calls we make, which differ per architecture. */
  private record Calls(long getgroups, long setgroups, long setfsuid, long setfsgid) {}

  private static final long QUERY = 0xFFFF_FFFFL; // (uid_t) -1: changes nothing, returns the current id

  private ThreadCredentials() {}

  /** The file-system uid, gid and supplementary groups of the calling thread. */
  record Identity(int fsuid, int fsgid, int[] groups) {
    boolean isOnly(int uid, int gid) {
      return fsuid == uid && fsgid == gid && groups.length == 1 && groups[0] == gid;
    }

    @Override
    public String toString() {
      return "fsuid " + fsuid + ", fsgid " + fsgid + ", groups " + java.util.Arrays.toString(groups);
    }
  }

  /** The effective uid of this process (0 when the server runs as root). */
  static int effectiveUid() {
    try {
      return (int) Native.GETEUID.invokeExact();
    } catch (Throwable e) {
      throw unavailable(e);
    }
  }

  /**
   * Gives the calling thread the file-system identity {@code uid:gid} with {@code gid} as its only
   * group, then reads it back.
   *
   * @throws IllegalStateException if a call fails or the thread does not have exactly that
   *     identity afterwards (the thread may then be half changed: do not run anything on it)
   */
  static void become(int uid, int gid) {
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("uid and gid must be >= 0: " + uid + ":" + gid);
    }
    Calls calls = Native.calls();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Native.STATE);
      MemorySegment groups = arena.allocate(JAVA_INT);
      groups.set(JAVA_INT, 0, gid);
      long result = (long) Native.SYSCALL_POINTER.invokeExact(state, calls.setgroups(), 1L, groups);
      if (result != 0) {
        throw new IllegalStateException(
            "setgroups([" + gid + "]) failed on this thread (errno " + (int) Native.ERRNO.get(state, 0L) + ")");
      }
      // Both return the previous id whether or not they changed it: the read-back below decides.
      long previousGid = (long) Native.SYSCALL.invokeExact(state, calls.setfsgid(), (long) gid);
      long previousUid = (long) Native.SYSCALL.invokeExact(state, calls.setfsuid(), (long) uid);
      assert previousGid >= 0 && previousUid >= 0;
    } catch (IllegalStateException e) {
      throw e;
    } catch (Throwable e) {
      throw unavailable(e);
    }
    Identity now = current();
    if (!now.isOnly(uid, gid)) {
      throw new IllegalStateException(
          "could not give this thread the file-system identity " + uid + ":" + gid + " (it has " + now + ")");
    }
  }

  /**
   * Gives the calling thread back an identity read earlier with {@link #current} (the server's):
   * the file-system uid first, which restores the file capabilities, then the gid and groups.
   *
   * @throws IllegalStateException if a call fails; the thread must then not run anything else
   */
  static void restore(Identity previous) {
    Calls calls = Native.calls();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Native.STATE);
      long ignoredUid = (long) Native.SYSCALL.invokeExact(state, calls.setfsuid(), (long) previous.fsuid());
      long ignoredGid = (long) Native.SYSCALL.invokeExact(state, calls.setfsgid(), (long) previous.fsgid());
      assert ignoredUid >= 0 && ignoredGid >= 0;
      MemorySegment groups = arena.allocate(JAVA_INT, Math.max(1, previous.groups().length));
      for (int i = 0; i < previous.groups().length; i++) {
        groups.setAtIndex(JAVA_INT, i, previous.groups()[i]);
      }
      long result = (long) Native.SYSCALL_POINTER.invokeExact(state, calls.setgroups(), (long) previous.groups().length, groups);
      if (result != 0) {
        throw new IllegalStateException("setgroups failed while restoring this thread (errno " + (int) Native.ERRNO.get(state, 0L) + ")");
      }
      int fsuid = (int) (long) Native.SYSCALL.invokeExact(state, calls.setfsuid(), QUERY);
      int fsgid = (int) (long) Native.SYSCALL.invokeExact(state, calls.setfsgid(), QUERY);
      if (fsuid != previous.fsuid() || fsgid != previous.fsgid()) {
        throw new IllegalStateException("could not give this thread back its identity (fsuid " + fsuid + ", fsgid " + fsgid + ")");
      }
    } catch (IllegalStateException e) {
      throw e;
    } catch (Throwable e) {
      throw unavailable(e);
    }
  }

  /** Reads the calling thread's file-system identity (from the kernel, not from a cache). */
  static Identity current() {
    Calls calls = Native.calls();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Native.STATE);
      int fsuid = (int) (long) Native.SYSCALL.invokeExact(state, calls.setfsuid(), QUERY);
      int fsgid = (int) (long) Native.SYSCALL.invokeExact(state, calls.setfsgid(), QUERY);
      MemorySegment buffer = arena.allocate(JAVA_INT, 65_536);
      long count = (long) Native.SYSCALL_POINTER.invokeExact(state, calls.getgroups(), 65_536L, buffer);
      if (count < 0) {
        throw new IllegalStateException("getgroups failed (errno " + (int) Native.ERRNO.get(state, 0L) + ")");
      }
      return new Identity(fsuid, fsgid, buffer.asSlice(0, count * JAVA_INT.byteSize()).toArray(JAVA_INT));
    } catch (IllegalStateException e) {
      throw e;
    } catch (Throwable e) {
      throw unavailable(e);
    }
  }

  private static IllegalStateException unavailable(Throwable e) {
    Throwable cause = e instanceof ExceptionInInitializerError init && init.getCause() != null ? init.getCause() : e;
    return new IllegalStateException(
        "cannot change a thread's file-system identity here (needs Linux on x86_64 or aarch64 and native access:"
            + " run java with --enable-native-access=ALL-UNNAMED): " + cause.getMessage(),
        cause);
  }

  /** The downcall handles, made on first use (so a server without an owner never needs native access). */
  @SuppressWarnings("restricted") // native access is what this class is for
  private static final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout STATE = Linker.Option.captureStateLayout();
    static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** {@code long syscall(long number, long argument)}. */
    static final MethodHandle SYSCALL = syscall(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG));
    /** {@code long syscall(long number, long argument, void *pointer)}. */
    static final MethodHandle SYSCALL_POINTER = syscall(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
    static final MethodHandle GETEUID =
        LINKER.downcallHandle(LINKER.defaultLookup().find("geteuid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));

    private static MethodHandle syscall(FunctionDescriptor descriptor) {
      return LINKER.downcallHandle(
          LINKER.defaultLookup().find("syscall").orElseThrow(),
          descriptor,
          Linker.Option.firstVariadicArg(1),
          Linker.Option.captureCallState("errno"));
    }

    static Calls calls() {
      if (!System.getProperty("os.name", "").equals("Linux")) {
        throw new IllegalStateException("acting as the workspace owner needs Linux");
      }
      return switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
        case "amd64", "x86_64" -> new Calls(115, 116, 122, 123);
        case "aarch64", "arm64" -> new Calls(158, 159, 151, 152); // the generic table (asm-generic/unistd.h)
        default -> throw new IllegalStateException(
            "acting as the workspace owner is supported on x86_64 and aarch64 only, not " + System.getProperty("os.arch"));
      };
    }
  }
}
