package dev.sandcastle.app.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * A pseudo-terminal opened in this process through the FFM API (posix_openpt, grantpt, unlockpt,
 * ptsname_r, read, write), with a program whose stdin, stdout and stderr are the terminal: the
 * floor for what a terminal costs without Sandcastle in between. Blocking calls, for a platform
 * thread.
 */
final class DirectPty implements AutoCloseable {
  private static final int O_RDWR = 2;
  private static final int O_NOCTTY = 0400;
  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  private static final MethodHandle POSIX_OPENPT = function("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle GRANTPT = function("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle UNLOCKPT = function("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle PTSNAME_R = function("ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle READ = function("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle WRITE = function("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle CLOSE = function("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

  private final Arena arena = Arena.ofConfined();
  private final MemorySegment buffer = arena.allocate(1 << 16);
  private final int master;
  private final Process process;

  private DirectPty(int master, Process process) {
    this.master = master;
    this.process = process;
  }

  /** Opens a terminal and starts {@code command} on it. */
  static DirectPty start(List<String> command) throws IOException {
    int master;
    String slave;
    try (Arena names = Arena.ofConfined()) {
      master = (int) POSIX_OPENPT.invokeExact(O_RDWR | O_NOCTTY);
      if (master < 0 || (int) GRANTPT.invokeExact(master) != 0 || (int) UNLOCKPT.invokeExact(master) != 0) {
        throw new IOException("cannot open a pseudo-terminal");
      }
      MemorySegment name = names.allocate(256);
      if ((int) PTSNAME_R.invokeExact(master, name, 256L) != 0) {
        throw new IOException("ptsname_r failed");
      }
      slave = name.getString(0);
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IOException(e);
    }
    File tty = new File(slave);
    Process process = new ProcessBuilder(command).redirectInput(tty).redirectOutput(tty).redirectError(tty).start();
    return new DirectPty(master, process);
  }

  /** Reads what the terminal has (blocking); -1 once no program has it open any more. */
  int read(byte[] into) {
    try {
      long n = (long) READ.invokeExact(master, buffer, Math.min(into.length, buffer.byteSize()));
      if (n <= 0) {
        return -1;
      }
      MemorySegment.copy(buffer, JAVA_BYTE, 0, into, 0, (int) n);
      return (int) n;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** Types one byte. */
  void write(byte b) {
    try {
      buffer.set(JAVA_BYTE, 0, b);
      long n = (long) WRITE.invokeExact(master, buffer, 1L);
      if (n != 1) {
        throw new IllegalStateException("write to the terminal failed");
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      int ignored = (int) CLOSE.invokeExact(master);
    } catch (Throwable e) {
      // closing on the way out
    }
    arena.close();
  }

  @SuppressWarnings("restricted") // calls into libc; the launcher enables native access
  private static MethodHandle function(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)), descriptor);
  }
}
