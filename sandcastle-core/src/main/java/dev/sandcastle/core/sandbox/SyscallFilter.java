package dev.sandcastle.core.sandbox;

import static dev.sandcastle.core.sandbox.Syscall.*;

import java.nio.ByteOrder;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The seccomp filter every sandboxed process runs under: the system calls a workspace is refused,
 * as a table, compiled to a classic BPF program for x86-64 or aarch64.
 *
 * <p>It refuses everything Docker's default profile refuses to a container without added
 * capabilities, and more: io_uring, open_by_handle_at's partner name_to_handle_at, pidfd_getfd,
 * attaching to other processes with ptrace, reading or writing their memory, every socket family
 * but Unix, IPv4, IPv6 and routing netlink, and the 32-bit entry points (x32 and i386 on x86-64,
 * AArch32 on aarch64). A refused call fails with EPERM, or ENOSYS where libraries take ENOSYS as
 * "not on this kernel" and fall back (io_uring, clone3); nothing is ever killed. Any call
 * numbered above the table's highest ({@link Syscall#HIGHEST_KNOWN}) gets ENOSYS, as on an older
 * kernel, so a call a later kernel adds is refused until it is reviewed here.
 *
 * <p>Everything else is allowed, and checks that depend on arguments only look at a few calls, so
 * the kernel's per-call cache of "always allowed" stays in force and ordinary calls cost nothing.
 */
final class SyscallFilter {
  static final int EPERM = 1;
  static final int ENOSYS = 38;
  static final int SECCOMP_RET_ALLOW = 0x7fff_0000;
  static final int SECCOMP_RET_ERRNO = 0x0005_0000;

  /** Architectures with a table, named by their {@code AUDIT_ARCH_*} value. */
  enum Arch {
    X86_64(0xc000_003eL), AARCH64(0xc000_00b7L);

    final long audit;

    Arch(long audit) {
      this.audit = audit;
    }

    /** The architecture this JVM runs on. */
    static Arch current() {
      String name = System.getProperty("os.arch");
      return switch (name) {
        case "amd64", "x86_64" -> X86_64;
        case "aarch64", "arm64" -> AARCH64;
        default -> throw new IllegalStateException("no system-call filter for the " + name
            + " architecture; sandboxes need one (x86-64 and aarch64 have one)");
      };
    }
  }

  // Offsets in struct seccomp_data; arguments are 64-bit, little-endian on both architectures.
  private static final int NR = 0;
  private static final int ARCH = 4;
  private static final int ARGS = 16;
  /** On x86-64, the bit that marks a call through the x32 ABI. */
  private static final long X32_BIT = 0x4000_0000L;

  // Argument values (include/uapi/linux/*.h).
  private static final long CLONE_NEW_ANY = 0x0002_0000L /* NEWNS */ | 0x0200_0000L /* NEWCGROUP */ | 0x0400_0000L /* NEWUTS */
      | 0x0800_0000L /* NEWIPC */ | 0x1000_0000L /* NEWUSER */ | 0x2000_0000L /* NEWPID */ | 0x4000_0000L /* NEWNET */;
  private static final long PTRACE_ATTACH = 16;
  private static final long PTRACE_SEIZE = 0x4206;
  private static final long AF_UNIX = 1;
  private static final long AF_INET = 2;
  private static final long AF_INET6 = 10;
  private static final long AF_NETLINK = 16;
  private static final long NETLINK_ROUTE = 0;
  private static final long PER_LINUX = 0;
  private static final long PER_LINUX32 = 0x0008;
  private static final long UNAME26 = 0x0002_0000;
  private static final long PERSONALITY_QUERY = 0xffff_ffffL;

