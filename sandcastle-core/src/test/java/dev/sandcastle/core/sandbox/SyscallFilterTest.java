package dev.sandcastle.core.sandbox;

import static dev.sandcastle.core.sandbox.SyscallFilter.Arch.AARCH64;
import static dev.sandcastle.core.sandbox.SyscallFilter.Arch.X86_64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.sandbox.SyscallFilter.Arch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The compiled filter, run by a classic-BPF interpreter on the data the kernel would hand it, for
 * both architectures (the kernel itself runs it in the workspace tests, on this machine's). The
 * call numbers here are written out from the kernel's tables independently of {@link Syscall}.
 */
class SyscallFilterTest {
  static final int ALLOW = 0x7fff_0000;
  static final int EPERM = 0x0005_0001;
  static final int ENOSYS = 0x0005_0026;
  static final long AUDIT_ARCH_I386 = 0x4000_0003L;
  static final long AUDIT_ARCH_ARM = 0x4000_0028L;

  /** What the issue lists, with the refusal each must get: name, x86-64 number, aarch64 number. */
  record Expect(String name, int x8664, int aarch64, int action) {
    int number(Arch arch) {
      return arch == X86_64 ? x8664 : aarch64;
    }
  }

  static final List<Expect> REFUSED = List.of(
      new Expect("io_uring_setup", 425, 425, ENOSYS), new Expect("io_uring_enter", 426, 426, ENOSYS),
      new Expect("io_uring_register", 427, 427, ENOSYS), new Expect("clone3", 435, 435, ENOSYS),
      new Expect("io_setup", 206, 0, ENOSYS), new Expect("io_submit", 209, 2, ENOSYS), new Expect("io_getevents", 208, 4, ENOSYS),
      new Expect("io_pgetevents", 333, 292, ENOSYS),
      new Expect("keyctl", 250, 219, EPERM), new Expect("add_key", 248, 217, EPERM), new Expect("request_key", 249, 218, EPERM),
      new Expect("perf_event_open", 298, 241, EPERM), new Expect("userfaultfd", 323, 282, EPERM), new Expect("bpf", 321, 280, EPERM),
      new Expect("kexec_load", 246, 104, EPERM), new Expect("kexec_file_load", 320, 294, EPERM),
      new Expect("init_module", 175, 105, EPERM), new Expect("finit_module", 313, 273, EPERM),
      new Expect("delete_module", 176, 106, EPERM), new Expect("reboot", 169, 142, EPERM),
      new Expect("swapon", 167, 224, EPERM), new Expect("swapoff", 168, 225, EPERM), new Expect("mount", 165, 40, EPERM),
      new Expect("umount2", 166, 39, EPERM), new Expect("pivot_root", 155, 41, EPERM), new Expect("chroot", 161, 51, EPERM),
      new Expect("fsopen", 430, 430, EPERM), new Expect("open_tree", 428, 428, EPERM), new Expect("move_mount", 429, 429, EPERM),
      new Expect("unshare", 272, 97, EPERM), new Expect("setns", 308, 268, EPERM),
      new Expect("name_to_handle_at", 303, 264, EPERM), new Expect("open_by_handle_at", 304, 265, EPERM),
      new Expect("pidfd_getfd", 438, 438, EPERM), new Expect("process_vm_readv", 310, 270, EPERM),
      new Expect("process_vm_writev", 311, 271, EPERM), new Expect("kcmp", 312, 272, EPERM),
      new Expect("syslog", 103, 116, EPERM), new Expect("acct", 163, 89, EPERM), new Expect("settimeofday", 164, 170, EPERM),
      new Expect("clock_settime", 227, 112, EPERM), new Expect("sethostname", 170, 161, EPERM), new Expect("quotactl", 179, 60, EPERM),
      new Expect("mbind", 237, 235, EPERM), new Expect("set_mempolicy", 238, 237, EPERM), new Expect("move_pages", 279, 239, EPERM),
      new Expect("iopl", 172, -1, EPERM), new Expect("ioperm", 173, -1, EPERM), new Expect("uselib", 134, -1, ENOSYS));

  /** Calls every program runs all the time: allowed, whatever their arguments. */
  static final List<Expect> ORDINARY = List.of(
      new Expect("read", 0, 63, ALLOW), new Expect("write", 1, 64, ALLOW), new Expect("openat", 257, 56, ALLOW),
      new Expect("close", 3, 57, ALLOW), new Expect("mmap", 9, 222, ALLOW), new Expect("mprotect", 10, 226, ALLOW),
      new Expect("execve", 59, 221, ALLOW), new Expect("wait4", 61, 260, ALLOW), new Expect("futex", 202, 98, ALLOW),
      new Expect("prctl", 157, 167, ALLOW), new Expect("seccomp", 317, 277, ALLOW), new Expect("pidfd_open", 434, 434, ALLOW),
      new Expect("connect", 42, 203, ALLOW), new Expect("bind", 49, 200, ALLOW), new Expect("socketpair", 53, 199, ALLOW),
      new Expect("memfd_create", 319, 279, ALLOW), new Expect("statx", 332, 291, ALLOW), new Expect("rseq", 334, 293, ALLOW),
      new Expect("close_range", 436, 436, ALLOW), new Expect("openat2", 437, 437, ALLOW),
      new Expect("futex_waitv", 449, 449, ALLOW), new Expect("mseal", 462, 462, ALLOW),
      new Expect("fork", 57, -1, ALLOW), new Expect("vfork", 58, -1, ALLOW), new Expect("arch_prctl", 158, -1, ALLOW));

  static final Map<Arch, Integer> SOCKET = Map.of(X86_64, 41, AARCH64, 198);
  static final Map<Arch, Integer> CLONE = Map.of(X86_64, 56, AARCH64, 220);
  static final Map<Arch, Integer> PERSONALITY = Map.of(X86_64, 135, AARCH64, 92);
  static final Map<Arch, Integer> PTRACE = Map.of(X86_64, 101, AARCH64, 117);

  @Test
  void theListedCallsAreRefusedWithTheirErrnoOnBothArchitectures() {
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      for (Expect expect : REFUSED) {
        int number = expect.number(arch);
        if (number >= 0) {
          assertThat(filter.run(number)).as("%s (%d) on %s", expect.name(), number, arch).isEqualTo(expect.action());
        }
      }
    }
  }

  @Test
  void ordinaryCallsAreAllowedWithAnyArguments() {
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      for (Expect expect : ORDINARY) {
        int number = expect.number(arch);
        if (number >= 0) {
          assertThat(filter.run(number)).as("%s on %s", expect.name(), arch).isEqualTo(ALLOW);
          assertThat(filter.run(number, -1L, 0x4000_0028L, 40, 16, 9, -1L)).as("%s on %s", expect.name(), arch).isEqualTo(ALLOW);
        }
      }
    }
  }

  @Test
  void socketsOfUnixIpAndRoutingNetlinkOnly() {
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      int socket = SOCKET.get(arch);
      assertThat(filter.run(socket, 1, 1, 0)).as("AF_UNIX").isEqualTo(ALLOW);
      assertThat(filter.run(socket, 2, 1, 6)).as("AF_INET").isEqualTo(ALLOW);
      assertThat(filter.run(socket, 10, 2, 17)).as("AF_INET6").isEqualTo(ALLOW);
      assertThat(filter.run(socket, 2, 2, 1)).as("AF_INET ICMP datagrams (ping)").isEqualTo(ALLOW);
      assertThat(filter.run(socket, 16, 3, 0)).as("AF_NETLINK route").isEqualTo(ALLOW);
      assertThat(filter.run(socket, 16, 3, 9)).as("netlink audit").isEqualTo(EPERM);
      assertThat(filter.run(socket, 16, 3, 4)).as("netlink sock_diag").isEqualTo(EPERM);
      assertThat(filter.run(socket, 16, 3, 15)).as("netlink uevents").isEqualTo(EPERM);
      assertThat(filter.run(socket, 40, 1, 0)).as("AF_VSOCK").isEqualTo(EPERM);
      assertThat(filter.run(socket, 17, 3, 0x300)).as("AF_PACKET").isEqualTo(EPERM);
      assertThat(filter.run(socket, 38, 5, 0)).as("AF_ALG").isEqualTo(EPERM);
      assertThat(filter.run(socket, 21, 5, 0)).as("AF_RDS").isEqualTo(EPERM);
      assertThat(filter.run(socket, 0x1_0000_0028L, 1, 0)).as("AF_VSOCK with high bits the kernel drops").isEqualTo(EPERM);
      assertThat(filter.run(socket, 16, 3, 0x1_0000_0009L)).as("netlink audit with high bits").isEqualTo(EPERM);
    }
  }

  @Test
  void cloneOnlyWithoutNewNamespaces() {
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      int clone = CLONE.get(arch);
      assertThat(filter.run(clone, 0x11)).as("fork: SIGCHLD").isEqualTo(ALLOW);
      assertThat(filter.run(clone, 0x3d0f00)).as("a thread (glibc's flags)").isEqualTo(ALLOW);
      assertThat(filter.run(clone, 0x4111)).as("vfork").isEqualTo(ALLOW);
      for (long flag : new long[] {0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000}) {
        assertThat(filter.run(clone, 0x11 | flag)).as("clone with namespace flag %x", flag).isEqualTo(EPERM);
      }
    }
  }

  @Test
  void personalityOnlyThePlainOnes() {
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      int personality = PERSONALITY.get(arch);
      for (long plain : new long[] {0, 8, 0x20000, 0x20008, 0xffffffffL}) {
        assertThat(filter.run(personality, plain)).as("personality(%x)", plain).isEqualTo(ALLOW);
      }
      assertThat(filter.run(personality, 0x0400000)).as("READ_IMPLIES_EXEC").isEqualTo(EPERM);
      assertThat(filter.run(personality, 0x0040000)).as("ADDR_NO_RANDOMIZE").isEqualTo(EPERM);
      assertThat(filter.run(personality, 0xffff_ffff_0040_0000L)).as("READ_IMPLIES_EXEC, high bits set").isEqualTo(EPERM);
    }
  }

  @Test
  void ptraceOnlyOfOnesOwnTracees() {
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      int ptrace = PTRACE.get(arch);
      assertThat(filter.run(ptrace, 0)).as("PTRACE_TRACEME").isEqualTo(ALLOW);
      assertThat(filter.run(ptrace, 7, 42)).as("PTRACE_CONT").isEqualTo(ALLOW);
      assertThat(filter.run(ptrace, 0x4200, 42)).as("PTRACE_SETOPTIONS").isEqualTo(ALLOW);
      assertThat(filter.run(ptrace, 16, 1)).as("PTRACE_ATTACH").isEqualTo(EPERM);
      assertThat(filter.run(ptrace, 0x4206, 1)).as("PTRACE_SEIZE").isEqualTo(EPERM);
    }
  }

  @Test
  void otherAbisAndUnknownCallsAreRefused() {
    Machine x86 = new Machine(X86_64);
    assertThat(x86.run(0x4000_0000 | 39)).as("getpid through x32").isEqualTo(EPERM);
    assertThat(x86.run(0x4000_0000 | 0)).as("read through x32").isEqualTo(EPERM);
    assertThat(x86.runAs(AUDIT_ARCH_I386, 20)).as("getpid through int 0x80").isEqualTo(EPERM);
    assertThat(x86.runAs(AARCH64.audit, 63)).isEqualTo(EPERM);
    Machine arm = new Machine(AARCH64);
    assertThat(arm.runAs(AUDIT_ARCH_ARM, 20)).as("AArch32 compat").isEqualTo(EPERM);
    assertThat(arm.runAs(X86_64.audit, 0)).isEqualTo(EPERM);
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      assertThat(filter.run(471)).as("a call newer than the table").isEqualTo(ENOSYS);
      assertThat(filter.run(1000)).isEqualTo(ENOSYS);
      assertThat(filter.run(470)).as("listns, not reviewed yet").isEqualTo(ENOSYS);
    }
  }

  /**
   * At least as strict as Docker's default profile (moby/profiles seccomp/default.json) for a
   * container without added capabilities, on x86-64: every call it does not allow, we refuse.
   * (uretprobe and uprobe are left out on purpose: only the kernel's probe trampolines make them.)
   */
  @Test
  void refusesEverythingDockersDefaultProfileRefuses() {
    List<String> docker = List.of("socket", "clone", "syslog", "uselib", "personality", "ustat", "sysfs", "vhangup", "pivot_root",
        "_sysctl", "acct", "settimeofday", "mount", "umount2", "swapon", "swapoff", "reboot", "sethostname", "setdomainname", "iopl",
        "ioperm", "create_module", "init_module", "delete_module", "get_kernel_syms", "query_module", "quotactl", "nfsservctl",
        "getpmsg", "putpmsg", "afs_syscall", "tuxcall", "security", "lookup_dcookie", "clock_settime", "vserver", "mbind",
        "set_mempolicy", "get_mempolicy", "kexec_load", "add_key", "request_key", "keyctl", "migrate_pages", "unshare",
        "move_pages", "perf_event_open", "fanotify_init", "open_by_handle_at", "setns", "kcmp", "finit_module", "kexec_file_load",
        "bpf", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen",
        "fsconfig", "fsmount", "fspick", "clone3", "pidfd_getfd", "process_madvise", "mount_setattr", "quotactl_fd",
        "set_mempolicy_home_node", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "open_tree_attr", "file_getattr",
        "file_setattr", "listns");
    Set<String> named = new HashSet<>();
    SyscallFilter.RULES.forEach(rule -> named.add(rule.call().callName()));
    assertThat(named).containsAll(docker);
  }

  @Test
  void ordinaryCallsNeverReachTheArgumentsSoTheKernelCachesThem() {
    for (Arch arch : Arch.values()) {
      Machine filter = new Machine(arch);
      Set<Integer> argumentChecked = Set.of(SOCKET.get(arch), CLONE.get(arch), PERSONALITY.get(arch), PTRACE.get(arch));
      for (int number = 0; number <= Syscall.HIGHEST_KNOWN + 1; number++) {
        filter.run(number, 1, 2, 3, 4, 5, 6);
        assertThat(filter.readArguments).as("call %d on %s", number, arch).isEqualTo(argumentChecked.contains(number));
      }
      assertThat(filter.program.length / 8).isLessThan(Bpf.MAX_INSTRUCTIONS);
    }
  }

  @Test
  void theAssemblerRefusesJumpsItCannotEncode() {
    Bpf.Label far = new Bpf.Label();
    Bpf tooFar = new Bpf().load(0).jump(Bpf.Test.EQ, 1, far, null);
    for (int i = 0; i < 256; i++) {
      tooFar.ret(0);
    }
    tooFar.place(far).ret(0);
    assertThatThrownBy(() -> tooFar.assemble(ByteOrder.LITTLE_ENDIAN)).hasMessageContaining("a jump of 256");
    Bpf.Label never = new Bpf.Label();
    assertThatThrownBy(() -> new Bpf().jump(never).assemble(ByteOrder.LITTLE_ENDIAN)).hasMessageContaining("never placed");
  }

  /** A classic-BPF interpreter for the instructions a seccomp filter may use. */
  static final class Machine {
    final Arch arch;
    final byte[] program;
    boolean readArguments;

    Machine(Arch arch) {
      this.arch = arch;
      this.program = SyscallFilter.program(arch);
    }

    int run(int nr, long... args) {
      return runAs(arch.audit, nr, args);
    }

    int runAs(long audit, int nr, long... args) {
      ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
      data.putInt(0, nr).putInt(4, (int) audit).putLong(8, 0x7f00_0000_1000L);
      for (int i = 0; i < args.length; i++) {
        data.putLong(16 + 8 * i, args[i]);
      }
      ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
      readArguments = false;
      int accumulator = 0;
      int pc = 0;
      for (int steps = 0; steps < program.length / 8; steps++) {
        int at = pc * 8;
        int op = code.getShort(at) & 0xffff;
        int jt = code.get(at + 2) & 0xff;
        int jf = code.get(at + 3) & 0xff;
        int k = code.getInt(at + 4);
        pc++;
        switch (op) {
          case 0x20 -> {
            assertThat(k).as("an aligned load inside seccomp_data").isBetween(0, 60).matches(offset -> offset % 4 == 0);
            readArguments |= k >= 16;
            accumulator = data.getInt(k);
          }
          case 0x05 -> pc += k;
          case 0x15 -> pc += accumulator == k ? jt : jf;
          case 0x25 -> pc += Integer.compareUnsigned(accumulator, k) > 0 ? jt : jf;
          case 0x35 -> pc += Integer.compareUnsigned(accumulator, k) >= 0 ? jt : jf;
          case 0x45 -> pc += (accumulator & k) != 0 ? jt : jf;
          case 0x06 -> {
            return k;
          }
          default -> throw new AssertionError("unexpected opcode " + Integer.toHexString(op) + " at " + (pc - 1));
        }
        assertThat(pc).as("a jump inside the program").isLessThan(program.length / 8);
      }
      throw new AssertionError("the program ran off its end");
    }
  }
}
