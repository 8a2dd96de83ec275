package dev.sandcastle.core.sandbox;

/**
 * The system calls the filter names, with their numbers on x86-64 (the kernel's
 * {@code arch/x86/entry/syscalls/syscall_64.tbl}) and on aarch64 (the generic table,
 * {@code scripts/syscall.tbl}), as of Linux 6.19; -1 where an architecture has no
 * such call. Numbers from 424 on are the same on every architecture. The name of a constant,
 * in lower case, is the call's name.
 */
enum Syscall {
  //                        x86-64  aarch64 (-1: no such call)
  SOCKET(                      41,    198),
  CLONE(                       56,    220),
  PTRACE(                     101,    117),
  SYSLOG(                     103,    116),
  USELIB(                     134,     -1),
  PERSONALITY(                135,     92),
  USTAT(                      136,     -1),
  SYSFS(                      139,     -1),
  VHANGUP(                    153,     58),
  PIVOT_ROOT(                 155,     41),
  _SYSCTL(                    156,     -1),
  CHROOT(                     161,     51),
  ACCT(                       163,     89),
  SETTIMEOFDAY(               164,    170),
  MOUNT(                      165,     40),
  UMOUNT2(                    166,     39),
  SWAPON(                     167,    224),
  SWAPOFF(                    168,    225),
  REBOOT(                     169,    142),
  SETHOSTNAME(                170,    161),
  SETDOMAINNAME(              171,    162),
  IOPL(                       172,     -1),
  IOPERM(                     173,     -1),
  CREATE_MODULE(              174,     -1),
  INIT_MODULE(                175,    105),
  DELETE_MODULE(              176,    106),
  GET_KERNEL_SYMS(            177,     -1),
  QUERY_MODULE(               178,     -1),
  QUOTACTL(                   179,     60),
  NFSSERVCTL(                 180,     -1),
  GETPMSG(                    181,     -1),
  PUTPMSG(                    182,     -1),
  AFS_SYSCALL(                183,     -1),
  TUXCALL(                    184,     -1),
  SECURITY(                   185,     -1),
  IO_SETUP(                   206,      0),
  IO_DESTROY(                 207,      1),
  IO_GETEVENTS(               208,      4),
  IO_SUBMIT(                  209,      2),
  IO_CANCEL(                  210,      3),
  LOOKUP_DCOOKIE(             212,     18),
  CLOCK_SETTIME(              227,    112),
  VSERVER(                    236,     -1),
  MBIND(                      237,    235),
  SET_MEMPOLICY(              238,    237),
  GET_MEMPOLICY(              239,    236),
  KEXEC_LOAD(                 246,    104),
  ADD_KEY(                    248,    217),
  REQUEST_KEY(                249,    218),
  KEYCTL(                     250,    219),
  MIGRATE_PAGES(              256,    238),
  UNSHARE(                    272,     97),
  MOVE_PAGES(                 279,    239),
  PERF_EVENT_OPEN(            298,    241),
  FANOTIFY_INIT(              300,    262),
  NAME_TO_HANDLE_AT(          303,    264),
  OPEN_BY_HANDLE_AT(          304,    265),
  SETNS(                      308,    268),
  PROCESS_VM_READV(           310,    270),
  PROCESS_VM_WRITEV(          311,    271),
  KCMP(                       312,    272),
  FINIT_MODULE(               313,    273),
  KEXEC_FILE_LOAD(            320,    294),
  BPF(                        321,    280),
  USERFAULTFD(                323,    282),
  IO_PGETEVENTS(              333,    292),
  IO_URING_SETUP(             425,    425),
  IO_URING_ENTER(             426,    426),
  IO_URING_REGISTER(          427,    427),
  OPEN_TREE(                  428,    428),
  MOVE_MOUNT(                 429,    429),
  FSOPEN(                     430,    430),
  FSCONFIG(                   431,    431),
  FSMOUNT(                    432,    432),
  FSPICK(                     433,    433),
  CLONE3(                     435,    435),
  PIDFD_GETFD(                438,    438),
  PROCESS_MADVISE(            440,    440),
  MOUNT_SETATTR(              442,    442),
  QUOTACTL_FD(                443,    443),
  SET_MEMPOLICY_HOME_NODE(    450,    450),
  LSM_GET_SELF_ATTR(          459,    459),
  LSM_SET_SELF_ATTR(          460,    460),
  LSM_LIST_MODULES(           461,    461),
  OPEN_TREE_ATTR(             467,    467),
  FILE_GETATTR(               468,    468),
  FILE_SETATTR(               469,    469),
  LISTNS(                     470,    470);

  /** The number of an architecture that has no such call. */
  static final int ABSENT = -1;
  /** The highest system call number of the tables above, on both architectures. */
  static final int HIGHEST_KNOWN = 470;

  private final int x8664;
  private final int aarch64;

  Syscall(int x8664, int aarch64) {
    this.x8664 = x8664;
    this.aarch64 = aarch64;
  }

  /** The call's number on this architecture, or {@link #ABSENT}. */
  int number(SyscallFilter.Arch arch) {
    return switch (arch) {
      case X86_64 -> x8664;
      case AARCH64 -> aarch64;
    };
  }

  /** The call's name, as the kernel's tables spell it. */
  String callName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