  /** The table. One rule per call; a call no rule names is allowed. */
  static final List<Rule> RULES = Stream.of(
      // Kernel facilities a workspace has no use for, each a large and often exploited surface:
      // keyrings, eBPF, performance counters, userfaultfd (the usual tool to win kernel races).
      refuse(EPERM, ADD_KEY, KEYCTL, REQUEST_KEY, BPF, PERF_EVENT_OPEN, USERFAULTFD, FANOTIFY_INIT,
          LSM_GET_SELF_ATTR, LSM_SET_SELF_ATTR, LSM_LIST_MODULES),
      // io_uring reaches most of the kernel outside the system-call path filters see; libraries
      // (libuv, liburing, Rust's runtimes) take ENOSYS as "old kernel" and use plain calls.
      refuse(ENOSYS, IO_URING_SETUP, IO_URING_ENTER, IO_URING_REGISTER),
      // Linux AIO: its contexts count against fs.aio-max-nr, one limit for the whole host that no
      // cgroup holds, so one workspace could take every AIO context of the machine (databases and
      // QEMU on the host then fail). libaio takes ENOSYS as "no kernel AIO"; POSIX aio uses threads.
      refuse(ENOSYS, IO_SETUP, IO_DESTROY, IO_SUBMIT, IO_CANCEL, IO_GETEVENTS, IO_PGETEVENTS),
      // The machine itself: kernels and modules, power, swap, clocks, names, accounting, quotas,
      // the kernel log, I/O ports, the controlling terminal of others.
      refuse(EPERM, KEXEC_LOAD, KEXEC_FILE_LOAD, INIT_MODULE, FINIT_MODULE, DELETE_MODULE, REBOOT, SWAPON, SWAPOFF,
          SETTIMEOFDAY, CLOCK_SETTIME, SETHOSTNAME, SETDOMAINNAME, ACCT, QUOTACTL, QUOTACTL_FD, SYSLOG, IOPL, IOPERM,
          VHANGUP, LOOKUP_DCOOKIE),
      // Mounts and namespaces: the sandbox's file system and namespaces are fixed when it starts.
      refuse(EPERM, MOUNT, UMOUNT2, PIVOT_ROOT, CHROOT, OPEN_TREE, OPEN_TREE_ATTR, MOVE_MOUNT, FSOPEN, FSCONFIG, FSMOUNT,
          FSPICK, MOUNT_SETATTR, UNSHARE, SETNS),
      refuseWhen(EPERM, CLONE, argHasAny(0, CLONE_NEW_ANY)),
      // clone3 passes its flags in memory, which a filter cannot read; C libraries take ENOSYS
      // and fall back to clone, whose flags the rule above checks.
      refuse(ENOSYS, CLONE3),
      // Other processes: a process may be traced by its parent when it asks to be (PTRACE_TRACEME,
      // so strace and gdb can run a program), never attached to; nor can its memory or its
      // descriptors be taken from outside.
      refuseWhen(EPERM, PTRACE, argIs(0, PTRACE_ATTACH, PTRACE_SEIZE)),
      refuse(EPERM, PROCESS_VM_READV, PROCESS_VM_WRITEV, PIDFD_GETFD, KCMP, PROCESS_MADVISE),
      // Opening files by handle walks around the mount namespace (the "shocker" escape).
      refuse(EPERM, NAME_TO_HANDLE_AT, OPEN_BY_HANDLE_AT),
      // Only the plain personalities (and the query): no READ_IMPLIES_EXEC, no ADDR_NO_RANDOMIZE.
      allowOnlyWhen(EPERM, PERSONALITY, argIs(0, PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32 | UNAME26, PERSONALITY_QUERY)),
      // Sockets: Unix, IPv4, IPv6, and netlink only for routing (what getaddrinfo and ip use).
      // No AF_VSOCK (the host's hypervisor), AF_PACKET, AF_ALG, audit or other netlink, or the
      // rarely used families whose old code keeps yielding exploits.
      allowOnlyWhen(EPERM, SOCKET, anyOf(argIs(0, AF_UNIX, AF_INET, AF_INET6), allOf(argIs(0, AF_NETLINK), argIs(2, NETLINK_ROUTE)))),
      // NUMA placement of the host's memory.
      refuse(EPERM, MBIND, SET_MEMPOLICY, GET_MEMPOLICY, SET_MEMPOLICY_HOME_NODE, MIGRATE_PAGES, MOVE_PAGES),
      // Calls long removed or never implemented on x86-64: the kernel's own answer is ENOSYS.
      refuse(ENOSYS, USELIB, USTAT, SYSFS, _SYSCTL, CREATE_MODULE, GET_KERNEL_SYMS, QUERY_MODULE, NFSSERVCTL, GETPMSG,
          PUTPMSG, AFS_SYSCALL, TUXCALL, SECURITY, VSERVER),
      // Newer than Docker's profile and not reviewed yet: answered as an older kernel would.
      refuse(ENOSYS, FILE_GETATTR, FILE_SETATTR, LISTNS))
      .flatMap(List::stream).toList();

  static {
    Set<Syscall> named = EnumSet.noneOf(Syscall.class);
    for (Rule rule : RULES) {
      if (!named.add(rule.call())) {
        throw new IllegalStateException("two rules for " + rule.call().callName());
      }
    }
  }

  private SyscallFilter() {}

  /** The compiled program for this architecture, in the form bwrap's --seccomp and prctl read. */
  static byte[] program(Arch arch) {
    Bpf bpf = new Bpf();
    Bpf.Label wrongArch = new Bpf.Label();
    Bpf.Label known = new Bpf.Label();
    bpf.load(ARCH).jump(Bpf.Test.EQ, arch.audit, null, wrongArch).load(NR);
    if (arch == Arch.X86_64) {
      bpf.jump(Bpf.Test.SET, X32_BIT, wrongArch, null);
    }
    bpf.jump(Bpf.Test.GT, HIGHEST_KNOWN, null, known).ret(failWith(ENOSYS))
        .place(wrongArch).ret(failWith(EPERM))
        .place(known);
    RULES.stream().filter(rule -> rule.call().number(arch) >= 0)
        .sorted(Comparator.comparingInt(rule -> rule.call().number(arch)))
        .forEach(rule -> rule.compile(bpf, rule.call().number(arch)));
    bpf.ret(SECCOMP_RET_ALLOW);
    return bpf.assemble(ByteOrder.LITTLE_ENDIAN);
  }

  static int failWith(int errno) {
    return SECCOMP_RET_ERRNO | errno;
  }

  /** What the filter does with one call. */
  sealed interface Rule {
    Syscall call();

    int errno();

    /** Emits: if the call is this one, decide; else go on to the next rule. */
    default void compile(Bpf bpf, int number) {
      Bpf.Label next = new Bpf.Label();
      bpf.jump(Bpf.Test.EQ, number, null, next);
      switch (this) {
        case Refuse(var _, int errno) -> bpf.ret(failWith(errno));
        case RefuseWhen(var _, Condition when, int errno) -> decide(bpf, when, false, errno);
        case AllowOnlyWhen(var _, Condition when, int errno) -> decide(bpf, when, true, errno);
      }
      bpf.place(next);
    }

    private static void decide(Bpf bpf, Condition condition, boolean allowWhenItHolds, int errno) {
      Bpf.Label holds = new Bpf.Label();
      Bpf.Label fails = new Bpf.Label();
      condition.compile(bpf, holds, fails);
      bpf.place(holds).ret(allowWhenItHolds ? SECCOMP_RET_ALLOW : failWith(errno))
          .place(fails).ret(allowWhenItHolds ? failWith(errno) : SECCOMP_RET_ALLOW);
    }
  }

  /** The call always fails with this errno. */
  record Refuse(Syscall call, int errno) implements Rule {}

  /** The call fails with this errno when the condition holds. */
  record RefuseWhen(Syscall call, Condition when, int errno) implements Rule {}

  /** The call fails with this errno unless the condition holds. */
  record AllowOnlyWhen(Syscall call, Condition when, int errno) implements Rule {}

  /**
   * A test of a call's arguments. Only the low 32 bits of an argument are looked at: every
   * argument tested here is an {@code int} to the kernel (or, for clone's flags, only its low
   * half is read), so the high half cannot smuggle a value past the test.
   */
  sealed interface Condition {
    /** Emits a test that jumps to {@code yes} when it holds, else to {@code no}. */
    void compile(Bpf bpf, Bpf.Label yes, Bpf.Label no);
  }

  /** The argument equals one of these values. */
  record ArgIs(int index, List<Long> values) implements Condition {
    @Override
    public void compile(Bpf bpf, Bpf.Label yes, Bpf.Label no) {
      bpf.load(ARGS + 8 * index);
      for (int i = 0; i < values.size(); i++) {
        bpf.jump(Bpf.Test.EQ, values.get(i), yes, i == values.size() - 1 ? no : null);
      }
    }
  }

  /** The argument has one of these bits set. */
  record ArgHasAny(int index, long bits) implements Condition {
    @Override
    public void compile(Bpf bpf, Bpf.Label yes, Bpf.Label no) {
      bpf.load(ARGS + 8 * index).jump(Bpf.Test.SET, bits, yes, no);
    }
  }

  /** Every one of the conditions holds ({@code all}), or at least one does. */
  record Junction(boolean all, List<Condition> parts) implements Condition {
    @Override
    public void compile(Bpf bpf, Bpf.Label yes, Bpf.Label no) {
      for (int i = 0; i < parts.size() - 1; i++) {
        Bpf.Label next = new Bpf.Label();
        parts.get(i).compile(bpf, all ? next : yes, all ? no : next);
        bpf.place(next);
      }
      parts.getLast().compile(bpf, yes, no);
    }
  }

  private static List<Rule> refuse(int errno, Syscall... calls) {
    return Stream.of(calls).<Rule>map(call -> new Refuse(call, errno)).toList();
  }

  private static List<Rule> refuseWhen(int errno, Syscall call, Condition when) {
    return List.of(new RefuseWhen(call, when, errno));
  }

  private static List<Rule> allowOnlyWhen(int errno, Syscall call, Condition when) {
    return List.of(new AllowOnlyWhen(call, when, errno));
  }

  private static Condition argIs(int index, long... values) {
    return new ArgIs(index, java.util.Arrays.stream(values).boxed().toList());
  }

  private static Condition argHasAny(int index, long bits) {
    return new ArgHasAny(index, bits);
  }

  private static Condition anyOf(Condition... conditions) {
    return new Junction(false, List.of(conditions));
  }

  private static Condition allOf(Condition... conditions) {
    return new Junction(true, List.of(conditions));
  }
}
